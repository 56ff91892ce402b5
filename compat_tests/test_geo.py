"""Geospatial commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEORADIUS[BYMEMBER][_RO], GEOSEARCH,
GEOSEARCHSTORE.

Positions are sorted-set scores (52-bit geohashes); these tests check the scores, the
coordinates and distances to the digit Redis 6.2.14 prints, GEOHASH strings, which members a
search finds (the 9-cell scan, COUNT ... ANY stopping points, the order of members at equal
distances when COUNT cuts a partial sort), the STORE/STOREDIST destinations, and 6.2's error
texts.  Real city coordinates, a regular grid (many ties) and points near the poles and the
antimeridian.  Every expectation was recorded from the oracle.
"""

from __future__ import annotations

import hashlib

import pytest

from .helpers import err, ex

SICILY = (
    "GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
)
WORLD = (
    'GEOADD', 'w',
    '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '12.496366', '41.902782', 'Rome',
    '2.352222', '48.856614', 'Paris', '-0.127758', '51.507351', 'London', '-74.005941', '40.712784', 'New York',
    '139.691706', '35.689487', 'Tokyo', '151.209296', '-33.868820', 'Sydney', '-46.633309', '-23.550520', 'Sao Paulo',
    '31.235712', '30.044420', 'Cairo', '37.617300', '55.755826', 'Moscow', '-21.817439', '64.126521', 'Reykjavik',
    '-149.900278', '61.218056', 'Anchorage', '174.763336', '-36.848461', 'Auckland', '178.441895', '-18.141600', 'Suva',
    '-157.858333', '21.306944', 'Honolulu', '-68.303', '-54.8019', 'Ushuaia', '15.6356', '78.2232', 'Longyearbyen',
    '-78.467834', '-0.180653', 'Quito', '103.819836', '1.352083', 'Singapore', '-179.9', '-16.5', 'Taveuni East',
    '179.9', '-16.6', 'Taveuni West', '8.681495', '49.41461', 'Heidelberg', '9.993682', '53.551085', 'Hamburg',
)
NAMES = [
    'Palermo',
    'Catania',
    'Rome',
    'Paris',
    'London',
    'New York',
    'Tokyo',
    'Sydney',
    'Sao Paulo',
    'Cairo',
    'Moscow',
    'Reykjavik',
    'Anchorage',
    'Auckland',
    'Suva',
    'Honolulu',
    'Ushuaia',
    'Longyearbyen',
    'Quito',
    'Singapore',
    'Taveuni East',
    'Taveuni West',
    'Heidelberg',
    'Hamburg',
]
GRID = ("GEOADD", "g") + tuple(
    a for x in range(-5, 6) for y in range(-5, 6)
    for a in ("%.1f" % (x / 10), "%.1f" % (y / 10), "p%d_%d" % (x, y))
)


@pytest.fixture
def r3(make_client):
    """A RESP3 client (coordinates come back as doubles)."""
    return make_client(protocol=3)


# --------------------------------------------------------------------------- command table

_INFO = {
    "geoadd": [-5, [b"write", b"denyoom"], 1, 1, 1, [b"@write", b"@geo", b"@slow"]],
    "geodist": [-4, [b"readonly"], 1, 1, 1, [b"@read", b"@geo", b"@slow"]],
    "geohash": [-2, [b"readonly"], 1, 1, 1, [b"@read", b"@geo", b"@slow"]],
    "geopos": [-2, [b"readonly"], 1, 1, 1, [b"@read", b"@geo", b"@slow"]],
    "georadius": [-6, [b"write", b"denyoom", b"movablekeys"], 1, 1, 1, [b"@write", b"@geo", b"@slow"]],
    "georadius_ro": [-6, [b"readonly"], 1, 1, 1, [b"@read", b"@geo", b"@slow"]],
    "georadiusbymember": [-5, [b"write", b"denyoom", b"movablekeys"], 1, 1, 1, [b"@write", b"@geo", b"@slow"]],
    "georadiusbymember_ro": [-5, [b"readonly"], 1, 1, 1, [b"@read", b"@geo", b"@slow"]],
    "geosearch": [-7, [b"readonly"], 1, 1, 1, [b"@read", b"@geo", b"@slow"]],
    "geosearchstore": [-8, [b"write", b"denyoom"], 1, 2, 1, [b"@write", b"@geo", b"@slow"]],
}


@pytest.mark.parametrize("name", sorted(_INFO))
def test_command_info(r2, name):
    got = ex(r2, "COMMAND", "INFO", name)[0]
    want = _INFO[name]
    assert got[0] == name.encode()
    assert got[1:6] == want[:5]
    assert sorted(got[6]) == sorted(want[5])


def test_command_getkeys(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m") == [b"k"]
    assert ex(r2, "COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "STORE", "a",
              "STOREDIST", "b") == [b"k", b"b"]
    assert ex(r2, "COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "store") == [b"k"]
    assert ex(r2, "COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "k", "m", "3", "km", "storedist",
              "d") == [b"k", b"d"]
    assert ex(r2, "COMMAND", "GETKEYS", "GEOSEARCHSTORE", "d", "k", "FROMMEMBER", "x",
              "BYRADIUS", "1", "m") == [b"d", b"k"]


# --------------------------------------------------------------------------- scenarios


def test_geoadd_reply_and_scores(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES') == [b'Palermo', b'3479099956230698', b'Catania', b'3479447370796909']
    assert ex(r2, *SICILY) == 0
    assert ex(r2, 'ZSCORE', 'Sicily', 'Palermo') == b'3479099956230698'


def test_geoadd_world_scores(r2):
    assert ex(r2, *WORLD) == 24
    assert ex(r2, 'ZRANGE', 'w', '0', '-1', 'WITHSCORES') == (
        [b'Taveuni East', b'353288520595010', b'Ushuaia', b'650595395073383', b'Sao Paulo',
         b'914304715758722', b'Quito', b'947044397312874', b'Honolulu', b'1207988452459094',
         b'Anchorage', b'1467997318741597', b'New York', b'1791873974571312', b'London',
         b'2163557714754256', b'Reykjavik', b'2216644067918952', b'Sydney', b'3252046221958826',
         b'Auckland', b'3287565651735870', b'Suva', b'3355223389513957', b'Taveuni West',
         b'3355686053042424', b'Palermo', b'3479099956230698', b'Catania', b'3479447370796909', b'Rome',
         b'3480343273965391', b'Cairo', b'3491571984177516', b'Paris', b'3663832779125286',
         b'Heidelberg', b'3666603367648479', b'Hamburg', b'3679671253671090', b'Moscow',
         b'3721706268066672', b'Longyearbyen', b'3757806449814186', b'Singapore', b'3949901648979360',
         b'Tokyo', b'4171231230197027']
    )


def test_geoadd_updates_position(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEOADD', 'Sicily', '13.5', '38.2', 'Palermo') == 0
    assert ex(r2, 'ZSCORE', 'Sicily', 'Palermo') == b'3479101704338477'
    assert ex(r2, 'GEOADD', 'Sicily', '13.5', '38.2', 'Palermo', '1', '1', 'New') == 1


def test_geoadd_nx_xx_ch(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEOADD', 'Sicily', 'NX', '1', '1', 'Palermo', '2', '2', 'Agrigento') == 1
    assert ex(r2, 'ZSCORE', 'Sicily', 'Palermo') == b'3479099956230698'
    assert ex(r2, 'GEOADD', 'Sicily', 'XX', '1', '1', 'Palermo', '3', '3', 'Trapani') == 0
    assert ex(r2, 'ZSCORE', 'Sicily', 'Palermo') == b'3377822707026402'
    assert ex(r2, 'EXISTS', 'Trapani') == 0
    assert ex(r2, 'ZCARD', 'Sicily') == 3
    assert ex(r2, 'GEOADD', 'Sicily', 'CH', '1', '1', 'Palermo', '5', '5', 'Messina') == 1
    assert ex(r2, 'GEOADD', 'Sicily', 'CH', 'XX', '5', '5', 'Messina', '6', '6', 'Ragusa') == 0
    assert ex(r2, 'GEOADD', 'Sicily', 'xx', 'ch', '6', '6', 'Messina') == 1
    assert ex(r2, 'GEOADD', 'Sicily', 'nx', 'ch', '6', '6', 'Messina', '7', '7', 'Enna') == 1
    assert ex(r2, 'ZCARD', 'Sicily') == 5


def test_geoadd_xx_on_missing_key(r2):
    assert ex(r2, 'GEOADD', 'k', 'XX', '1', '2', 'm') == 0
    assert ex(r2, 'EXISTS', 'k') == 0
    assert ex(r2, 'GEOADD', 'k', 'XX', 'CH', '1', '2', 'm') == 0


def test_geoadd_nx_and_xx_together(r2):
    assert err(r2, 'GEOADD', 'k', 'NX', 'XX', '1', '2', 'm') == 'ERR syntax error'
    assert err(r2, 'GEOADD', 'k', 'xx', 'nx', '1', '2', 'm') == 'ERR syntax error'
    assert ex(r2, 'EXISTS', 'k') == 0


def test_geoadd_syntax_errors(r2):
    assert err(r2, 'GEOADD', 'k', '1', '2', 'm', '3') == 'ERR syntax error'
    assert err(r2, 'GEOADD', 'k', '1', '2', 'm', '3', '4') == 'ERR syntax error'
    assert err(r2, 'GEOADD', 'k', 'GT', '1', '2', 'm') == 'ERR syntax error'
    assert err(r2, 'GEOADD', 'k', 'bogus', '1', '2', 'm') == 'ERR syntax error'
    assert err(r2, 'GEOADD', 'k', 'ch', 'nx', 'ch') == 'ERR syntax error'
    assert err(r2, 'GEOADD', 'k', 'ch', 'ch', 'ch', 'ch') == 'ERR syntax error'
    assert err(r2, 'GEOADD', 'k', 'GT', '2', 'm') == 'ERR value is not a valid float'
    assert ex(r2, 'EXISTS', 'k') == 0


def test_geoadd_arity(r2):
    assert err(r2, 'GEOADD', 'k', '1', '2') == "ERR wrong number of arguments for 'geoadd' command"
    assert err(r2, 'GEOADD', 'k') == "ERR wrong number of arguments for 'geoadd' command"
    assert err(r2, 'GEOADD') == "ERR wrong number of arguments for 'geoadd' command"


def test_geoadd_invalid_coordinates(r2):
    assert err(r2, 'GEOADD', 'k', '181', '0', 'm') == 'ERR invalid longitude,latitude pair 181.000000,0.000000'
    assert err(r2, 'GEOADD', 'k', '-180.000001', '0', 'm') == 'ERR invalid longitude,latitude pair -180.000001,0.000000'
    assert err(r2, 'GEOADD', 'k', '0', '85.05112879', 'm') == 'ERR invalid longitude,latitude pair 0.000000,85.051129'
    assert err(r2, 'GEOADD', 'k', '0', '-85.0511288', 'm') == 'ERR invalid longitude,latitude pair 0.000000,-85.051129'
    assert err(r2, 'GEOADD', 'k', '0', '90', 'm') == 'ERR invalid longitude,latitude pair 0.000000,90.000000'
    assert err(r2, 'GEOADD', 'k', 'inf', '0', 'm') == 'ERR invalid longitude,latitude pair inf,0.000000'
    assert err(r2, 'GEOADD', 'k', '0', '-inf', 'm') == 'ERR invalid longitude,latitude pair 0.000000,-inf'
    assert err(r2, 'GEOADD', 'k', '1', '2', 'ok', '200', '2', 'bad') == 'ERR invalid longitude,latitude pair 200.000000,2.000000'
    assert ex(r2, 'EXISTS', 'k') == 0


def test_geoadd_not_a_number(r2):
    assert err(r2, 'GEOADD', 'k', 'abc', '1', 'm') == 'ERR value is not a valid float'
    assert err(r2, 'GEOADD', 'k', '1', 'abc', 'm') == 'ERR value is not a valid float'
    assert err(r2, 'GEOADD', 'k', 'nan', '1', 'm') == 'ERR value is not a valid float'
    assert err(r2, 'GEOADD', 'k', '1e400', '1', 'm') == 'ERR value is not a valid float'
    assert err(r2, 'GEOADD', 'k', ' 1', '1', 'm') == 'ERR value is not a valid float'
    assert err(r2, 'GEOADD', 'k', '1 ', '1', 'm') == 'ERR value is not a valid float'
    assert err(r2, 'GEOADD', 'k', '', '1', 'm') == 'ERR value is not a valid float'
    assert ex(r2, 'GEOADD', 'k', '0x1A', '0x0.8p1', 'hex') == 1
    assert ex(r2, 'ZSCORE', 'k', 'hex') == b'3413531193082858'
    assert err(r2, 'GEOADD', 'k', '1', '2', 'ok', 'x', '2', 'bad') == 'ERR value is not a valid float'
    assert ex(r2, 'EXISTS', 'k') == 1


def test_geoadd_boundaries(r2):
    assert ex(r2, 'GEOADD', 'k', '180', '85.05112878', 'ne', '-180', '-85.05112878', 'sw', '0', '0', 'zero', '180', '-85.05112878', 'se', '-180', '85.05112878', 'nw') == 5
    assert ex(r2, 'ZRANGE', 'k', '0', '-1', 'WITHSCORES') == (
        [b'sw', b'0', b'zero', b'3377699720527872', b'nw', b'4503599627370496', b'se',
         b'9007199254740992', b'ne', b'13510798882111488']
    )
    assert ex(r2, 'GEOPOS', 'k', 'ne', 'sw', 'zero', 'se', 'nw') == (
        [[b'180', b'85.0511287799999991'], [b'-179.99999731779098511', b'-85.05112751263942528'],
         [b'0.00000268220901489', b'0.00000126736058093'], [b'180', b'-85.05112751263942528'],
         [b'-179.99999731779098511', b'85.0511287799999991']]
    )
    assert ex(r2, 'GEOHASH', 'k', 'ne', 'sw', 'zero', 'se', 'nw') == [b'bp05b5048p0', b'00bh0hbj200', b's0000000000', b'00bh0hbj200', b'bp05b5048p0']


def test_geoadd_wrong_type(r2):
    assert ex(r2, 'SET', 's', 'x') == b'OK'
    assert err(r2, 'GEOADD', 's', '1', '2', 'm') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert err(r2, 'GEOADD', 's', '1', '200', 'm') == 'ERR invalid longitude,latitude pair 1.000000,200.000000'


def test_geoadd_binary_members(r2):
    assert ex(r2, 'GEOADD', 'k', '1', '2', b'', '3', '4', b'\x00\xff') == 2
    assert ex(r2, 'GEOPOS', 'k', '', b'\x00\xff') == (
        [[b'0.99999994039535522', b'2.0000001856465488'],
         [b'2.99999982118606567', b'3.99999910393250957']]
    )
    assert ex(r2, 'ZRANGE', 'k', '0', '-1') == [b'', b'\x00\xff']


def test_geoadd_option_words_as_members(r2):
    assert ex(r2, 'GEOADD', 'k', '1', '2', 'nx', '3', '4', 'ch') == 2
    assert ex(r2, 'ZRANGE', 'k', '0', '-1') == [b'nx', b'ch']


def test_geopos_world(r2):
    assert ex(r2, *WORLD) == 24
    assert ex(r2, 'GEOPOS', 'w', *NAMES) == (
        [[b'13.36138933897018433', b'38.11555639549629859'],
         [b'15.08726745843887329', b'37.50266842333162032'],
         [b'12.49636620283126831', b'41.90278213378983452'],
         [b'2.35221952199935913', b'48.85661473867625659'],
         [b'-0.12775629758834839', b'51.50735008547815141'],
         [b'-74.00594204664230347', b'40.71278377862454789'],
         [b'139.69170659780502319', b'35.68948605865241319'],
         [b'151.20929449796676636', b'-33.86882119711083305'],
         [b'-46.63330703973770142', b'-23.55051885721238492'],
         [b'31.23571068048477173', b'30.04442123829442579'],
         [b'37.6172974705696106', b'55.75582663730007482'],
         [b'-21.8174394965171814', b'64.12652021055494345'],
         [b'-149.9002799391746521', b'61.21805695099261868'],
         [b'174.76333826780319214', b'-36.84846196154855136'],
         [b'178.44189673662185669', b'-18.1415987989430576'],
         [b'-157.85833507776260376', b'21.30694337439857833'],
         [b'-68.30300241708755493', b'-54.80189953730982211'],
         [b'15.63560217618942261', b'78.22319957717968464'],
         [b'-78.46783429384231567', b'-0.18065337910783086'],
         [b'103.81983786821365356', b'1.35208236705980056'],
         [b'-179.89999920129776001', b'-16.49999931370297901'],
         [b'179.89999920129776001', b'-16.59999913288122286'],
         [b'8.68149250745773315', b'49.41461078941429719'],
         [b'9.99368280172348022', b'53.55108561736851414']]
    )


def test_geopos_missing(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEOPOS', 'Sicily', 'Palermo', 'nope', 'Catania') == (
        [[b'13.36138933897018433', b'38.11555639549629859'], None,
         [b'15.08726745843887329', b'37.50266842333162032']]
    )
    assert ex(r2, 'GEOPOS', 'nokey', 'a', 'b') == [None, None]
    assert ex(r2, 'GEOPOS', 'Sicily') == []
    assert ex(r2, 'GEOPOS', 'nokey') == []


def test_geopos_resp3(r3):
    assert ex(r3, *SICILY) == 2
    assert ex(r3, 'GEOPOS', 'Sicily', 'Palermo', 'nope') == [[13.361389338970184, 38.1155563954963], None]
    assert ex(r3, 'GEOPOS', 'nokey', 'a') == [None]


def test_geopos_wrong_type_and_arity(r2):
    assert ex(r2, 'SET', 's', 'x') == b'OK'
    assert err(r2, 'GEOPOS', 's', 'a') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert err(r2, 'GEOPOS') == "ERR wrong number of arguments for 'geopos' command"


def test_geohash_world(r2):
    assert ex(r2, *WORLD) == 24
    assert ex(r2, 'GEOHASH', 'w', *NAMES) == (
        [b'sqc8b49rny0', b'sqdtr74hyu0', b'sr2ykk5t6k0', b'u09tvw0f6t0', b'gcpvj0dup10', b'dr5regw90s0',
         b'xn774c06kd0', b'r3gx2f75zf0', b'6gyf4bf8m10', b'stq4yv3jky0', b'ucfv0n014x0', b'ge2kz9ch0c0',
         b'bdvkkbmvn20', b'rckq2gfy0u0', b'ruybu93mt80', b'87z9pyg1fn0', b'4qr2jxx7b90', b'umgj5b17pv0',
         b'6rbnyrj7wg0', b'w21zdqpk3w0', b'2j044k2bd10', b'rvpctdp1vz0', b'u0y1je9svr0',
         b'u1x0ektjtt0']
    )


def test_geohash_missing(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEOHASH', 'Sicily', 'Palermo', 'nope') == [b'sqc8b49rny0', None]
    assert ex(r2, 'GEOHASH', 'nokey', 'a', 'b') == [None, None]
    assert ex(r2, 'GEOHASH', 'Sicily') == []
    assert ex(r2, 'GEOHASH', 'nokey') == []


def test_geohash_resp3_nulls(r3):
    assert ex(r3, *SICILY) == 2
    assert ex(r3, 'GEOHASH', 'Sicily', 'nope', 'Catania') == [None, b'sqdtr74hyu0']


def test_geohash_wrong_type_and_arity(r2):
    assert ex(r2, 'SET', 's', 'x') == b'OK'
    assert err(r2, 'GEOHASH', 's', 'a') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert err(r2, 'GEOHASH') == "ERR wrong number of arguments for 'geohash' command"


def test_positions_of_arbitrary_scores(r2):
    assert ex(r2, 'ZADD', 'z', '-1', 'neg', '1e20', 'big', 'inf', 'pinf', '-inf', 'ninf', '9.3e18', 'b2', '1.8e19', 'b3', '-9.3e18', 'nbig', '0.5', 'half', '4503599627370495.5', 'frac', '4503599627370496', 'two52', '0', 'zero') == 11
    assert ex(r2, 'GEOPOS', 'z', 'neg', 'big', 'pinf', 'ninf', 'b2', 'b3', 'nbig', 'half', 'frac', 'two52', 'zero') == (
        [[b'180', b'85.0511287799999991'], [b'-179.99999731779098511', b'-85.05112751263942528'],
         [b'-179.99999731779098511', b'-85.05112751263942528'], [b'180', b'-85.05112751263942528'],
         [b'180', b'85.0511287799999991'], [b'180', b'85.0511287799999991'],
         [b'180', b'-85.05112751263942528'], [b'-179.99999731779098511', b'-85.05112751263942528'],
         [b'179.99999731779098511', b'85.05112751263942528'],
         [b'-179.99999731779098511', b'85.0511287799999991'],
         [b'-179.99999731779098511', b'-85.05112751263942528']]
    )
    assert ex(r2, 'GEOHASH', 'z', 'neg', 'big', 'pinf', 'ninf', 'b2', 'b3', 'nbig', 'half', 'frac', 'two52', 'zero') == (
        [b'bp05b5048p0', b'00bh0hbj200', b'00bh0hbj200', b'00bh0hbj200', b'bp05b5048p0', b'bp05b5048p0',
         b'00bh0hbj200', b'00bh0hbj200', b'zzpgzgpfxz0', b'bp05b5048p0', b'00bh0hbj200']
    )
    assert ex(r2, 'GEODIST', 'z', 'neg', 'nbig') == b'18919844.5891'
    assert ex(r2, 'GEODIST', 'z', 'half', 'frac', 'km') == b'18919.8444'


def test_geodist_units(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania') == b'166274.1516'
    assert ex(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania', 'm') == b'166274.1516'
    assert ex(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania', 'km') == b'166.2742'
    assert ex(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania', 'mi') == b'103.3182'
    assert ex(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania', 'ft') == b'545518.8700'
    assert ex(r2, 'GEODIST', 'Sicily', 'Catania', 'Palermo', 'km') == b'166.2742'
    assert ex(r2, 'GEODIST', 'Sicily', 'Palermo', 'Palermo') == b'0.0000'


def test_geodist_world_pairs(r2):
    assert ex(r2, *WORLD) == 24
    assert ex(r2, 'GEODIST', 'w', 'London', 'Paris', 'km') == b'343.6460'
    assert ex(r2, 'GEODIST', 'w', 'New York', 'London', 'mi') == b'3462.1620'
    assert ex(r2, 'GEODIST', 'w', 'Tokyo', 'Sydney', 'km') == b'7828.8239'
    assert ex(r2, 'GEODIST', 'w', 'Taveuni East', 'Taveuni West', 'm') == b'24050.3337'
    assert ex(r2, 'GEODIST', 'w', 'Ushuaia', 'Longyearbyen', 'km') == b'15789.2670'
    assert ex(r2, 'GEODIST', 'w', 'Quito', 'Singapore', 'km') == b'19734.8895'
    assert ex(r2, 'GEODIST', 'w', 'Anchorage', 'Reykjavik', 'ft') == b'17799075.6673'
    assert ex(r2, 'GEODIST', 'w', 'Sao Paulo', 'Cairo', 'm') == b'10222539.7550'
    assert ex(r2, 'GEODIST', 'w', 'Heidelberg', 'Hamburg', 'km') == b'468.9544'
    assert ex(r2, 'GEODIST', 'w', 'Suva', 'Honolulu', 'mi') == b'3163.3582'
    assert ex(r2, 'GEODIST', 'w', 'Moscow', 'Auckland', 'km') == b'16202.9010'
    assert ex(r2, 'GEODIST', 'w', 'Rome', 'Palermo', 'm') == b'427629.4625'


def test_geodist_bad_unit_and_syntax(r2):
    assert ex(r2, *SICILY) == 2
    assert err(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania', 'KM') == 'ERR unsupported unit provided. please use m, km, ft, mi'
    assert err(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania', 'Km') == 'ERR unsupported unit provided. please use m, km, ft, mi'
    assert err(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania', 'meters') == 'ERR unsupported unit provided. please use m, km, ft, mi'
    assert err(r2, 'GEODIST', 'Sicily', 'Palermo', 'Catania', 'km', 'extra') == 'ERR syntax error'
    assert err(r2, 'GEODIST', 'nokey', 'a', 'b', 'parsec') == 'ERR unsupported unit provided. please use m, km, ft, mi'
    assert err(r2, 'GEODIST', 'Sicily', 'Palermo') == "ERR wrong number of arguments for 'geodist' command"


def test_geodist_missing(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEODIST', 'Sicily', 'Palermo', 'nope') is None
    assert ex(r2, 'GEODIST', 'Sicily', 'nope', 'Palermo', 'km') is None
    assert ex(r2, 'GEODIST', 'nokey', 'a', 'b') is None


def test_geodist_resp3_null(r3):
    assert ex(r3, *SICILY) == 2
    assert ex(r3, 'GEODIST', 'Sicily', 'Palermo', 'nope') is None
    assert ex(r3, 'GEODIST', 'nokey', 'a', 'b') is None
    assert ex(r3, 'GEODIST', 'Sicily', 'Palermo', 'Catania') == b'166274.1516'


def test_geodist_wrong_type(r2):
    assert ex(r2, 'SET', 's', 'x') == b'OK'
    assert err(r2, 'GEODIST', 's', 'a', 'b') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert err(r2, 'GEODIST', 's', 'a', 'b', 'bad') == 'ERR unsupported unit provided. please use m, km, ft, mi'



def test_georadius_basic(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km') == [b'Palermo', b'Catania']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '100', 'km') == [b'Catania']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'ASC') == [b'Catania', b'Palermo']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'DESC') == [b'Palermo', b'Catania']


def test_georadius_with_options(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST') == [[b'Palermo', b'190.4424'], [b'Catania', b'56.4413']]
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHCOORD') == (
        [[b'Palermo', [b'13.36138933897018433', b'38.11555639549629859']],
         [b'Catania', [b'15.08726745843887329', b'37.50266842333162032']]]
    )
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHHASH') == [[b'Palermo', 3479099956230698], [b'Catania', 3479447370796909]]
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHHASH', 'WITHCOORD', 'WITHDIST', 'ASC') == (
        [[b'Catania', b'56.4413', 3479447370796909, [b'15.08726745843887329', b'37.50266842333162032']],
         [b'Palermo', b'190.4424', 3479099956230698,
          [b'13.36138933897018433', b'38.11555639549629859']]]
    )
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'withdist', 'withdist', 'desc', 'asc') == [[b'Catania', b'56.4413'], [b'Palermo', b'190.4424']]


def test_georadius_units(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200000', 'm', 'WITHDIST', 'ASC') == [[b'Catania', b'56441.2579'], [b'Palermo', b'190442.4298']]
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '124.3', 'mi', 'WITHDIST', 'ASC') == [[b'Catania', b'35.0711'], [b'Palermo', b'118.3357']]
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '656168', 'ft', 'WITHDIST', 'ASC') == [[b'Catania', b'185174.7305'], [b'Palermo', b'624811.1215']]
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '56.4413', 'km', 'WITHDIST', 'ASC') == [[b'Catania', b'56.4413']]
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '56.4412', 'km', 'WITHDIST', 'ASC') == []
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'KM') == 'ERR unsupported unit provided. please use m, km, ft, mi'


def test_georadius_count(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1') == [b'Catania']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1', 'DESC', 'WITHDIST') == [[b'Palermo', b'190.4424']]
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '5') == [b'Catania', b'Palermo']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1', 'ANY') == [b'Palermo']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '2', 'ANY', 'DESC') == [b'Palermo', b'Catania']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '9223372036854775807') == [b'Catania', b'Palermo']


def test_georadius_count_errors(r2):
    assert ex(r2, *SICILY) == 2
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '0') == 'ERR COUNT must be > 0'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '-3') == 'ERR COUNT must be > 0'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', 'x') == 'ERR value is not an integer or out of range'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT') == 'ERR syntax error'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'ANY') == 'ERR the ANY argument requires COUNT argument'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '9223372036854775808') == 'ERR value is not an integer or out of range'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1.5') == 'ERR value is not an integer or out of range'


def test_georadius_argument_errors(r2):
    assert ex(r2, *SICILY) == 2
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '-1', 'km') == 'ERR radius cannot be negative'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', 'abc', 'km') == 'ERR need numeric radius'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '10', 'parsec') == 'ERR unsupported unit provided. please use m, km, ft, mi'
    assert err(r2, 'GEORADIUS', 'Sicily', '181', '37', '10', 'km') == 'ERR invalid longitude,latitude pair 181.000000,37.000000'
    assert err(r2, 'GEORADIUS', 'Sicily', 'x', '37', '10', 'km') == 'ERR value is not a valid float'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '10', 'km', 'bogus') == 'ERR syntax error'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '10') == "ERR wrong number of arguments for 'georadius' command"
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '10', 'km', 'STORE') == 'ERR syntax error'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '10', 'km', 'STOREDIST') == 'ERR syntax error'


def test_georadius_zero_radius(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '0', 'km') == []
    assert ex(r2, 'GEORADIUS', 'Sicily', '15.087267458438873', '37.50266842333162', '0', 'm', 'WITHDIST') == [[b'Catania', b'0.0000']]


def test_georadius_missing_key(r2):
    assert ex(r2, 'GEORADIUS', 'nokey', '15', '37', '200', 'km') == []
    assert ex(r2, 'GEORADIUS', 'nokey', '15', '37', '200', 'km', 'WITHDIST', 'COUNT', '1') == []
    assert err(r2, 'GEORADIUS', 'nokey', '15', '37', '-1', 'km') == 'ERR radius cannot be negative'


def test_georadius_wrong_type(r2):
    assert ex(r2, 'SET', 's', 'x') == b'OK'
    assert err(r2, 'GEORADIUS', 's', '15', '37', '200', 'km') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert err(r2, 'GEORADIUS', 's', '181', '37', '200', 'km') == 'WRONGTYPE Operation against a key holding the wrong kind of value'


def test_georadius_store(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst') == 2
    assert ex(r2, 'ZRANGE', 'dst', '0', '-1', 'WITHSCORES') == [b'Palermo', b'3479099956230698', b'Catania', b'3479447370796909']
    assert ex(r2, 'TYPE', 'dst') == b'zset'
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'dst') == 2
    assert ex(r2, 'ZRANGE', 'dst', '0', '-1', 'WITHSCORES') == [b'Catania', b'56.441257870158204', b'Palermo', b'190.44242984775784']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'dst', 'COUNT', '1', 'DESC') == 1
    assert ex(r2, 'ZRANGE', 'dst', '0', '-1', 'WITHSCORES') == [b'Palermo', b'190.44242984775784']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'mi', 'STOREDIST', 'dst') == 2
    assert ex(r2, 'ZRANGE', 'dst', '0', '-1', 'WITHSCORES') == [b'Catania', b'35.071058862737644', b'Palermo', b'118.33573380874013']


def test_georadius_store_last_key_wins(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'a', 'STOREDIST', 'b') == 2
    assert ex(r2, 'EXISTS', 'a') == 0
    assert ex(r2, 'ZRANGE', 'b', '0', '-1', 'WITHSCORES') == [b'Catania', b'56.441257870158204', b'Palermo', b'190.44242984775784']
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'c', 'STORE', 'd') == 2
    assert ex(r2, 'EXISTS', 'c') == 0
    assert ex(r2, 'ZRANGE', 'd', '0', '-1', 'WITHSCORES') == [b'Palermo', b'3479099956230698', b'Catania', b'3479447370796909']


def test_georadius_store_incompatible_options(r2):
    assert ex(r2, *SICILY) == 2
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd', 'WITHDIST') == 'ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHHASH', 'STOREDIST', 'd') == 'ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options'
    assert err(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHCOORD', 'STORE', 'd') == 'ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options'
    assert ex(r2, 'EXISTS', 'd') == 0


def test_georadius_store_empty_result_deletes(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'SET', 'd', 'x') == b'OK'
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '1', 'm', 'STORE', 'd') == 0
    assert ex(r2, 'EXISTS', 'd') == 0
    assert ex(r2, 'SET', 'd', 'x') == b'OK'
    assert ex(r2, 'GEORADIUS', 'nokey', '15', '37', '1', 'm', 'STORE', 'd') == 0
    assert ex(r2, 'EXISTS', 'd') == 0
    assert ex(r2, 'GEORADIUS', 'nokey', '15', '37', '1', 'm', 'STOREDIST', 'd') == 0


def test_georadius_store_overwrites_other_types(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'LPUSH', 'd', 'x') == 1
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd') == 2
    assert ex(r2, 'TYPE', 'd') == b'zset'
    assert ex(r2, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'Sicily') == 2
    assert ex(r2, 'ZCARD', 'Sicily') == 2


def test_georadius_ro(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'ASC') == [[b'Catania', b'56.4413'], [b'Palermo', b'190.4424']]
    assert err(r2, 'GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd') == 'ERR syntax error'
    assert err(r2, 'GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'd') == 'ERR syntax error'
    assert ex(r2, 'GEORADIUS_RO', 'nokey', '15', '37', '200', 'km') == []


def test_georadiusbymember(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'WITHDIST', 'ASC') == [[b'Palermo', b'0.0000'], [b'Catania', b'166.2742']]
    assert ex(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '100', 'km') == [b'Palermo']
    assert ex(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'Catania', '166.28', 'km', 'WITHCOORD', 'WITHHASH', 'DESC') == (
        [[b'Palermo', 3479099956230698, [b'13.36138933897018433', b'38.11555639549629859']],
         [b'Catania', 3479447370796909, [b'15.08726745843887329', b'37.50266842333162032']]]
    )
    assert ex(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'STORE', 'd', 'COUNT', '1') == 1
    assert ex(r2, 'ZRANGE', 'd', '0', '-1', 'WITHSCORES') == [b'Palermo', b'3479099956230698']


def test_georadiusbymember_errors(r2):
    assert ex(r2, *SICILY) == 2
    assert err(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'nope', '200', 'km') == 'ERR could not decode requested zset member'
    assert err(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '-1', 'km') == 'ERR radius cannot be negative'
    assert err(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'KM') == 'ERR unsupported unit provided. please use m, km, ft, mi'
    assert err(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200') == "ERR wrong number of arguments for 'georadiusbymember' command"
    assert err(r2, 'GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'WITHDIST', 'STORE', 'x') == 'ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options'


def test_georadiusbymember_missing_key_skips_radius_checks(r2):
    assert ex(r2, 'GEORADIUSBYMEMBER', 'nokey', 'm', 'abc', 'km') == []
    assert ex(r2, 'GEORADIUSBYMEMBER', 'nokey', 'm', '-5', 'parsec') == []
    assert err(r2, 'GEORADIUSBYMEMBER', 'nokey', 'm', '1', 'km', 'COUNT', '0') == 'ERR COUNT must be > 0'
    assert ex(r2, 'SET', 'd', 'x') == b'OK'
    assert ex(r2, 'GEORADIUSBYMEMBER', 'nokey', 'm', '1', 'km', 'STORE', 'd') == 0
    assert ex(r2, 'EXISTS', 'd') == 0
    assert err(r2, 'GEORADIUSBYMEMBER', 'nokey', 'm', '1', 'km', 'bogus') == 'ERR syntax error'


def test_georadiusbymember_ro(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEORADIUSBYMEMBER_RO', 'Sicily', 'Palermo', '200', 'km', 'WITHDIST') == [[b'Palermo', b'0.0000'], [b'Catania', b'166.2742']]
    assert err(r2, 'GEORADIUSBYMEMBER_RO', 'Sicily', 'Palermo', '200', 'km', 'STORE', 'd') == 'ERR syntax error'
    assert ex(r2, 'GEORADIUSBYMEMBER_RO', 'nokey', 'x', '1', 'km') == []


def test_georadius_arity(r2):
    assert err(r2, 'GEORADIUS', 'k', '1', '2', '3') == "ERR wrong number of arguments for 'georadius' command"
    assert err(r2, 'GEORADIUS_RO', 'k', '1', '2', '3') == "ERR wrong number of arguments for 'georadius_ro' command"
    assert err(r2, 'GEORADIUSBYMEMBER', 'k', 'm', '3') == "ERR wrong number of arguments for 'georadiusbymember' command"
    assert err(r2, 'GEORADIUSBYMEMBER_RO', 'k', 'm', '3') == "ERR wrong number of arguments for 'georadiusbymember_ro' command"


def test_georadius_world(r2):
    assert ex(r2, *WORLD) == 24
    assert ex(r2, 'GEORADIUS', 'w', '10', '45', '2000', 'km', 'WITHDIST', 'ASC') == (
        [[b'Rome', b'399.0814'], [b'Heidelberg', b'501.0039'], [b'Paris', b'721.5451'],
         [b'Palermo', b'815.0379'], [b'Catania', b'935.6589'], [b'Hamburg', b'951.1057'],
         [b'London', b'1040.5458']]
    )
    assert ex(r2, 'GEORADIUS', 'w', '10', '45', '2000', 'km', 'WITHDIST', 'ASC', 'COUNT', '3') == [[b'Rome', b'399.0814'], [b'Heidelberg', b'501.0039'], [b'Paris', b'721.5451']]
    assert ex(r2, 'GEORADIUS', 'w', '0', '60', '5000', 'km', 'DESC') == (
        [b'Cairo', b'Catania', b'Palermo', b'Moscow', b'Rome', b'Longyearbyen', b'Heidelberg', b'Paris',
         b'Reykjavik', b'London', b'Hamburg']
    )
    assert ex(r2, 'GEORADIUSBYMEMBER', 'w', 'Taveuni East', '100', 'km', 'WITHDIST', 'WITHCOORD', 'ASC') == (
        [[b'Taveuni East', b'0.0000', [b'-179.89999920129776001', b'-16.49999931370297901']],
         [b'Taveuni West', b'24.0503', [b'179.89999920129776001', b'-16.59999913288122286']]]
    )
    assert ex(r2, 'GEORADIUSBYMEMBER', 'w', 'Longyearbyen', '3500', 'km', 'WITHDIST', 'ASC') == (
        [[b'Longyearbyen', b'0.0000'], [b'Reykjavik', b'1992.3824'], [b'Moscow', b'2634.7085'],
         [b'Hamburg', b'2753.1420'], [b'London', b'3038.5296'], [b'Heidelberg', b'3217.1673'],
         [b'Paris', b'3312.7257']]
    )
    assert ex(r2, 'GEORADIUSBYMEMBER', 'w', 'Ushuaia', '5000', 'km', 'WITHDIST', 'WITHHASH') == [[b'Ushuaia', b'0.0000', 650595395073383], [b'Sao Paulo', b'3910.6117', 914304715758722]]


def test_georadius_huge_radius(r2):
    assert ex(r2, *WORLD) == 24
    assert ex(r2, 'GEORADIUS', 'w', '0', '0', '20000', 'km', 'ASC') == (
        [b'Catania', b'Palermo', b'Cairo', b'Rome', b'Paris', b'Heidelberg', b'Sao Paulo', b'London',
         b'Hamburg', b'Moscow', b'Reykjavik', b'Ushuaia', b'New York', b'Quito', b'Longyearbyen',
         b'Singapore', b'Anchorage', b'Tokyo', b'Sydney', b'Auckland', b'Honolulu', b'Suva',
         b'Taveuni West', b'Taveuni East']
    )
    assert ex(r2, 'GEORADIUS', 'w', '0', '0', '6000', 'km', 'WITHDIST') == (
        [[b'Palermo', b'4454.7332'], [b'Catania', b'4449.6961'], [b'Rome', b'4826.5510'],
         [b'Cairo', b'4699.9024'], [b'Paris', b'5438.8304'], [b'Heidelberg', b'5558.4937'],
         [b'London', b'5728.9846'], [b'Sao Paulo', b'5671.3028']]
    )
    assert ex(r2, 'GEORADIUS', 'w', '170', '-20', '10000', 'km', 'ASC') == (
        [b'Suva', b'Taveuni West', b'Taveuni East', b'Auckland', b'Sydney', b'Honolulu', b'Tokyo',
         b'Singapore', b'Anchorage']
    )
    assert ex(r2, 'GEORADIUS', 'w', '0', '0', '20000', 'km', 'COUNT', '3', 'ANY') == [b'Palermo', b'Catania', b'Rome']


def test_infinite_radius_and_box(r2):
    """An infinite (or overflowing) radius, width or height is accepted: the bounding box
    then holds NaN (cos(inf)), no neighbour cell is excluded and the search still runs."""
    assert ex(r2, 'GEOADD', 'g', '-0.3', '-0.3', 'a') == 1
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '-0.3', '-0.3', 'BYBOX', '0', 'inf', 'm', 'WITHDIST') == []
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '-0.3', '-0.3', 'BYBOX', '1', 'inf', 'm', 'WITHDIST') == [[b'a', b'0.2784']]
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '-0.3', '-0.3', 'BYBOX', 'inf', '1', 'm', 'WITHDIST') == [[b'a', b'0.2784']]
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '-0.3', '-0.3', 'BYRADIUS', 'inf', 'm', 'WITHDIST') == [[b'a', b'0.2784']]
    assert ex(r2, 'GEORADIUS', 'g', '-0.3', '-0.3', '1e308', 'km', 'WITHDIST') == [[b'a', b'0.0003']]
    assert ex(r2, 'GEOSEARCHSTORE', 'g2', 'g', 'FROMLONLAT', '-0.3', '-0.3', 'BYBOX', '0', 'inf', 'm') == 0


def test_geosearch_frommember_byradius(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', 'ASC', 'WITHDIST', 'WITHCOORD', 'WITHHASH') == (
        [[b'Palermo', b'0.0000', 3479099956230698, [b'13.36138933897018433', b'38.11555639549629859']],
         [b'Catania', b'166.2742', 3479447370796909,
          [b'15.08726745843887329', b'37.50266842333162032']]]
    )
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'frommember', 'Catania', 'byradius', '100', 'km') == [b'Catania']


def test_geosearch_fromlonlat_bybox(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHDIST') == [[b'Catania', b'56.4413'], [b'Palermo', b'190.4424']]
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '200', '200', 'km') == [b'Catania']
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '120', 'km', 'DESC', 'WITHCOORD') == [[b'Catania', [b'15.08726745843887329', b'37.50266842333162032']]]
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '100', '400', 'km') == [b'Catania']
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '0', '0', 'km') == []


def test_geosearch_bybox_world(r2):
    assert ex(r2, *WORLD) == 24
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMLONLAT', '10', '50', 'BYBOX', '3000', '1500', 'km', 'ASC', 'WITHDIST') == (
        [[b'Heidelberg', b'115.0358'], [b'Hamburg', b'394.9744'], [b'Paris', b'567.4036'],
         [b'London', b'731.4725']]
    )
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMMEMBER', 'Suva', 'BYBOX', '2000', '2000', 'km', 'WITHDIST', 'ASC') == [[b'Suva', b'0.0000'], [b'Taveuni West', b'230.9902'], [b'Taveuni East', b'253.6405']]
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMLONLAT', '0', '70', 'BYBOX', '5000', '3000', 'mi', 'DESC') == [b'Moscow', b'Paris', b'Heidelberg', b'London', b'Hamburg', b'Reykjavik', b'Longyearbyen']
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMLONLAT', '-60', '-30', 'BYBOX', '20000', '8000', 'km', 'ASC', 'COUNT', '2') == [b'Sao Paulo', b'Ushuaia']


def test_geosearch_count_any(r2):
    assert ex(r2, *WORLD) == 24
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMLONLAT', '10', '45', 'BYRADIUS', '3000', 'km', 'COUNT', '2', 'ANY') == [b'Palermo', b'Catania']
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMLONLAT', '10', '45', 'BYRADIUS', '3000', 'km', 'COUNT', '2', 'ANY', 'ASC') == [b'Palermo', b'Catania']
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMLONLAT', '10', '45', 'BYRADIUS', '3000', 'km', 'COUNT', '2') == [b'Rome', b'Heidelberg']
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMLONLAT', '10', '45', 'BYRADIUS', '3000', 'km', 'COUNT', '2', 'ANY', 'DESC', 'WITHDIST') == [[b'Catania', b'935.6589'], [b'Palermo', b'815.0379']]
    assert ex(r2, 'GEOSEARCH', 'w', 'FROMLONLAT', '10', '45', 'BYRADIUS', '3000', 'km', 'ANY', 'COUNT', '100') == (
        [b'Palermo', b'Catania', b'Rome', b'Cairo', b'Paris', b'Heidelberg', b'Hamburg', b'Moscow',
         b'London', b'Reykjavik']
    )


def test_geosearch_errors(r2):
    assert ex(r2, *SICILY) == 2
    assert err(r2, 'GEOSEARCH', 'Sicily', 'BYBOX', '1', '1', 'km', 'WITHDIST') == 'ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'WITHDIST', 'WITHCOORD') == "ERR wrong number of arguments for 'geosearch' command"
    assert err(r2, 'GeoSearch', 'Sicily', 'bybox', '1', '1', 'km', 'asc') == 'ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GeoSearch'
    assert err(r2, 'geosearch', 'Sicily', 'frommember', 'Palermo', 'asc', 'desc') == "ERR wrong number of arguments for 'geosearch' command"
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'FROMLONLAT', '1', '2', 'BYRADIUS', '1', 'km') == 'ERR syntax error'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '2', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km') == 'ERR syntax error'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km') == 'ERR syntax error'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '1', '1', 'km', 'BYRADIUS', '1', 'km') == 'ERR syntax error'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'STORE', 'x') == 'ERR syntax error'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'STOREDIST') == 'ERR syntax error'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'ANY') == 'ERR the ANY argument requires COUNT argument'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'nope', 'BYRADIUS', '1', 'km') == 'ERR could not decode requested zset member'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', 'x', '1', 'km') == 'ERR need numeric width'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '1', 'x', 'km') == 'ERR need numeric height'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '1', '-1', 'km') == 'ERR height or width cannot be negative'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '-1', 'x', 'km') == 'ERR need numeric height'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '1', '1', 'KM') == 'ERR unsupported unit provided. please use m, km, ft, mi'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1') == "ERR wrong number of arguments for 'geosearch' command"
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', 'BYRADIUS', '1', 'km') == 'ERR value is not a valid float'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '200', '1', 'BYRADIUS', '1', 'km') == 'ERR invalid longitude,latitude pair 200.000000,1.000000'
    assert err(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '1', '1') == 'ERR syntax error'


def test_geosearch_repeated_options(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Catania', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'BYRADIUS', '500', 'km', 'WITHDIST') == [[b'Palermo', b'0.0000'], [b'Catania', b'166.2742']]
    assert ex(r2, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '0', '0', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'km', 'BYBOX', '600', '600', 'km', 'WITHDIST', 'ASC') == [[b'Catania', b'56.4413'], [b'Palermo', b'190.4424']]


def test_geosearch_missing_key(r2):
    assert ex(r2, 'GEOSEARCH', 'nokey', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km') == []
    assert ex(r2, 'GEOSEARCH', 'nokey', 'FROMLONLAT', '1', '2', 'BYBOX', '1', '1', 'km', 'WITHDIST') == []
    assert err(r2, 'GEOSEARCH', 'nokey', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km', 'ANY') == 'ERR the ANY argument requires COUNT argument'
    assert err(r2, 'GEOSEARCH', 'nokey', 'FROMLONLAT', '1', '200', 'BYRADIUS', '1', 'km') == 'ERR invalid longitude,latitude pair 1.000000,200.000000'
    assert err(r2, 'GEOSEARCH', 'nokey', 'FROMMEMBER', 'm', 'BYRADIUS', '-1', 'km') == 'ERR radius cannot be negative'


def test_geosearch_wrong_type_and_arity(r2):
    assert ex(r2, 'SET', 's', 'x') == b'OK'
    assert err(r2, 'GEOSEARCH', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert err(r2, 'GEOSEARCH', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1') == "ERR wrong number of arguments for 'geosearch' command"
    assert err(r2, 'GEOSEARCH', 's', 'FROMMEMBER', 'm', 'BYRADIUS') == "ERR wrong number of arguments for 'geosearch' command"


def test_geosearch_resp3(r3):
    assert ex(r3, *SICILY) == 2
    assert ex(r3, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC', 'WITHDIST', 'WITHHASH', 'WITHCOORD') == (
        [[b'Catania', b'56.4413', 3479447370796909, [15.087267458438873, 37.50266842333162]],
         [b'Palermo', b'190.4424', 3479099956230698, [13.361389338970184, 38.1155563954963]]]
    )
    assert ex(r3, 'GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km') == []
    assert ex(r3, 'GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHCOORD', 'DESC') == (
        [[b'Palermo', [13.361389338970184, 38.1155563954963]],
         [b'Catania', [15.087267458438873, 37.50266842333162]]]
    )


def test_geosearchstore(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km') == 2
    assert ex(r2, 'ZRANGE', 'd', '0', '-1', 'WITHSCORES') == [b'Palermo', b'3479099956230698', b'Catania', b'3479447370796909']
    assert ex(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST') == 2
    assert ex(r2, 'ZRANGE', 'd', '0', '-1', 'WITHSCORES') == [b'Catania', b'56.441257870158204', b'Palermo', b'190.44242984775784']
    assert ex(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '500', '500', 'mi', 'STOREDIST', 'COUNT', '1', 'DESC') == 1
    assert ex(r2, 'ZRANGE', 'd', '0', '-1', 'WITHSCORES') == [b'Catania', b'103.31822459492733']
    assert ex(r2, 'GEOSEARCHSTORE', 'Sicily', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km') == 1
    assert ex(r2, 'ZRANGE', 'Sicily', '0', '-1') == [b'Palermo']


def test_geosearchstore_errors(r2):
    assert ex(r2, *SICILY) == 2
    assert err(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'WITHDIST') == 'ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options'
    assert err(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'BYRADIUS', '1', 'km', 'STOREDIST') == "ERR wrong number of arguments for 'geosearchstore' command"
    assert err(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'Palermo', 'STOREDIST', 'ASC') == "ERR wrong number of arguments for 'geosearchstore' command"
    assert err(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'STORE', 'x') == 'ERR syntax error'
    assert err(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'WITHHASH', 'ANY') == 'ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options'
    assert err(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'nope', 'BYRADIUS', '1', 'km') == 'ERR could not decode requested zset member'
    assert err(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1') == "ERR wrong number of arguments for 'geosearchstore' command"
    assert ex(r2, 'EXISTS', 'd') == 0


def test_geosearchstore_missing_source(r2):
    assert ex(r2, 'SET', 'd', 'x') == b'OK'
    assert ex(r2, 'GEOSEARCHSTORE', 'd', 'nokey', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km') == 0
    assert ex(r2, 'EXISTS', 'd') == 0
    assert ex(r2, 'GEOSEARCHSTORE', 'd', 'nokey', 'FROMLONLAT', '1', '2', 'BYBOX', '1', '1', 'km', 'STOREDIST') == 0


def test_geosearchstore_empty_result_deletes(r2):
    assert ex(r2, *SICILY) == 2
    assert ex(r2, 'SET', 'd', 'x') == b'OK'
    assert ex(r2, 'GEOSEARCHSTORE', 'd', 'Sicily', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km') == 0
    assert ex(r2, 'EXISTS', 'd') == 0


def test_geosearchstore_wrong_type(r2):
    assert ex(r2, 'SET', 's', 'x') == b'OK'
    assert err(r2, 'GEOSEARCHSTORE', 'd', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert ex(r2, 'GEOADD', 'g', '1', '2', 'm') == 1
    assert ex(r2, 'GEOSEARCHSTORE', 's', 'g', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km') == 1
    assert ex(r2, 'TYPE', 's') == b'zset'


def test_geosearchstore_arity(r2):
    assert err(r2, 'GEOSEARCHSTORE', 'd', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1') == "ERR wrong number of arguments for 'geosearchstore' command"


def test_grid_radius_ties_sorted(r2):
    assert ex(r2, *GRID) == 121
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '25', 'km', 'ASC', 'WITHDIST') == (
        [[b'p0_0', b'0.0003'], [b'p1_0', b'11.1227'], [b'p-1_0', b'11.1227'], [b'p0_1', b'11.1228'],
         [b'p0_-1', b'11.1228'], [b'p1_1', b'15.7299'], [b'p1_-1', b'15.7299'], [b'p-1_1', b'15.7299'],
         [b'p-1_-1', b'15.7299'], [b'p2_0', b'22.2451'], [b'p-2_0', b'22.2451'], [b'p0_2', b'22.2454'],
         [b'p0_-2', b'22.2454'], [b'p2_1', b'24.8709'], [b'p2_-1', b'24.8709'], [b'p-2_1', b'24.8709'],
         [b'p-2_-1', b'24.8709'], [b'p1_2', b'24.8711'], [b'p1_-2', b'24.8711'], [b'p-1_2', b'24.8711'],
         [b'p-1_-2', b'24.8711']]
    )
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '25', 'km', 'DESC', 'WITHDIST') == (
        [[b'p1_2', b'24.8711'], [b'p1_-2', b'24.8711'], [b'p-1_2', b'24.8711'], [b'p-1_-2', b'24.8711'],
         [b'p2_1', b'24.8709'], [b'p2_-1', b'24.8709'], [b'p-2_1', b'24.8709'], [b'p-2_-1', b'24.8709'],
         [b'p0_2', b'22.2454'], [b'p0_-2', b'22.2454'], [b'p2_0', b'22.2451'], [b'p-2_0', b'22.2451'],
         [b'p1_1', b'15.7299'], [b'p1_-1', b'15.7299'], [b'p-1_1', b'15.7299'], [b'p-1_-1', b'15.7299'],
         [b'p0_1', b'11.1228'], [b'p0_-1', b'11.1228'], [b'p1_0', b'11.1227'], [b'p-1_0', b'11.1227'],
         [b'p0_0', b'0.0003']]
    )


def test_grid_count_keeps_redis_tie_order(r2):
    assert ex(r2, *GRID) == 121
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '100', 'km', 'ASC', 'COUNT', '10', 'WITHDIST') == (
        [[b'p0_0', b'0.0003'], [b'p-1_0', b'11.1227'], [b'p1_0', b'11.1227'], [b'p0_-1', b'11.1228'],
         [b'p0_1', b'11.1228'], [b'p-1_1', b'15.7299'], [b'p1_1', b'15.7299'], [b'p1_-1', b'15.7299'],
         [b'p-1_-1', b'15.7299'], [b'p-2_0', b'22.2451']]
    )
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '100', 'km', 'DESC', 'COUNT', '17') == (
        [b'p5_-5', b'p5_5', b'p-5_-5', b'p-5_5', b'p4_5', b'p-4_-5', b'p4_-5', b'p-4_5', b'p5_-4',
         b'p-5_4', b'p5_4', b'p-5_-4', b'p3_-5', b'p-3_-5', b'p-3_5', b'p3_5', b'p5_3']
    )
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0.05', '0.05', 'BYBOX', '60', '60', 'km', 'COUNT', '9') == [b'p0_0', b'p0_1', b'p1_0', b'p1_1', b'p2_0', b'p2_1', b'p0_2', b'p0_-1', b'p-1_0']
    assert ex(r2, 'GEORADIUS', 'g', '0', '0', '100', 'km', 'COUNT', '50') == (
        [b'p0_0', b'p-1_0', b'p1_0', b'p0_-1', b'p0_1', b'p-1_1', b'p1_1', b'p1_-1', b'p-1_-1',
         b'p-2_0', b'p2_0', b'p0_2', b'p0_-2', b'p2_1', b'p-2_1', b'p2_-1', b'p-2_-1', b'p-1_-2',
         b'p-1_2', b'p1_-2', b'p1_2', b'p2_2', b'p-2_-2', b'p2_-2', b'p-2_2', b'p0_3', b'p0_-3',
         b'p3_0', b'p-3_0', b'p1_3', b'p1_-3', b'p-1_3', b'p-1_-3', b'p3_1', b'p-3_-1', b'p-3_1',
         b'p3_-1', b'p2_-3', b'p-2_-3', b'p-2_3', b'p2_3', b'p3_2', b'p3_-2', b'p-3_-2', b'p-3_2',
         b'p-4_0', b'p4_0', b'p0_-4', b'p0_4', b'p1_-4']
    )
    assert ex(r2, 'GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '100', 'km', 'COUNT', '7', 'STOREDIST') == 7
    assert ex(r2, 'ZRANGE', 'd', '0', '-1', 'WITHSCORES') == (
        [b'p0_0', b'0.0003299589265287915', b'p-1_0', b'11.122718837588298', b'p1_0',
         b'11.122718837588298', b'p0_-1', b'11.122750855693484', b'p0_1', b'11.122750855693484',
         b'p-1_1', b'15.729918474270576', b'p1_1', b'15.729918474270576']
    )


def test_grid_count_any_scan_order(r2):
    assert ex(r2, *GRID) == 121
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '100', 'km', 'COUNT', '5', 'ANY') == [b'p0_0', b'p1_0', b'p0_1', b'p1_1', b'p2_0']
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0.3', '0.3', 'BYRADIUS', '40', 'km', 'COUNT', '4', 'ANY') == [b'p1_1', b'p2_0', b'p3_0', b'p2_1']
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '-0.5', '0.5', 'BYRADIUS', '30', 'km', 'COUNT', '3', 'ANY') == [b'p-5_4', b'p-4_4', b'p-5_5']
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '5', 'km', 'COUNT', '1', 'ANY') == [b'p0_0']
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0.05', '-0.05', 'BYRADIUS', '50', 'km', 'COUNT', '12', 'ANY') == (
        [b'p0_-4', b'p1_-4', b'p2_-4', b'p3_-4', b'p0_-3', b'p1_-3', b'p0_-2', b'p1_-2', b'p2_-3',
         b'p3_-3', b'p2_-2', b'p3_-2']
    )


def test_grid_bybox_edges(r2):
    assert ex(r2, *GRID) == 121
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYBOX', '22.3', '22.3', 'km') == [b'p0_0', b'p1_0', b'p0_1', b'p1_1', b'p0_-1', b'p1_-1', b'p-1_0', b'p-1_1', b'p-1_-1']
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYBOX', '22.2', '44.5', 'km', 'ASC') == [b'p0_0', b'p0_1', b'p0_-1', b'p0_2', b'p0_-2']
    assert ex(r2, 'GEOSEARCH', 'g', 'FROMMEMBER', 'p0_0', 'BYBOX', '0.1', '0.1', 'm') == [b'p0_0']


def test_poles_and_antimeridian(r2):
    assert ex(r2, 'GEOADD', 'p', '179.99', '0', 'e1', '-179.99', '0', 'w1', '179.5', '0.5', 'e2', '-179.5', '-0.5', 'w2', '0', '85', 'n1', '90', '85.05', 'n2', '-90', '84.9', 'n3', '180', '84', 'n4') == 8
    assert ex(r2, 'GEOSEARCH', 'p', 'FROMLONLAT', '180', '0', 'BYRADIUS', '100', 'km', 'ASC', 'WITHDIST') == [[b'e1', b'1.1125'], [b'e2', b'78.6483']]
    assert ex(r2, 'GEOSEARCH', 'p', 'FROMLONLAT', '-180', '0', 'BYBOX', '200', '200', 'km', 'ASC') == [b'e1', b'w1', b'w2', b'e2']
    assert ex(r2, 'GEOSEARCH', 'p', 'FROMLONLAT', '0', '85', 'BYRADIUS', '1500', 'km', 'ASC', 'WITHDIST') == [[b'n1', b'0.0000'], [b'n2', b'782.0739'], [b'n3', b'793.8777']]
    assert ex(r2, 'GEOSEARCH', 'p', 'FROMMEMBER', 'n2', 'BYBOX', '3000', '500', 'km', 'DESC') == [b'n3', b'n1', b'n2']
    assert ex(r2, 'GEORADIUSBYMEMBER', 'p', 'e1', '2', 'km', 'WITHDIST') == [[b'e1', b'0.0000']]



# --------------------------------------------------------------------------- wire format


def test_geopos_exact_wire_resp2(raw):
    raw.cmd(*SICILY)
    assert raw.cmd("GEOPOS", "Sicily", "Palermo", "nope") == (
        b"*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n"
    )
    assert raw.cmd("GEOPOS", "nokey", "a") == b"*1\r\n*-1\r\n"
    assert raw.cmd("GEODIST", "Sicily", "Palermo", "nope") == b"$-1\r\n"
    assert raw.cmd("GEOHASH", "Sicily", "nope", "Catania") == b"*2\r\n$-1\r\n$11\r\nsqdtr74hyu0\r\n"


def test_geopos_exact_wire_resp3(raw):
    raw.cmd("HELLO", "3")
    raw.cmd(*SICILY)
    assert raw.cmd("GEOPOS", "Sicily", "Palermo", "nope") == (
        b"*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n"
    )
    assert raw.cmd("GEOPOS", "nokey", "a") == b"*1\r\n_\r\n"
    assert raw.cmd("GEODIST", "Sicily", "Palermo", "Catania") == b"$11\r\n166274.1516\r\n"
    assert raw.cmd("GEODIST", "Sicily", "Palermo", "nope") == b"_\r\n"
    assert raw.cmd("GEOHASH", "Sicily", "nope") == b"*1\r\n_\r\n"


def test_geosearch_exact_wire_resp3(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("GEOADD", "k", "180", "85.05112878", "ne", "0", "0", "zero")
    assert raw.cmd("GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "WITHDIST",
                   "WITHHASH", "WITHCOORD") == (
        b"*1\r\n*4\r\n$4\r\nzero\r\n$6\r\n0.0003\r\n:3377699720527872\r\n"
        b"*2\r\n,0.00000268220901489\r\n,0.00000126736058093\r\n"
    )
    assert raw.cmd("GEOPOS", "k", "ne") == b"*1\r\n*2\r\n,180\r\n,85.0511287799999991\r\n"
    assert raw.cmd("GEORADIUS", "nokey", "0", "0", "1", "km") == b"*0\r\n"


# --------------------------------------------------------------------------- side effects


def test_keyspace_events(r2, events):
    ex(r2, *SICILY)
    ex(r2, "GEOADD", "Sicily", "13.361389", "38.115556", "Palermo")
    ex(r2, "GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d1")
    ex(r2, "GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STOREDIST", "d2")
    ex(r2, "GEOSEARCHSTORE", "d3", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")
    ex(r2, "GEOSEARCHSTORE", "d3", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")
    ex(r2, "GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "d1")
    ex(r2, "GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "d1")
    ex(r2, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")
    ex(r2, "GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "d2")
    assert events.collect() == [
        ("zadd", "Sicily"), ("georadiusstore", "d1"), ("georadiusstore", "d2"),
        ("geosearchstore", "d3"), ("del", "d3"), ("del", "d1"), ("del", "d2"),
    ]


def test_store_destination_loses_its_ttl(r2):
    ex(r2, *SICILY)
    ex(r2, "GEOADD", "d", "1", "2", "x")
    ex(r2, "EXPIRE", "d", "1000")
    ex(r2, "GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d")
    assert ex(r2, "TTL", "d") == -1
    ex(r2, "EXPIRE", "Sicily", "1000")
    ex(r2, "GEOADD", "Sicily", "1", "2", "x")
    assert ex(r2, "TTL", "Sicily") > 0


def test_store_destination_encoding(r2):
    ex(r2, *GRID)
    assert ex(r2, "GEOSEARCHSTORE", "small", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "16", "km") == 9
    assert ex(r2, "OBJECT", "ENCODING", "small") == b"ziplist"
    assert ex(r2, "OBJECT", "ENCODING", "g") == b"ziplist"
    args = []
    for i in range(600):
        args += ["%.4f" % (-3 + (i % 30) * 0.2), "%.4f" % (40 + (i // 30) * 0.1), "c%d" % i]
    ex(r2, "GEOADD", "big", *args)
    assert ex(r2, "OBJECT", "ENCODING", "big") == b"skiplist"
    assert ex(r2, "GEOSEARCHSTORE", "d", "big", "FROMLONLAT", "0", "41", "BYRADIUS", "120", "km") == 234
    assert ex(r2, "OBJECT", "ENCODING", "d") == b"skiplist"
    assert ex(r2, "GEOSEARCHSTORE", "d", "big", "FROMLONLAT", "0", "41", "BYRADIUS", "120", "km",
              "COUNT", "128") == 128
    assert ex(r2, "OBJECT", "ENCODING", "d") == b"ziplist"
    ex(r2, "GEOADD", "long", "1", "2", "m" * 65)
    assert ex(r2, "OBJECT", "ENCODING", "long") == b"skiplist"


def test_in_multi(r2):
    ex(r2, "MULTI")
    ex(r2, *SICILY)
    ex(r2, "GEODIST", "Sicily", "Palermo", "Catania", "km")
    ex(r2, "GEOSEARCHSTORE", "d", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km")
    ex(r2, "GEORADIUS", "Sicily", "15", "37", "1", "m")
    assert ex(r2, "EXEC") == [2, b"166.2742", 2, []]


def test_many_points_in_a_skiplist(r2):
    """A large set: the scan of each cell runs on Redis's skiplist order."""
    args = []
    for i in range(600):
        args += ["%.4f" % (-3 + (i % 30) * 0.2), "%.4f" % (40 + (i // 30) * 0.1), "c%d" % i]
    assert ex(r2, "GEOADD", "big", *args) == 600
    assert ex(r2, "GEOSEARCH", "big", "FROMLONLAT", "0", "41", "BYRADIUS", "30", "km", "ASC",
              "COUNT", "5", "WITHDIST") == [
        [b"c315", b"0.0002"], [b"c285", b"11.1225"], [b"c345", b"11.1227"],
        [b"c314", b"16.7886"], [b"c316", b"16.7886"],
    ]
    assert ex(r2, "GEOSEARCH", "big", "FROMLONLAT", "0", "41", "BYBOX", "100", "50", "km",
              "COUNT", "4", "ANY") == [b"c255", b"c256", b"c257", b"c285"]


# --------------------------------------------------------------------------- real cities

_CITY_SEARCHES = {
    'Palermo': (
        [[b'Palermo', b'0.0000'], [b'Catania', b'166.2742'], [b'Rome', b'427.6295'], [b'Heidelberg', b'1311.0980']],
        [[b'Moscow', 3721706268066672], [b'Cairo', 3491571984177516], [b'London', 2163557714754256], [b'Hamburg', 3679671253671090], [b'Paris', 3663832779125286], [b'Heidelberg', 3666603367648479], [b'Rome', 3480343273965391], [b'Catania', 3479447370796909], [b'Palermo', 3479099956230698]],
    ),
    'Paris': (
        [[b'Paris', b'0.0000'], [b'London', b'343.6460'], [b'Heidelberg', b'464.6155'], [b'Hamburg', b'745.0319']],
        [[b'Moscow', 3721706268066672], [b'Reykjavik', 2216644067918952], [b'Catania', 3479447370796909], [b'Palermo', 3479099956230698], [b'Rome', 3480343273965391], [b'Hamburg', 3679671253671090], [b'Heidelberg', 3666603367648479], [b'London', 2163557714754256], [b'Paris', 3663832779125286]],
    ),
    'New York': (
        [[b'New York', b'0.0000']],
        [[b'New York', 1791873974571312]],
    ),
    'Tokyo': (
        [[b'Tokyo', b'0.0000']],
        [[b'Tokyo', 4171231230197027]],
    ),
    'Sydney': (
        [[b'Sydney', b'0.0000'], [b'Auckland', b'2156.5097']],
        [[b'Taveuni East', 353288520595010], [b'Taveuni West', 3355686053042424], [b'Suva', 3355223389513957], [b'Auckland', 3287565651735870], [b'Sydney', 3252046221958826]],
    ),
    'Suva': (
        [[b'Suva', b'0.0000'], [b'Taveuni West', b'230.9902'], [b'Taveuni East', b'253.6405'], [b'Auckland', b'2111.6050']],
        [[b'Sydney', 3252046221958826], [b'Taveuni East', 353288520595010], [b'Taveuni West', 3355686053042424], [b'Suva', 3355223389513957]],
    ),
    'Reykjavik': (
        [[b'Reykjavik', b'0.0000'], [b'London', b'1884.1096'], [b'Longyearbyen', b'1992.3824'], [b'Hamburg', b'2141.4561']],
        [[b'Moscow', 3721706268066672], [b'Heidelberg', 3666603367648479], [b'Paris', 3663832779125286], [b'Hamburg', 3679671253671090], [b'Longyearbyen', 3757806449814186], [b'London', 2163557714754256], [b'Reykjavik', 2216644067918952]],
    ),
    'Ushuaia': (
        [[b'Ushuaia', b'0.0000']],
        [[b'Ushuaia', 650595395073383]],
    ),
    'Quito': (
        [[b'Quito', b'0.0000']],
        [[b'Quito', 947044397312874]],
    ),
    'Longyearbyen': (
        [[b'Longyearbyen', b'0.0000'], [b'Reykjavik', b'1992.3824'], [b'Moscow', b'2634.7085'], [b'Hamburg', b'2753.1420']],
        [[b'Reykjavik', 2216644067918952], [b'Longyearbyen', 3757806449814186]],
    ),
    'Anchorage': (
        [[b'Anchorage', b'0.0000']],
        [[b'Longyearbyen', 3757806449814186], [b'Anchorage', 1467997318741597]],
    ),
    'Singapore': (
        [[b'Singapore', b'0.0000']],
        [[b'Singapore', 3949901648979360]],
    ),
}


@pytest.mark.parametrize("city", sorted(_CITY_SEARCHES))
def test_searches_around_cities(r2, city):
    ex(r2, *WORLD)
    near, box = _CITY_SEARCHES[city]
    assert ex(r2, "GEOSEARCH", "w", "FROMMEMBER", city, "BYRADIUS", "3000", "km", "ASC", "WITHDIST",
              "COUNT", "4") == near
    assert ex(r2, "GEOSEARCH", "w", "FROMMEMBER", city, "BYBOX", "8000", "4000", "km", "DESC",
              "WITHHASH") == box


def test_lua_sees_geo_replies_as_resp2(r2):
    ex(r2, *SICILY)
    assert ex(r2, "EVAL", "return redis.call('geopos', KEYS[1], 'Palermo', 'nope')", 1, "Sicily") == [
        [b"13.36138933897018433", b"38.11555639549629859"], None]
    assert ex(r2, "EVAL", "return redis.call('geosearch', KEYS[1], 'FROMLONLAT', 15, 37, 'BYRADIUS', "
              "200, 'km', 'WITHCOORD', 'WITHDIST', 'ASC')", 1, "Sicily") == [
        [b"Catania", b"56.4413", [b"15.08726745843887329", b"37.50266842333162032"]],
        [b"Palermo", b"190.4424", [b"13.36138933897018433", b"38.11555639549629859"]]]
    assert ex(r2, "EVAL", "return redis.call('geodist', KEYS[1], 'Palermo', 'Catania')", 1,
              "Sicily") == b"166274.1516"
    assert ex(r2, "EVAL", "return redis.call('geodist', KEYS[1], 'Palermo', 'x')", 1, "Sicily") is None
    assert ex(r2, "EVAL", "return redis.call('geohash', KEYS[1], 'Palermo', 'x')", 1,
              "Sicily") == [b"sqc8b49rny0", None]


# --------------------------------------------------------------------------- partial sorts


@pytest.mark.parametrize("order, count, digest", [
    ("DESC", 141, "1794dd419cbf1850bacdd2075e1527de9a023002"),
    ("DESC", 200, "77389881888bd56aafb24013cc15d647c89aef38"),
    ("ASC", 150, "330252f8a61f127b9b3c46348ef01eafa28c9d58"),
    ("DESC", 60, "398c683771cb1b30cb12497c8f78b40ec3fdeb07"),
])
def test_count_partial_sort_tie_order(r2, order, count, digest):
    """COUNT below the number of matches sorts with Redis's pqsort (quicksort on the wanted
    range only): mirror-image points at exactly equal distances keep its order."""
    args = []
    for x in range(-15, 15):
        for y in range(-15, 15):
            args += ["%.2f" % (x * 0.1), "%.2f" % (y * 0.1), "p%d_%d" % (x, y)]
    ex(r2, "GEOADD", "g", *args)
    got = ex(r2, "GEOSEARCH", "g", "FROMLONLAT", "0.00", "0.30", "BYRADIUS", "100", "km", order,
             "COUNT", count)
    assert len(got) == count
    assert hashlib.sha1(b" ".join(got)).hexdigest() == digest
