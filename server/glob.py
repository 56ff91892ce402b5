"""Redis's glob matcher (``stringmatchlen`` in util.c), for KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET.

Not :mod:`fnmatch`.  What Redis 6.2 does, and so what this module does:

* ``*`` any run of bytes, ``?`` any one byte, ``\\x`` the byte ``x`` literally (a lone trailing
  ``\\`` is a literal backslash);
* ``[...]`` one byte from a class: only ``^`` negates (``[!a]`` is the class ``!``, ``a``),
  ``\\`` escapes inside a class too, ``a-z`` is a range that may be written backwards
  (``[z-a]``), ``[a-]`` is the range from ``a`` to ``]`` (the ``]`` is eaten by the range and
  the class goes on), and an unterminated class simply ends the pattern;
* ranges compare bytes as C's signed ``char``: bytes >= 0x80 sort *below* ``\\x00``;
* with ``nocase`` (CONFIG GET) only ASCII letters fold, and escaped bytes inside a class do not;
* a non-empty pattern never matches the empty string: ``stringmatchlen("*", "")`` is 0 (KEYS
  and SCAN special-case the pattern ``*`` themselves).

A pattern is translated once (cached) into an equivalent regular expression in which every
single-byte element becomes the exact set of bytes it accepts, computed with the C rules above.
The text between two ``*`` has a fixed length, so the first place it fits is always a right
place: each such part is an atomic group (``(?>.*?part)``) and the match never backtracks
into it.  Matching is therefore linear-ish in the key length whatever the pattern, where a
naive backtracking translation of ``*a*a*a*a*b`` would be exponential (the kind of pattern
Redis fixed in CVE-2022-36021).
"""

from __future__ import annotations

import functools
import re

__all__ = ["glob_match", "compile_glob", "glob_matcher", "glob_regex"]

_ANY = frozenset(range(256))
_STAR = None


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _lower(c: int) -> int:
    """C-locale tolower() on a (possibly negative) char value."""
    return c + 32 if 65 <= c <= 90 else c


def _class(p: bytes, i: int, nocase: bool):
    """The ``[`` case of stringmatchlen.  ``i`` indexes the byte after ``[``.

    Returns (frozenset of accepted bytes, index of the next pattern element)."""
    n = len(p)

    def at(k):
        return p[k] if k < n else 0  # the C string's NUL terminator

    negate = at(i) == 0x5E  # ^
    if negate:
        i += 1
    items = []
    while True:
        cur = at(i)
        if cur == 0x5C and n - i >= 2:  # backslash: the next byte, compared exactly
            i += 1
            items.append((0, p[i], 0))
        elif cur == 0x5D:  # ]
            break
        elif n - i == 0:  # unterminated: the class ends with the pattern
            i -= 1
            break
        elif n - i >= 3 and p[i + 1] == 0x2D:  # a-b
            items.append((1, p[i], p[i + 2]))
            i += 2
        else:
            items.append((2, cur, 0))
        i += 1
    accepted = set()
    for c in range(256):
        match = False
        for kind, a, b in items:
            if kind == 0:
                if a == c:
                    match = True
            elif kind == 1:
                start, end, sc = _signed(a), _signed(b), _signed(c)
                if start > end:
                    start, end = end, start
                if nocase:
                    start, end, sc = _lower(start), _lower(end), _lower(sc)
                if start <= sc <= end:
                    match = True
            elif nocase:
                if _lower(_signed(a)) == _lower(_signed(c)):
                    match = True
            elif a == c:
                match = True
        if match != negate:
            accepted.add(c)
    return frozenset(accepted), i + 1


def _tokens(p: bytes, nocase: bool) -> list:
    """The pattern as a list of elements: ``_STAR`` or the frozenset of bytes one element accepts."""
    out = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == 0x2A:  # *
            if not out or out[-1] is not _STAR:
                out.append(_STAR)
            i += 1
            continue
        if c == 0x3F:  # ?
            out.append(_ANY)
            i += 1
            continue
        if c == 0x5B:  # [
            accepted, i = _class(p, i + 1, nocase)
            out.append(accepted)
            continue
        if c == 0x5C and n - i >= 2:  # \x
            i += 1
            c = p[i]
        if nocase and (65 <= c <= 90 or 97 <= c <= 122):
            out.append(frozenset((c | 0x20, c & ~0x20)))
        else:
            out.append(frozenset((c,)))
        i += 1
    return out


def _byte_class(accepted: frozenset) -> bytes:
    if len(accepted) == 256:
        return b"."
    if not accepted:
        return b"(?!)"
    if len(accepted) == 1:
        return re.escape(bytes(accepted))
    parts = []
    vals = sorted(accepted)
    start = prev = vals[0]
    for v in vals[1:] + [None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(b"\\x%02x" % start if start == prev else b"\\x%02x-\\x%02x" % (start, prev))
        if v is not None:
            start = prev = v
    return b"[" + b"".join(parts) + b"]"


@functools.lru_cache(maxsize=1024)
def glob_regex(pattern: bytes, nocase: bool = False) -> bytes:
    """The regular expression (bytes, for ``re.DOTALL`` and ``match``) equivalent to ``pattern``."""
    if not pattern:
        return b"\\Z"
    segments = [[]]
    for t in _tokens(pattern, nocase):
        if t is _STAR:
            segments.append([])
        else:
            segments[-1].append(_byte_class(t))
    parts = []
    if not any(segments):
        return b"(?=.)"  # only stars: any non-empty string (a pattern never matches "")
    parts.extend(segments[0])
    if len(segments) == 1:
        parts.append(b"\\Z")
        return b"".join(parts)
    for seg in segments[1:-1]:
        if seg:
            parts.append(b"(?>.*?" + b"".join(seg) + b")")
    if segments[-1]:
        parts.append(b".*")
        parts.extend(segments[-1])
        parts.append(b"\\Z")
    # else: the pattern ends with "*", which matches whatever is left (re.match is anchored
    # at the start only)
    return b"".join(parts)


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: bytes, nocase: bool):
    return re.compile(glob_regex(pattern, nocase), re.DOTALL).match


def glob_match(pattern: bytes, s: bytes, nocase: bool = False) -> bool:
    """stringmatchlen(pattern, s, nocase) != 0."""
    if pattern == b"*":
        return len(s) > 0
    return _compiled(pattern, nocase)(s) is not None


def compile_glob(pattern: bytes, nocase: bool = False):
    """A predicate ``s -> bool`` for matching many strings against one pattern (KEYS, SCAN)."""
    if pattern == b"*":
        return bool
    m = _compiled(pattern, nocase)
    return lambda s: m(s) is not None


def glob_matcher(pattern: bytes, nocase: bool = False):
    """Like :func:`compile_glob` but the predicate returns a truthy match object or None: no
    Python-level wrapper, for ``filter(glob_matcher(p), keys)`` over many keys."""
    if pattern == b"*":
        return bool
    return _compiled(pattern, nocase)
