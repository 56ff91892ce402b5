"""server/glob.py against a line-by-line port of Redis 6.2's stringmatchlen (util.c).

The port below is deliberately naive (recursive, char by char, C ``signed char`` semantics);
random patterns and strings over a small alphabet full of metacharacters must give the same
answer from both, with and without ``nocase``.
"""

from __future__ import annotations

import random

import pytest

from perdure.server.glob import compile_glob, glob_match


def _s(c: int) -> int:
    return c - 256 if c >= 128 else c


def _low(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def stringmatchlen(p: bytes, s: bytes, nocase: bool = False) -> bool:
    """util.c stringmatchlen_impl, ported literally (indexes instead of pointers)."""

    def at(buf, k):
        return buf[k] if k < len(buf) else 0

    def impl(pi, si):
        plen, slen = len(p) - pi, len(s) - si
        while plen and slen:
            c = p[pi]
            if c == 0x2A:
                while plen and at(p, pi + 1) == 0x2A:
                    pi += 1
                    plen -= 1
                if plen == 1:
                    return True
                while slen:
                    if impl(pi + 1, si):
                        return True
                    si += 1
                    slen -= 1
                return False
            elif c == 0x3F:
                si += 1
                slen -= 1
            elif c == 0x5B:
                pi += 1
                plen -= 1
                neg = at(p, pi) == 0x5E
                if neg:
                    pi += 1
                    plen -= 1
                match = False
                while True:
                    if at(p, pi) == 0x5C and plen >= 2:
                        pi += 1
                        plen -= 1
                        if p[pi] == s[si]:
                            match = True
                    elif at(p, pi) == 0x5D:
                        break
                    elif plen == 0:
                        pi -= 1
                        plen += 1
                        break
                    elif plen >= 3 and p[pi + 1] == 0x2D:
                        start, end, sc = _s(p[pi]), _s(p[pi + 2]), _s(s[si])
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, sc = _low(start), _low(end), _low(sc)
                        pi += 2
                        plen -= 2
                        if start <= sc <= end:
                            match = True
                    else:
                        if nocase:
                            if _low(_s(p[pi])) == _low(_s(s[si])):
                                match = True
                        elif p[pi] == s[si]:
                            match = True
                    pi += 1
                    plen -= 1
                if neg:
                    match = not match
                if not match:
                    return False
                si += 1
                slen -= 1
            else:
                if c == 0x5C and plen >= 2:
                    pi += 1
                    plen -= 1
                if nocase:
                    if _low(_s(p[pi])) != _low(_s(s[si])):
                        return False
                elif p[pi] != s[si]:
                    return False
                si += 1
                slen -= 1
            pi += 1
            plen -= 1
            if slen == 0:
                while at(p, pi) == 0x2A and plen:
                    pi += 1
                    plen -= 1
                break
        return plen == 0 and slen == 0

    return impl(0, 0)


ALPHABET = b"ab*?[]^-\\!A\x00\xff"


def test_random_patterns_agree_with_stringmatchlen():
    rnd = random.Random(1234)
    for _ in range(20000):
        p = bytes(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 7)))
        s = bytes(rnd.choice(b"ab-]^\\A\x00\xff!") for _ in range(rnd.randint(0, 5)))
        for nocase in (False, True):
            assert glob_match(p, s, nocase) == stringmatchlen(p, s, nocase), (p, s, nocase)
            assert compile_glob(p, nocase)(s) == stringmatchlen(p, s, nocase), (p, s, nocase)


@pytest.mark.parametrize(
    "pattern, string, expected",
    [
        (b"*", b"", False),
        (b"", b"", True),
        (b"**", b"a", True),
        (b"[a-]", b"]", True),
        (b"[a-]x", b"x", True),  # the range eats the "]": the class goes on
        (b"[a-]x", b"^x", False),
        (b"[a-\xff]", b"\xff", True),  # signed chars: the range is \xff..a
        (b"[a-\xff]", b"\x80", False),
        (b"h[!e]llo", b"hello", True),  # "!" does not negate
        (b"a\\", b"a\\", True),
        (b"[abc", b"b", True),
        (b"a[", b"a", False),
        (b"[^", b"z", True),
        (b"HeLLo", b"hello", False),
    ],
)
def test_known_cases(pattern, string, expected):
    assert glob_match(pattern, string) is expected
    assert stringmatchlen(pattern, string) is expected


def test_nocase():
    assert glob_match(b"HE*O", b"hello", nocase=True)
    assert glob_match(b"[A-C]", b"b", nocase=True)
    assert not glob_match(b"[\\B]", b"b", nocase=True)  # escaped class bytes do not fold


def test_no_catastrophic_backtracking():
    import time

    s = b"a" * 5000
    t0 = time.perf_counter()
    assert not glob_match(b"*a*a*a*a*a*a*a*a*a*a*a*a*b", s)
    assert glob_match(b"*a*a*a*a*a*a*a*a*a*a*a*a", s)
    assert time.perf_counter() - t0 < 1.0
