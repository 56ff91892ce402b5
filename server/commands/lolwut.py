"""LOLWUT (lolwut.c, lolwut5.c, lolwut6.c): computer art and the server version.

``LOLWUT [VERSION v] [arg ...]`` answers a verbatim string (``txt``; a bulk string in RESP2)
ending with ``Redis ver. 6.2.14\\n``.  Which art is drawn depends on the version, as Redis
picks it from the text ``"%u.0.0" % v`` (so ``v`` is cut to 32 bits: ``VERSION 4294967301``
is version 5); without ``VERSION`` it is this server's 6.2.14, hence version 6:

* version 5: Georg Nees's *Schotter*, a grid of squares more and more rotated and shifted
  towards the bottom, drawn on a 2-dots-per-column, 4-dots-per-line canvas and printed as
  Unicode braille characters.  Arguments: columns (66), squares per row (8), squares per
  column (12), clamped to 1..1000, 1..200, 1..200.
* version 6: a skyline of skyscrapers in the four grays of a terminal (ANSI colour escapes,
  one space per pixel).  Arguments: columns (80), rows (20), each clamped to 1..1000.
* any other version: only the version line.

Every argument must be an integer (else ``ERR value is not an integer or out of range``);
extra arguments are ignored.  The drawing is random, as in Redis; only the first two rows of
squares of *Schotter* are fixed, and they come out pixel for pixel as Redis draws them: the
geometry is computed with C ``float`` rounding (:func:`_f32`) and C ``round()`` where Redis
uses them, since a rounding difference moves a square's corner by one dot.
"""

from __future__ import annotations

import math
import random
import struct

from .. import errors, resp
from ..args import to_int
from ..errors import RedisError
from ..registry import command

_VERSION = b"6.2.14"
_rng = random.Random()


def _rand() -> int:
    """C ``rand()``: 0 .. RAND_MAX (2**31 - 1)."""
    return _rng.getrandbits(31)


_F32 = struct.Struct("f")


def _f32(x: float) -> float:
    """``x`` stored in a C float."""
    return _F32.unpack(_F32.pack(x))[0]


def _c_round(x: float) -> float:
    """C ``round()``: halves away from zero (Python's ``round`` goes to even)."""
    if x < 0:
        return -_c_round(-x)
    f = math.floor(x)
    return f + 1 if x - f >= 0.5 else f


def _arg_ints(argv, defaults):
    """getLongFromObjectOrReply on each given argument, in order; missing ones default."""
    out = list(defaults)
    for i in range(min(len(argv) - 1, len(defaults))):
        v = to_int(argv[i + 1])
        if v is None:
            raise RedisError(errors.NOT_INTEGER)
        out[i] = v
    return out


def _clamp(v: int, lo: int, hi: int) -> int:
    return lo if v < lo else hi if v > hi else v


# --------------------------------------------------------------------------- the canvas

class _Canvas:
    """A width x height grid of small colour numbers; drawing outside it is ignored."""

    __slots__ = ("width", "height", "rows")

    def __init__(self, width: int, height: int, bg: int):
        self.width = width
        self.height = height
        self.rows = [bytearray([bg]) * width for _ in range(height)]

    def get(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.rows[y][x]
        return 0

    def set(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.rows[y][x] = color

    def hline(self, y: int, x0: int, x1: int, color: int) -> None:
        """Pixels x0..x1-1 of line y."""
        if 0 <= y < self.height:
            x0, x1 = max(x0, 0), min(x1, self.width)
            if x0 < x1:
                self.rows[y][x0:x1] = bytes([color]) * (x1 - x0)

    def line(self, x1: int, y1: int, x2: int, y2: int, color: int) -> None:
        """Bresenham, from (x1, y1) to (x2, y2) both included (lwDrawLine)."""
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx = 1 if x1 < x2 else -1
        sy = 1 if y1 < y2 else -1
        err = dx - dy
        put = self.set
        while True:
            put(x1, y1, color)
            if x1 == x2 and y1 == y2:
                return
            e2 = err * 2
            if e2 > -dy:
                err -= dy
                x1 += sx
            if e2 < dx:
                err += dx
                y1 += sy

    def square(self, x: int, y: int, size: float, angle: float, color: int) -> None:
        """A square centred on (x, y), side ``size``, rotated by ``angle`` (lwDrawSquare): its
        corners are on the circle through them, at 45 degrees + angle and every 90 degrees."""
        size = _f32(_c_round(_f32(size / 1.4142135623)))  # the circle's radius, in a float
        k = _f32(math.pi / 4 + angle)
        px, py = [], []
        for _ in range(4):
            px.append(int(_c_round(math.sin(k) * size + x)))
            py.append(int(_c_round(math.cos(k) * size + y)))
            k = _f32(k + math.pi / 2)
        for j in range(4):
            self.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color)


# --------------------------------------------------------------------------- version 5

# U+2800 + n in UTF-8: the braille character whose dots are the bits of n.
_BRAILLE = [chr(0x2800 + n).encode() for n in range(256)]


def _schotter(cols: int, per_row: int, per_col: int) -> _Canvas:
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = _f32(_f32(width - padding * 2) / per_row)
    height = int(_f32(_f32(side * per_col) + padding * 2))
    canvas = _Canvas(width, height, 0)
    half = _f32(side / 2)
    for y in range(per_col):
        for x in range(per_row):
            sx = int(_f32(_f32(_f32(x * side) + half) + padding))
            sy = int(_f32(_f32(_f32(y * side) + half) + padding))
            angle = 0.0
            if y > 1:  # the first two rows stay in order; then more chaos row after row
                r = []
                for _ in range(3):
                    v = _f32(_f32(_f32(_rand() / 2147483647.0) / per_col) * y)
                    r.append(v)
                r = [-v if _rand() % 2 else v for v in r]
                angle = r[0]
                sx = int(_f32(sx + _f32(_f32(r[1] * side) / 3)))
                sy = int(_f32(sy + _f32(_f32(r[2] * side) / 3)))
            canvas.square(sx, sy, side, angle, 1)
    return canvas


def _render_braille(canvas: _Canvas) -> bytes:
    """Each 2x4 block of dots as one braille character, dot bits 0-7 being
    (0,0) (0,1) (0,2) (1,0) (1,1) (1,2) (0,3) (1,3); a line of text every 4 canvas lines, each
    followed by a newline except one ending exactly on the canvas's last line (as Redis)."""
    w, h = canvas.width, canvas.height
    n = (w + 1) // 2
    blank = bytes(w + 1)
    rows = canvas.rows
    out = []
    for y in range(0, h, 4):
        quad = [(rows[y + i] + b"\0") if y + i < h else blank for i in range(4)]
        # One byte per dot, 0 or 1: OR-ing whole shifted rows builds every character's byte
        # at once (no carry can cross a byte).
        ev = [int.from_bytes(q[0:2 * n:2], "big") for q in quad]
        od = [int.from_bytes(q[1:2 * n + 1:2], "big") for q in quad]
        code = (ev[0] | ev[1] << 1 | ev[2] << 2 | od[0] << 3 | od[1] << 4 | od[2] << 5
                | ev[3] << 6 | od[3] << 7)
        out.append(b"".join([_BRAILLE[b] for b in code.to_bytes(n, "big")]))
        if y != h - 1:
            out.append(b"\n")
    return b"".join(out)


def _lolwut5(argv) -> bytes:
    cols, per_row, per_col = _arg_ints(argv, (66, 8, 12))
    canvas = _schotter(_clamp(cols, 1, 1000), _clamp(per_row, 1, 200), _clamp(per_col, 1, 200))
    return (_render_braille(canvas) + b"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. "
            + _VERSION + b"\n")


# --------------------------------------------------------------------------- version 6

# black, gray 1, gray 2, white: foreground and background, a space between.
_CELLS = [b"\033[%s \033[0m" % ce for ce in (b"0;30;40m", b"0;90;100m", b"0;37;47m", b"0;97;107m")]


def _skyscraper(canvas: _Canvas, xoff: int, width: int, height: int, windows: bool, color: int):
    """One skyscraper standing on the bottom line; its roof two pixels narrower on each side;
    with ``windows``, two-pixel-wide one-pixel-tall windows of a random gray in its inner
    part, every other column pair and every other line."""
    starty = canvas.height - 1
    endy = starty - height + 1
    right = xoff + width
    for y in range(starty, endy - 1, -1):
        if y == endy:
            canvas.hline(y, xoff + 2, right - 2, color)
        else:
            canvas.hline(y, xoff, right, color)
        if not windows or not endy + 1 < y < starty - 1:
            continue
        rely = y - (endy + 1)
        if not rely % 2:
            continue
        for x in range(xoff + 2, right - 2):
            relx = x - (xoff + 1)
            if (relx // 2) % 2:
                c = 1 + _rand() % 2
                while c == color:
                    c = 1 + _rand() % 2
                if relx % 2:
                    c = canvas.get(x - 1, y)  # the window's second pixel: the same gray
                canvas.set(x, y, c)


def _skyline(canvas: _Canvas) -> None:
    w, h = canvas.width, canvas.height
    # background skyscrapers, no windows: the lighter gray first, so it stays behind
    for color in (2, 1):
        offset = -10
        while offset < w:
            offset += _rand() % 8
            width = 10 + _rand() % 9
            height = h // 2 + (_rand() % h) // (2 if color == 2 else 3)
            _skyscraper(canvas, offset, width, height, False, color)
            offset += width // 2 if color == 2 else width + 1
    # foreground skyscrapers, black, with windows
    offset = -10
    while offset < w:
        offset += _rand() % 8
        width = 5 + _rand() % 14
        if width % 4:
            width += width % 3
        height = h // 3 + (_rand() % h) // 2
        _skyscraper(canvas, offset, width, height, True, 0)
        offset += width + 5


def _lolwut6(argv) -> bytes:
    cols, rows = _arg_ints(argv, (80, 20))
    canvas = _Canvas(_clamp(cols, 1, 1000), _clamp(rows, 1, 1000), 3)
    _skyline(canvas)
    cells = _CELLS
    art = b"\n".join(b"".join([cells[p] for p in row]) for row in canvas.rows)
    return (art + b"\nDedicated to the 8 bit game developers of past and present.\n"
            b"Original 8 bit image from Plaguemon by hikikomori. Redis ver. " + _VERSION + b"\n")


# --------------------------------------------------------------------------- the command

@command("lolwut", -1, "readonly fast no-data")
def lolwut(c, argv):
    "LOLWUT [VERSION version] [arg ...]"
    version = _VERSION
    if len(argv) >= 3 and argv[1].lower() == b"version":
        v = to_int(argv[2])
        if v is None:
            raise RedisError(errors.NOT_INTEGER)
        version = b"%d.0.0" % (v & 0xFFFFFFFF)  # "%u" of an unsigned int
        argv = argv[:1] + argv[3:]  # the versions' own arguments follow
    head, dot, minor = version[:1], version[1:2], version[2:3]
    if dot == b"." and ((head == b"5" and minor != b"9") or (head == b"4" and minor == b"9")):
        return resp.Verbatim(_lolwut5(argv))
    if dot == b"." and ((head == b"6" and minor != b"9") or (head == b"5" and minor == b"9")):
        return resp.Verbatim(_lolwut6(argv))
    return resp.Verbatim(b"Redis ver. " + _VERSION + b"\n")
