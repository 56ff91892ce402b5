"""Redis's glob matcher (``stringmatchlen`` in util.c), as ACL key and channel patterns use it.

Not :mod:`fnmatch`: ``\\`` escapes the next byte (also inside ``[...]``), only ``^`` negates a
class, a range may be written backwards (``[z-a]``), ``[a-]`` is the range from ``a`` to
``]``, an unterminated ``[`` class simply ends the pattern, and — a quirk ACL inherits — a
pattern never matches the empty string unless the pattern is empty too (``*`` does not match
``""``).  Ranges compare bytes as C's signed ``char`` (bytes >= 0x80 sort below ``\\x00``).

Patterns are translated once into an equivalent regular expression in which every ``[...]``
class becomes the exact set of bytes it accepts (computed with the C rules above), so matching
is one ``re.fullmatch`` and several patterns can be joined into one alternation.
"""

from __future__ import annotations

import functools
import re

__all__ = ["stringmatch", "compile_patterns", "pattern_regex"]


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _class_bytes(pattern: bytes, i: int):
    """Parse the class body starting after ``[`` at ``i``: return (set of bytes, next index)."""
    n = len(pattern)

    def at(k):
        return pattern[k] if k < n else 0

    neg = at(i) == 0x5E  # ^
    if neg:
        i += 1
    members = set()
    while True:
        remaining = n - i
        c = at(i)
        if c == 0x5C and remaining >= 2:  # backslash escape: compared as is (even with nocase)
            i += 1
            members.add(pattern[i])
        elif c == 0x5D:  # ]
            break
        elif remaining <= 0:
            # unterminated class: Redis steps back one byte so the outer loop ends the pattern
            i = n - 1
            break
        elif remaining >= 3 and at(i + 1) == 0x2D:  # a-b
            start, end = _signed(pattern[i]), _signed(pattern[i + 2])
            if start > end:
                start, end = end, start
            for b in range(256):
                if start <= _signed(b) <= end:
                    members.add(b)
            i += 2
        else:
            members.add(c)
        i += 1
    if neg:
        members = set(range(256)) - members
    return members, i + 1


def _byte_class(members) -> bytes:
    if not members:
        return b"(?!)"
    if len(members) == 256:
        return b"[\\x00-\\xff]"
    return b"[" + b"".join(b"\\x%02x" % m for m in sorted(members)) + b"]"


@functools.lru_cache(maxsize=4096)
def pattern_regex(pattern: bytes) -> bytes:
    """The regular-expression source (bytes, to be used with DOTALL) equivalent to ``pattern``."""
    if not pattern:
        return b""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 0x2A:  # *
            while i + 1 < n and pattern[i + 1] == 0x2A:
                i += 1
            out.append(b".*")
            i += 1
        elif c == 0x3F:  # ?
            out.append(b".")
            i += 1
        elif c == 0x5B:  # [
            members, i = _class_bytes(pattern, i + 1)
            out.append(_byte_class(members))
        elif c == 0x5C and i + 1 < n:  # \x
            out.append(re.escape(pattern[i + 1:i + 2]))
            i += 2
        else:
            out.append(re.escape(pattern[i:i + 1]))
            i += 1
    # A non-empty pattern never matches the empty string (the C loop never runs).
    return b"(?=.)" + b"".join(out)


def compile_patterns(patterns):
    """One predicate ``s -> bool``: does ``s`` match any of ``patterns`` (Redis glob)?"""
    patterns = list(patterns)
    if not patterns:
        return lambda s: False
    alts = b"|".join(b"(?:" + pattern_regex(p) + b")" for p in patterns)
    m = re.compile(alts, re.DOTALL).fullmatch
    return lambda s: m(s) is not None


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: bytes):
    return re.compile(pattern_regex(pattern), re.DOTALL).fullmatch


def stringmatch(pattern: bytes, s: bytes) -> bool:
    """``stringmatchlen(pattern, s, nocase=0)``."""
    return _compiled(pattern)(s) is not None
