"""Geohash arithmetic, as Redis 6.2 does it (geohash.c, geohash_helper.c).

A position is stored as the score of a sorted-set member: the 52-bit interleaving of the
26-bit latitude and longitude cells (latitude bits on the even positions) over the Web
Mercator ranges (longitude -180..180, latitude -85.05112878..85.05112878).  Every function
here repeats the C code's floating-point operations in the same order, so scores, decoded
coordinates, distances (haversine with Redis's earth radius), GEOHASH strings and the set of
search boxes (:func:`areas_by_shape`: the centre cell plus its 8 neighbours, some excluded)
come out bit for bit as in Redis; Python floats are IEEE doubles and ``math`` calls the same
libm.
"""

from __future__ import annotations

import math

GEO_STEP_MAX = 26
GEO_LAT_MIN = -85.05112878
GEO_LAT_MAX = 85.05112878
GEO_LONG_MIN = -180.0
GEO_LONG_MAX = 180.0

D_R = math.pi / 180.0
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37

_U64 = 0xFFFFFFFFFFFFFFFF
_U32 = 0xFFFFFFFF
_TWO63 = 9223372036854775808.0
_INT_MIN_BITS = 0x8000000000000000

_ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"


def deg_rad(ang: float) -> float:
    return ang * D_R


def rad_deg(ang: float) -> float:
    return ang / D_R


# ------------------------------------------------------------------------ bit interleaving

def interleave64(xlo: int, ylo: int) -> int:
    """Bits of ``xlo`` on the even positions, bits of ``ylo`` on the odd ones (uint32 each)."""
    x = xlo & _U32
    y = ylo & _U32
    x = (x | (x << 16)) & 0x0000FFFF0000FFFF
    y = (y | (y << 16)) & 0x0000FFFF0000FFFF
    x = (x | (x << 8)) & 0x00FF00FF00FF00FF
    y = (y | (y << 8)) & 0x00FF00FF00FF00FF
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0F
    y = (y | (y << 4)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x << 2)) & 0x3333333333333333
    y = (y | (y << 2)) & 0x3333333333333333
    x = (x | (x << 1)) & 0x5555555555555555
    y = (y | (y << 1)) & 0x5555555555555555
    return (x | (y << 1)) & _U64


def deinterleave64(interleaved: int) -> int:
    """The inverse of :func:`interleave64`: even bits in the low word, odd in the high."""
    x = interleaved & _U64
    y = x >> 1
    x &= 0x5555555555555555
    y &= 0x5555555555555555
    x = (x | (x >> 1)) & 0x3333333333333333
    y = (y | (y >> 1)) & 0x3333333333333333
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0F
    y = (y | (y >> 2)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FF
    y = (y | (y >> 4)) & 0x00FF00FF00FF00FF
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFF
    y = (y | (y >> 8)) & 0x0000FFFF0000FFFF
    x = (x | (x >> 16)) & 0x00000000FFFFFFFF
    y = (y | (y >> 16)) & 0x00000000FFFFFFFF
    return x | (y << 32)


# --------------------------------------------------------------------- encode / decode

def encode(lon_min, lon_max, lat_min, lat_max, longitude, latitude, step):
    """geohashEncode: the ``2*step``-bit hash of a point, or None outside the ranges."""
    if step > 32 or step == 0 or lat_min == lat_max or lon_min == lon_max:
        return None
    if (longitude > GEO_LONG_MAX or longitude < GEO_LONG_MIN
            or latitude > GEO_LAT_MAX or latitude < GEO_LAT_MIN):
        return None
    if latitude < lat_min or latitude > lat_max or longitude < lon_min or longitude > lon_max:
        return None
    lat_offset = (latitude - lat_min) / (lat_max - lat_min)
    long_offset = (longitude - lon_min) / (lon_max - lon_min)
    lat_offset *= (1 << step)
    long_offset *= (1 << step)
    return interleave64(int(lat_offset), int(long_offset))


def encode_wgs84(longitude: float, latitude: float, step: int = GEO_STEP_MAX):
    return encode(GEO_LONG_MIN, GEO_LONG_MAX, GEO_LAT_MIN, GEO_LAT_MAX, longitude, latitude, step)


def align52(bits: int, step: int) -> int:
    """geohashAlign52Bits."""
    return (bits << (52 - step * 2)) & _U64


def score_of(longitude: float, latitude: float) -> int:
    """The sorted-set score GEOADD stores for a (validated) position."""
    return align52(encode_wgs84(longitude, latitude, GEO_STEP_MAX), GEO_STEP_MAX)


def decode_area(bits: int, step: int, lon_min=GEO_LONG_MIN, lon_max=GEO_LONG_MAX,
                lat_min=GEO_LAT_MIN, lat_max=GEO_LAT_MAX):
    """geohashDecode: (lon_min, lon_max, lat_min, lat_max) of a cell."""
    sep = deinterleave64(bits)
    lat_scale = lat_max - lat_min
    long_scale = lon_max - lon_min
    ilato = sep & _U32
    ilono = (sep >> 32) & _U32
    div = float(1 << step)
    return (lon_min + (ilono * 1.0 / div) * long_scale,
            lon_min + (((ilono + 1) & _U32) * 1.0 / div) * long_scale,
            lat_min + (ilato * 1.0 / div) * lat_scale,
            lat_min + (((ilato + 1) & _U32) * 1.0 / div) * lat_scale)


def score_bits(score: float) -> int:
    """``(uint64_t) score`` as x86-64 code compiled by GCC converts it (out-of-range and
    negative scores included)."""
    if score < _TWO63:
        if score >= -_TWO63:
            return int(score) & _U64
        return _INT_MIN_BITS
    t = score - _TWO63
    if t < _TWO63:
        return int(t) ^ _INT_MIN_BITS
    return 0


def decode_score(score: float):
    """decodeGeohash: (longitude, latitude) of a stored score (clamped to the valid ranges)."""
    a = decode_area(score_bits(score), GEO_STEP_MAX)
    x = (a[0] + a[1]) / 2
    if x > GEO_LONG_MAX:
        x = GEO_LONG_MAX
    if x < GEO_LONG_MIN:
        x = GEO_LONG_MIN
    y = (a[2] + a[3]) / 2
    if y > GEO_LAT_MAX:
        y = GEO_LAT_MAX
    if y < GEO_LAT_MIN:
        y = GEO_LAT_MIN
    return x, y


def geohash_string(score: float) -> bytes:
    """GEOHASH's 11-character standard geohash of a stored score."""
    x, y = decode_score(score)
    bits = encode(-180.0, 180.0, -90.0, 90.0, x, y, 26)
    out = bytearray(11)
    for i in range(10):
        out[i] = _ALPHABET[(bits >> (52 - (i + 1) * 5)) & 0x1F]
    out[10] = _ALPHABET[0]
    return bytes(out)


# ------------------------------------------------------------------------ neighbours

def _move_x(bits: int, step: int, d: int) -> int:
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0x5555555555555555 >> (64 - step * 2)
    if d > 0:
        x = x + (zz + 1)
    else:
        x = x | zz
        x = x - (zz + 1)
    x &= _U64
    x &= 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    return x | y


def _move_y(bits: int, step: int, d: int) -> int:
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    if d > 0:
        y = y + (zz + 1)
    else:
        y = y | zz
        y = y - (zz + 1)
    y &= _U64
    y &= 0x5555555555555555 >> (64 - step * 2)
    return x | y


def neighbors(bits: int, step: int):
    """geohashNeighbors, in geo.c's search order: north, south, east, west, north-east,
    north-west, south-east, south-west."""
    east = _move_x(bits, step, 1)
    west = _move_x(bits, step, -1)
    south = _move_y(bits, step, -1)
    north = _move_y(bits, step, 1)
    north_west = _move_y(_move_x(bits, step, -1), step, 1)
    north_east = _move_y(_move_x(bits, step, 1), step, 1)
    south_east = _move_y(_move_x(bits, step, 1), step, -1)
    south_west = _move_y(_move_x(bits, step, -1), step, -1)
    return [north, south, east, west, north_east, north_west, south_east, south_west]


# ----------------------------------------------------------------------- search areas

def estimate_steps_by_radius(range_meters: float, lat: float) -> int:
    """geohashEstimateStepsByRadius."""
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    if step < 1:
        step = 1
    if step > 26:
        step = 26
    return step


class Shape:
    """GeoShape: a circle (``radius``) or a box (``width``, ``height``) around ``xy``, in the
    unit whose size in meters is ``conversion``."""

    __slots__ = ("box", "lon", "lat", "radius", "width", "height", "conversion")

    def __init__(self):
        self.box = False
        self.lon = self.lat = 0.0
        self.radius = self.width = self.height = 0.0
        self.conversion = 0.0


def _cos(x: float) -> float:
    """C's cos(): NaN for an infinite argument (an infinite radius, width or height makes the
    latitude delta infinite) where Python's raises ValueError."""
    return math.cos(x) if math.isfinite(x) else math.nan


def bounding_box(shape: Shape):
    """geohashBoundingBox: (min_lon, min_lat, max_lon, max_lat)."""
    longitude = shape.lon
    latitude = shape.lat
    if shape.box:
        height = shape.conversion * (shape.height / 2)
        width = shape.conversion * (shape.width / 2)
    else:
        height = width = shape.conversion * shape.radius
    lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS)
    long_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / _cos(deg_rad(latitude + lat_delta)))
    long_delta_bottom = rad_deg(width / EARTH_RADIUS_IN_METERS / _cos(deg_rad(latitude - lat_delta)))
    southern = latitude < 0
    min_lon = longitude - long_delta_bottom if southern else longitude - long_delta_top
    max_lon = longitude + long_delta_bottom if southern else longitude + long_delta_top
    return min_lon, latitude - lat_delta, max_lon, latitude + lat_delta


def areas_by_shape(shape: Shape):
    """geohashCalculateAreasByShapeWGS84 + membersOfAllNeighbors' order: the list of the 9
    ``(bits, step)`` cells to search (centre first), None for an excluded neighbour."""
    min_lon, min_lat, max_lon, max_lat = bounding_box(shape)
    longitude = shape.lon
    latitude = shape.lat
    if shape.box:
        radius_meters = math.sqrt((shape.width / 2) * (shape.width / 2)
                                  + (shape.height / 2) * (shape.height / 2))
    else:
        radius_meters = shape.radius
    radius_meters *= shape.conversion
    steps = estimate_steps_by_radius(radius_meters, latitude)
    hsh = encode_wgs84(longitude, latitude, steps)
    nb = neighbors(hsh, steps)
    decrease = False
    north = decode_area(nb[0], steps)
    south = decode_area(nb[1], steps)
    east = decode_area(nb[2], steps)
    west = decode_area(nb[3], steps)
    if north[3] < max_lat:
        decrease = True
    if south[2] > min_lat:
        decrease = True
    if east[1] < max_lon:
        decrease = True
    if west[0] > min_lon:
        decrease = True
    if steps > 1 and decrease:
        steps -= 1
        hsh = encode_wgs84(longitude, latitude, steps)
        nb = neighbors(hsh, steps)
    area = decode_area(hsh, steps)
    cells = [hsh] + nb  # centre, N, S, E, W, NE, NW, SE, SW
    if steps >= 2:
        if area[2] < min_lat:      # south, south-west, south-east
            cells[2] = cells[8] = cells[7] = None
        if area[3] > max_lat:      # north, north-east, north-west
            cells[1] = cells[5] = cells[6] = None
        if area[0] < min_lon:      # west, south-west, north-west
            cells[4] = cells[8] = cells[6] = None
        if area[1] > max_lon:      # east, south-east, north-east
            cells[3] = cells[7] = cells[5] = None
    return [(c, steps) if c is not None else None for c in cells]


# -------------------------------------------------------------------------- distances

def distance(lon1d: float, lat1d: float, lon2d: float, lat2d: float) -> float:
    """geohashGetDistance: haversine great-circle distance in meters."""
    lat1r = lat1d * D_R
    lon1r = lon1d * D_R
    lat2r = lat2d * D_R
    lon2r = lon2d * D_R
    u = math.sin((lat2r - lat1r) / 2)
    v = math.sin((lon2r - lon1r) / 2)
    a = math.sqrt(u * u + math.cos(lat1r) * math.cos(lat2r) * v * v)
    try:
        return 2.0 * EARTH_RADIUS_IN_METERS * math.asin(a)
    except ValueError:  # a rounded past 1 (near-antipodal points): C's asin gives NaN
        return math.nan


def within(shape: Shape, x: float, y: float):
    """geoWithinShape after decoding: the distance from the centre if (x, y) is inside."""
    if shape.box:
        lon_distance = distance(x, y, shape.lon, y)
        lat_distance = distance(x, y, x, shape.lat)
        if (lon_distance > shape.width * shape.conversion / 2
                or lat_distance > shape.height * shape.conversion / 2):
            return None
        return distance(shape.lon, shape.lat, x, y)
    d = distance(shape.lon, shape.lat, x, y)
    if d > shape.radius * shape.conversion:
        return None
    return d
