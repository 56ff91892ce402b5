"""Redis's glob matcher (stringmatchlen), used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ACL.

Not fnmatch: Redis treats ``\\`` as an escape, ``[^...]`` and ``[!...]`` hmm — only ``^`` negates,
ranges may be reversed (``[z-a]``), and an unterminated ``[`` matches literally up to the end.
Compiled patterns are cached, and ``*`` alone short-circuits.
"""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=1024)
def _compile(pattern: bytes, nocase: bool):
    i, n = 0, len(pattern)
    out = []
    while i < n:
        c = pattern[i]
        if c == 0x2A:  # *
            while i + 1 < n and pattern[i + 1] == 0x2A:
                i += 1
            out.append(b".*")
        elif c == 0x3F:  # ?
            out.append(b".")
        elif c == 0x5B:  # [
            i += 1
            neg = i < n and pattern[i] == 0x5E
            if neg:
                i += 1
            items = []
            while i < n and pattern[i] != 0x5D:
                if pattern[i] == 0x5C and i + 1 < n:
                    i += 1
                    items.append(re.escape(bytes([pattern[i]])))
                elif i + 2 < n and pattern[i + 1] == 0x2D and pattern[i + 2] != 0x5D:
                    a, b = pattern[i], pattern[i + 2]
                    if a > b:
                        a, b = b, a
                    items.append(re.escape(bytes([a])) + b"-" + re.escape(bytes([b])))
                    i += 2
                else:
                    items.append(re.escape(bytes([pattern[i]])))
                i += 1
            # an unterminated class in Redis just ends the pattern
            body = b"".join(items)
            if not body:
                out.append(b"(?!)" if not neg else b".")
            else:
                out.append(b"[" + (b"^" if neg else b"") + body + b"]")
        elif c == 0x5C and i + 1 < n:
            i += 1
            out.append(re.escape(bytes([pattern[i]])))
        else:
            out.append(re.escape(bytes([c])))
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    return re.compile(b"".join(out) + b"\\Z", flags)


def glob_match(pattern: bytes, s: bytes, nocase: bool = False) -> bool:
    if pattern == b"*":
        return True
    return _compile(pattern, nocase).match(s) is not None


def compile_glob(pattern: bytes, nocase: bool = False):
    """A predicate ``s -> bool`` for repeated matching (KEYS, SCAN)."""
    if pattern == b"*":
        return lambda s: True
    m = _compile(pattern, nocase).match
    return lambda s: m(s) is not None
