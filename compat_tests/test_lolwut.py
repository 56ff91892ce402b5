"""LOLWUT [VERSION v] [arg ...] (Redis 6.2's lolwut.c, lolwut5.c, lolwut6.c).

The art is random, so most tests check its shape (lines, characters per line, the caption, the
blank line Redis leaves or not before it), its alphabet (braille dots; four ANSI grays) and the
argument handling.  The first two rows of squares of version 5 are not random: with at most two
squares per column the whole drawing is fixed, and it is compared character for character.
Every expected value here was read from Redis 6.2.14.
"""

from __future__ import annotations

import re

import pytest

from .helpers import err, ex

NOT_INT = "ERR value is not an integer or out of range"
SCHOTTER = "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 6.2.14\n"
SKYLINE = ("\nDedicated to the 8 bit game developers of past and present.\n"
           "Original 8 bit image from Plaguemon by hikikomori. Redis ver. 6.2.14\n")
CELL = r"\x1b\[(?:0;30;40m|0;90;100m|0;37;47m|0;97;107m) \x1b\[0m"


def lolwut(r2, *args) -> str:
    return ex(r2, "LOLWUT", *args).decode()


def schotter_lines(text: str) -> list[str]:
    """The drawing of a version 5 reply, split at newlines (a final "" when the drawing ends
    with a newline, as Redis's does unless its last text line ends on the canvas's last line)."""
    assert text.endswith(SCHOTTER), text[-200:]
    art = text[: -len(SCHOTTER)]
    lines = art.split("\n")
    for line in lines:
        assert all(0x2800 <= ord(ch) <= 0x28FF for ch in line), line  # braille patterns only
    return lines


def skyline_rows(text: str) -> list[str]:
    assert text.endswith(SKYLINE), text[-200:]
    return text[: -len(SKYLINE)].split("\n")


# --------------------------------------------------------------------------- versions


def test_default_is_version_6_skyline(r2):
    rows = skyline_rows(lolwut(r2))
    assert len(rows) == 20
    for row in rows:
        assert re.fullmatch("(?:%s){80}" % CELL, row), row[:200]


@pytest.mark.parametrize("args, cols, nrows", [
    (("1", "1"), 1, 1),
    (("3", "2"), 3, 2),
    (("7",), 7, 20),
    (("0", "0"), 1, 1),
    (("-5", "-5"), 1, 1),
    (("1001", "2"), 1000, 2),
    (("2", "1001"), 2, 1000),
    (("4", "3", "ignored", "x"), 4, 3),
])
def test_version_6_size(r2, args, cols, nrows):
    rows = skyline_rows(lolwut(r2, "VERSION", "6", *args))
    assert len(rows) == nrows
    for row in rows:
        assert re.fullmatch("(?:%s){%d}" % (CELL, cols), row), row[:200]


def test_version_6_uses_the_grays(r2):
    text = "".join(lolwut(r2, "VERSION", "6", "200", "60") for _ in range(3))
    for color in ("0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"):
        assert "\x1b[" + color in text


def test_version_5_default_size(r2):
    lines = schotter_lines(lolwut(r2, "VERSION", "5"))
    assert [len(x) for x in lines] == [66] * 49 + [0]


def test_version_5_first_rows_of_squares_are_fixed(r2):
    lines = schotter_lines(lolwut(r2, "VERSION", "5"))
    top = "\u2800" + ("\u2864" + "\u2824" * 7) * 8 + "\u2844"
    side = "\u2800" + ("\u2847" + "\u2800" * 7) * 8 + "\u2847"
    middle = "\u2800" + ("\u2867" + "\u2824" * 7) * 8 + "\u2847"
    assert lines[:8] == [top, side, side, side, middle, side, side, side]


@pytest.mark.parametrize("args, expected", [
    (("10", "3", "2"), "⢰⠒⠒⢲⠒⠒⣶⠒⠒⡆\n⢸⣀⣀⣸⣀⣀⣿⣀⣀⡇\n⢸⠀⠀⢸⠀⠀⣿⠀⠀⡇\n⠘⠒⠒⠚⠒⠒⠛⠒⠒⠃\n"),
    (("2", "1", "1"), "⡏⠉\n"),
    (("3", "2", "2"), "⢰⣶⡆\n⠈⠉⠁\n"),
    # a drawing whose last text line ends on the canvas's last line: no newline, no blank line
    (("12", "4", "1"), "⢰⠒⠒⣶⠒⢲⡖⠒⣶⠒⠒⡆\n⢸⣀⣀⣿⣀⣸⣇⣀⣿⣀⣀⡇\n⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀"),
    (("0", "0", "0"), "⠋\n"),  # clamped to 1 1 1
    (("-7", "-7", "-7", "junk"), "⠋\n"),
])
def test_version_5_fixed_drawings(r2, args, expected):
    assert lolwut(r2, "VERSION", "5", *args) == expected + SCHOTTER


@pytest.mark.parametrize("args, nlines, width, blank", [
    (("66", "8", "12"), 49, 66, True),
    (("1",), 1, 1, True),
    (("2",), 2, 2, True),
    (("3", "1", "1"), 2, 3, True),
    (("40", "5", "7"), 28, 40, True),
    (("17", "3", "9"), 24, 17, True),
    (("80", "10", "10"), 40, 80, True),
    (("20", "4", "5"), 13, 20, False),
    (("20", "7", "12"), 17, 20, False),
    (("30", "3", "8"), 39, 30, False),
    (("100", "3", "200"), 3268, 100, True),
    (("1000", "200", "200"), 500, 1000, True),
    (("1001", "201", "201"), 500, 1000, True),  # clamped to 1000 200 200
])
def test_version_5_size(r2, args, nlines, width, blank):
    lines = schotter_lines(lolwut(r2, "VERSION", "5", *args))
    assert [len(x) for x in lines] == [width] * nlines + ([0] if blank else [])


@pytest.mark.parametrize("version", ["0", "1", "4", "7", "10", "50", "-1", "-5", "4294967297"])
def test_other_versions_print_the_version(r2, version):
    assert lolwut(r2, "VERSION", version) == "Redis ver. 6.2.14\n"
    assert lolwut(r2, "VERSION", version, "x", "y") == "Redis ver. 6.2.14\n"  # no arguments read


def test_version_is_cut_to_32_bits(r2):
    # "%u" of an unsigned int: 2**32 + 5 is version 5, 2**32 + 6 version 6
    assert lolwut(r2, "VERSION", "4294967301", "2", "1", "1") == "⡏⠉\n" + SCHOTTER
    rows = skyline_rows(lolwut(r2, "VERSION", "4294967302", "2", "1"))
    assert len(rows) == 1 and re.fullmatch("(?:%s){2}" % CELL, rows[0])


def test_version_keyword_is_case_insensitive_and_only_first(r2):
    assert lolwut(r2, "version", "4") == "Redis ver. 6.2.14\n"
    assert lolwut(r2, "VeRsIoN", "5", "2", "1", "1") == "⡏⠉\n" + SCHOTTER
    # anywhere else it is an argument of the default version (6): not an integer
    assert err(r2, "LOLWUT", "1", "VERSION", "5") == NOT_INT


@pytest.mark.parametrize("args", [
    ("VERSION",),  # only one argument: the columns of version 6
    ("x",),
    ("1", "x"),
    ("VERSION", "x"),
    ("VERSION", "5.0"),
    ("VERSION", "+5"),
    ("VERSION", " 5"),
    ("VERSION", "9999999999999999999"),
    ("VERSION", "5", "x"),
    ("VERSION", "5", "10", "x"),
    ("VERSION", "5", "10", "2", "x"),
    ("VERSION", "5", "1.5"),
    ("VERSION", "6", "x"),
    ("VERSION", "6", "10", "x"),
    ("VERSION", "6", "99999999999999999999"),
])
def test_argument_errors(r2, args):
    assert err(r2, "LOLWUT", *args) == NOT_INT


# --------------------------------------------------------------------------- the reply


def test_reply_is_verbatim_text_in_resp3(raw):
    raw.cmd("HELLO", "3")
    assert raw.cmd("LOLWUT", "VERSION", "4") == b"=22\r\ntxt:Redis ver. 6.2.14\n\r\n"
    reply = raw.cmd("LOLWUT", "VERSION", "5", "2", "1", "1")
    body = ("txt:⡏⠉\n" + SCHOTTER).encode()
    assert reply == b"=%d\r\n%s\r\n" % (len(body), body)


def test_reply_is_bulk_string_in_resp2(raw):
    assert raw.cmd("LOLWUT", "VERSION", "4") == b"$18\r\nRedis ver. 6.2.14\n\r\n"


def test_command_info(r2):
    assert ex(r2, "COMMAND", "INFO", "lolwut") == [
        [b"lolwut", -1, [b"readonly", b"fast"], 0, 0, 0, [b"@read", b"@fast"]]]


def test_lolwut_in_multi_and_lua(r2):
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "LOLWUT", "VERSION", "3") == b"QUEUED"
    assert ex(r2, "EXEC") == [b"Redis ver. 6.2.14\n"]
    assert ex(r2, "EVAL", "return redis.call('lolwut', 'version', '4')", "0") == b"Redis ver. 6.2.14\n"
