"""HyperLogLog: PFADD, PFCOUNT, PFMERGE, PFDEBUG -- replies, errors and the exact bytes.

An HLL is a string in Redis's HYLL format (sparse or dense registers, cached cardinality in
the header), so these tests compare GET bytes (or their SHA-1) with what Redis 6.2.14 holds
after the same commands, PFCOUNT with Redis's estimate, and feed hand-made values (foreign,
corrupted, truncated) to both servers.  Every expectation was recorded from the oracle.
"""

from __future__ import annotations

import hashlib

import pytest

from .helpers import err, ex
from .zset_helpers import config


def seq(prefix: str, start: int, stop: int) -> list:
    """Elements ``prefix<start>`` .. ``prefix<stop-1>``."""
    return ["%s%d" % (prefix, i) for i in range(start, stop)]


def sha(client, *args) -> str:
    """SHA-1 of a bulk reply (values too long to spell out)."""
    return hashlib.sha1(ex(client, *args)).hexdigest()


def dense_value(registers, card: bytes = b"\x00" * 7 + b"\x80") -> bytes:
    """A dense HLL holding ``registers`` (16384 values < 64), packed as Redis packs them."""
    buf = bytearray(12288 + 1)
    for i, v in enumerate(registers):
        pos = i * 6
        b, fb = pos >> 3, pos & 7
        buf[b] |= (v << fb) & 0xFF
        if fb > 2:
            buf[b + 1] |= v >> (8 - fb)
    return b"HYLL\x00\x00\x00\x00" + card + bytes(buf[:12288])


# --------------------------------------------------------------------------- command table


@pytest.mark.parametrize("name, info", [
    ("pfadd", [b"pfadd", -2, [b"write", b"denyoom", b"fast"], 1, 1, 1,
               [b"@write", b"@hyperloglog", b"@fast"]]),
    ("pfcount", [b"pfcount", -2, [b"readonly", b"may_replicate"], 1, -1, 1,
                 [b"@read", b"@hyperloglog", b"@slow"]]),
    ("pfmerge", [b"pfmerge", -2, [b"write", b"denyoom"], 1, -1, 1,
                 [b"@write", b"@hyperloglog", b"@slow"]]),
    ("pfdebug", [b"pfdebug", -3, [b"write", b"denyoom", b"admin"], 2, 2, 1,
                 [b"@write", b"@hyperloglog", b"@admin", b"@slow", b"@dangerous"]]),
])
def test_command_info(r2, name, info):
    got = ex(r2, "COMMAND", "INFO", name)[0]
    assert got[:6] == info[:6]
    assert sorted(got[6]) == sorted(info[6])


def test_command_getkeys(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "PFCOUNT", "a", "b", "c") == [b"a", b"b", b"c"]
    assert ex(r2, "COMMAND", "GETKEYS", "PFMERGE", "d", "s1", "s2") == [b"d", b"s1", b"s2"]
    assert ex(r2, "COMMAND", "GETKEYS", "PFDEBUG", "GETREG", "k") == [b"k"]


# --------------------------------------------------------------------------- scenarios


def test_pfadd_creates_key_and_reports_change(r2):
    assert ex(r2, 'PFADD', 'h', 'a') == 1
    assert ex(r2, 'PFADD', 'h', 'a') == 0
    assert ex(r2, 'PFADD', 'h', 'b') == 1
    assert ex(r2, 'TYPE', 'h') == b'string'
    assert ex(r2, 'EXISTS', 'h') == 1


def test_pfadd_without_elements_creates_empty_hll(r2):
    assert ex(r2, 'PFADD', 'h') == 1
    assert ex(r2, 'GET', 'h') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff'
    assert ex(r2, 'PFADD', 'h') == 0
    assert ex(r2, 'PFCOUNT', 'h') == 0
    assert ex(r2, 'GET', 'h') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff'


def test_pfadd_exact_sparse_bytes(r2):
    assert ex(r2, 'PFADD', 'h', 'a', 'b', 'c') == 1
    assert ex(r2, 'GET', 'h') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ'
    assert ex(r2, 'PFADD', 'h', 'd', 'e') == 1
    assert ex(r2, 'GET', 'h') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\\{\x80Dv\x80P\xb1\x84I\x8c\x80Bm\x80BZ'


def test_pfadd_duplicates_in_one_call(r2):
    assert ex(r2, 'PFADD', 'h', 'x', 'x', 'x') == 1
    assert ex(r2, 'PFCOUNT', 'h') == 1
    assert ex(r2, 'PFADD', 'h', 'x', 'x') == 0
    assert ex(r2, 'GET', 'h') == b'HYLL\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x7f\xf5\x84\x08'


def test_pfadd_binary_and_empty_elements(r2):
    assert ex(r2, 'PFADD', 'h', b'', b'\x00', b'\xff\xfe', b'a\r\nb') == 1
    assert ex(r2, 'GET', 'h') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80B\x8d\x84T\xa2\x84KT\x84QW\x88L\x1d'
    assert ex(r2, 'PFCOUNT', 'h') == 4


def test_pfadd_long_elements(r2):
    assert ex(r2, 'PFADD', 'h', b'x', b'y' * 7, b'z' * 8, b'w' * 9, b'v' * 63, b'u' * 64, b't' * 1000) == 1
    assert ex(r2, 'GET', 'h') == (
        (b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80A\x0f\x90D\x0c\x84G\x17\x80\\\x9e\x80'
         b'AU\x80E[\x80Pi\x84\x08')
    )
    assert ex(r2, 'PFCOUNT', 'h') == 7


def test_pfadd_wrong_type(r2):
    assert ex(r2, 'LPUSH', 'l', 'a') == 1
    assert err(r2, 'PFADD', 'l', 'x') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert ex(r2, 'HSET', 'hh', 'f', 'v') == 1
    assert err(r2, 'PFADD', 'hh') == 'WRONGTYPE Operation against a key holding the wrong kind of value'


def test_pfadd_string_that_is_not_an_hll(r2):
    assert ex(r2, 'SET', 's', 'hello') == b'OK'
    assert err(r2, 'PFADD', 's', 'x') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert ex(r2, 'SET', 'n', '12345') == b'OK'
    assert err(r2, 'PFADD', 'n', 'x') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert ex(r2, 'SET', 'e', '') == b'OK'
    assert err(r2, 'PFADD', 'e') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert ex(r2, 'GET', 's') == b'hello'


def test_pfadd_bad_magic_or_encoding(r2):
    assert ex(r2, 'SET', 'm', b'HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff') == b'OK'
    assert err(r2, 'PFADD', 'm', 'x') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert ex(r2, 'SET', 'e2', b'HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00') == b'OK'
    assert err(r2, 'PFADD', 'e2', 'x') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert ex(r2, 'SET', 'short', b'HYLL\x01\x00\x00') == b'OK'
    assert err(r2, 'PFADD', 'short', 'x') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'


def test_pfadd_dense_of_wrong_length(r2):
    assert ex(r2, 'SET', 'd', b'HYLL\x00' + b'\x00' * 111) == b'OK'
    assert err(r2, 'PFADD', 'd', 'x') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert err(r2, 'PFCOUNT', 'd') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert err(r2, 'PFMERGE', 'x', 'd') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'


def test_pfadd_arity(r2):
    assert err(r2, 'PFADD') == "ERR wrong number of arguments for 'pfadd' command"


def test_pfadd_many_calls_exact_bytes(r2):
    assert ex(r2, 'PFADD', 'h', *seq('e', 0, 40)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 40, 80)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 80, 120)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 120, 160)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 160, 200)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 200, 240)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 240, 280)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 280, 320)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 320, 360)) == 1
    assert ex(r2, 'PFADD', 'h', *seq('e', 360, 400)) == 1
    assert sha(r2, 'GET', 'h') == '8e6cc8dd9cb3710e1b1ecf328fa1e644e1cd4e48'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'sparse'
    assert ex(r2, 'PFCOUNT', 'h') == 403


def test_pfadd_promotes_to_dense_past_3000_bytes(r2):
    assert ex(r2, 'PFADD', 'h', *seq('p', 0, 1500)) == 1
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'sparse'
    assert ex(r2, 'STRLEN', 'h') == 2730
    assert ex(r2, 'PFADD', 'h', *seq('p', 1500, 2500)) == 1
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'dense'
    assert ex(r2, 'STRLEN', 'h') == 12304
    assert sha(r2, 'GET', 'h') == '28dd5bdc837692fc6b6303b93999bbf17c69f1d1'
    assert ex(r2, 'PFCOUNT', 'h') == 2516


def test_pfadd_one_by_one_until_dense(r2):
    pipe = r2.pipeline(transaction=False)
    for i in range(1800):
        pipe.execute_command('PFADD', 'h', 'one%d' % i)
    assert len(pipe.execute()) == 1800
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'dense'
    assert ex(r2, 'STRLEN', 'h') == 12304
    assert sha(r2, 'GET', 'h') == '5d906231a18a707c2d271a37e5e1693a16adedfe'
    assert ex(r2, 'PFCOUNT', 'h') == 1807


def test_pfadd_on_dense_exact_bytes(r2):
    assert ex(r2, 'PFADD', 'h', *seq('d', 0, 3000)) == 1
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'dense'
    assert ex(r2, 'PFADD', 'h', 'd1', 'd2') == 0
    assert ex(r2, 'PFADD', 'h', 'new1', 'new2', 'new3') == 1
    assert sha(r2, 'GET', 'h') == '69c01983db6335018e9264c2bcddd452b3c9ec5e'
    assert ex(r2, 'PFCOUNT', 'h') == 3020


def test_sparse_max_bytes_small(r2):
    with config(r2, hll_sparse_max_bytes='30'):
        assert ex(r2, 'PFADD', 'h', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h') == 1
        assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'dense'
        assert ex(r2, 'STRLEN', 'h') == 12304
        assert ex(r2, 'PFADD', 'h2', 'a') == 1
        assert ex(r2, 'PFDEBUG', 'ENCODING', 'h2') == b'sparse'
        assert ex(r2, 'GET', 'h2') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80q\xa6\x84NW'


def test_sparse_max_bytes_zero_promotes_on_first_growth(r2):
    with config(r2, hll_sparse_max_bytes='0'):
        assert ex(r2, 'PFADD', 'h', 'a') == 1
        assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'dense'
        assert ex(r2, 'PFADD', 'h2') == 1
        assert ex(r2, 'PFDEBUG', 'ENCODING', 'h2') == b'sparse'
        assert ex(r2, 'GET', 'h2') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff'


def test_sparse_max_bytes_large_keeps_sparse(r2):
    with config(r2, hll_sparse_max_bytes='20000'):
        assert ex(r2, 'PFADD', 'h', *seq('q', 0, 3000)) == 1
        assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'sparse'
        assert ex(r2, 'STRLEN', 'h') == 4847
        assert sha(r2, 'GET', 'h') == '281975a87346aa3de2e441dcebcf077412d02ebc'
        assert ex(r2, 'PFCOUNT', 'h') == 2994


def test_pfcount_missing_key(r2):
    assert ex(r2, 'PFCOUNT', 'nokey') == 0
    assert ex(r2, 'PFCOUNT', 'a', 'b', 'c') == 0


def test_pfcount_small_exact(r2):
    assert ex(r2, 'PFADD', 'h', 'foo', 'bar', 'zap') == 1
    assert ex(r2, 'PFCOUNT', 'h') == 3
    assert ex(r2, 'PFADD', 'h', 'zap', 'zap', 'zap') == 0
    assert ex(r2, 'PFCOUNT', 'h') == 3
    assert ex(r2, 'PFADD', 'h', 'foo', 'bar') == 0
    assert ex(r2, 'PFCOUNT', 'h') == 3


def test_pfcount_writes_cache_in_header(r2):
    assert ex(r2, 'PFADD', 'h', 'a', 'b', 'c', 'd') == 1
    assert ex(r2, 'GETRANGE', 'h', '0', '15') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80'
    assert ex(r2, 'PFCOUNT', 'h') == 4
    assert ex(r2, 'GETRANGE', 'h', '0', '15') == b'HYLL\x01\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00'
    assert ex(r2, 'PFADD', 'h', 'a') == 0
    assert ex(r2, 'GETRANGE', 'h', '0', '15') == b'HYLL\x01\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00'
    assert ex(r2, 'PFADD', 'h', 'zz') == 1
    assert ex(r2, 'GETRANGE', 'h', '0', '15') == b'HYLL\x01\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x80'
    assert ex(r2, 'PFCOUNT', 'h') == 5
    assert ex(r2, 'GETRANGE', 'h', '0', '15') == b'HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00'


def test_pfcount_returns_a_valid_cached_value(r2):
    assert ex(r2, 'SET', 'h', b'HYLL\x01\x00\x00\x00*\x00\x00\x00\x00\x00\x00\x00\x7f\xff') == b'OK'
    assert ex(r2, 'PFCOUNT', 'h') == 42
    assert ex(r2, 'SET', 'h2', b'HYLL\x01\x00\x00\x00\x05\x05\x05\x05\x05\x05\x05\x00\x7f\xff') == b'OK'
    assert ex(r2, 'PFCOUNT', 'h2') == 1412894000743685
    assert ex(r2, 'SET', 'h3', b'HYLL\x01\x00\x00\x00*\x00\x00\x00\x00\x00\x00\x80\x7f\xff') == b'OK'
    assert ex(r2, 'PFCOUNT', 'h3') == 0
    assert ex(r2, 'GET', 'h3') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff'


def test_pfcount_multi_key_union(r2):
    assert ex(r2, 'PFADD', 'a', '1', '2', '3', '4') == 1
    assert ex(r2, 'PFADD', 'b', '3', '4', '5', '6') == 1
    assert ex(r2, 'PFADD', 'c', 'x') == 1
    assert ex(r2, 'PFCOUNT', 'a', 'b') == 6
    assert ex(r2, 'PFCOUNT', 'a', 'b', 'c') == 7
    assert ex(r2, 'PFCOUNT', 'a', 'a') == 4
    assert ex(r2, 'PFCOUNT', 'a', 'nokey') == 4
    assert ex(r2, 'GETRANGE', 'a', '8', '15') == b'\x00\x00\x00\x00\x00\x00\x00\x80'


def test_pfcount_multi_key_dense_and_sparse(r2):
    assert ex(r2, 'PFADD', 'a', *seq('m', 0, 4000)) == 1
    assert ex(r2, 'PFADD', 'b', *seq('m', 3000, 3500)) == 1
    assert ex(r2, 'PFADD', 'c', *seq('n', 0, 100)) == 1
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'a') == b'dense'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'b') == b'sparse'
    assert ex(r2, 'PFCOUNT', 'a', 'b', 'c') == 4103
    assert ex(r2, 'PFCOUNT', 'b', 'c') == 599
    assert ex(r2, 'PFCOUNT', 'c', 'b', 'a', 'nokey') == 4103


def test_pfcount_wrong_type_and_invalid(r2):
    assert ex(r2, 'LPUSH', 'l', 'x') == 1
    assert ex(r2, 'PFADD', 'h', 'a') == 1
    assert err(r2, 'PFCOUNT', 'l') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert err(r2, 'PFCOUNT', 'h', 'l') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert ex(r2, 'SET', 's', 'notanhll') == b'OK'
    assert err(r2, 'PFCOUNT', 's') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert err(r2, 'PFCOUNT', 'h', 's') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'


def test_pfcount_corrupted_sparse(r2):
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe') == b'OK'
    assert err(r2, 'PFCOUNT', 'c') == 'INVALIDOBJ Corrupted HLL object detected'
    assert err(r2, 'PFCOUNT', 'c', 'nokey') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'SET', 'c2', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80') == b'OK'
    assert err(r2, 'PFCOUNT', 'c2') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'SET', 'c3', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80') == b'OK'
    assert err(r2, 'PFCOUNT', 'c3') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'SET', 'c4', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe\x00') == b'OK'
    assert ex(r2, 'PFCOUNT', 'c4') == 0
    assert ex(r2, 'GET', 'c4') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xfe\x00'


def test_pfcount_arity(r2):
    assert err(r2, 'PFCOUNT') == "ERR wrong number of arguments for 'pfcount' command"


def test_pfmerge_basic(r2):
    assert ex(r2, 'PFADD', 'a', '1', '2', '3') == 1
    assert ex(r2, 'PFADD', 'b', '3', '4', '5') == 1
    assert ex(r2, 'PFMERGE', 'd', 'a', 'b') == b'OK'
    assert ex(r2, 'PFCOUNT', 'd') == 5
    assert ex(r2, 'GET', 'd') == b'HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00A\xee\x84H#\x80SQ\x80Mt\x80Q,\x8cC\xf3'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'd') == b'sparse'


def test_pfmerge_only_destination(r2):
    assert ex(r2, 'PFMERGE', 'd') == b'OK'
    assert ex(r2, 'GET', 'd') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff'
    assert ex(r2, 'PFADD', 'e', 'x') == 1
    assert ex(r2, 'PFMERGE', 'e') == b'OK'
    assert ex(r2, 'GET', 'e') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xf5\x84\x08'


def test_pfmerge_into_existing_destination(r2):
    assert ex(r2, 'PFADD', 'd', 'x', 'y') == 1
    assert ex(r2, 'PFADD', 's', 'y', 'z') == 1
    assert ex(r2, 'PFMERGE', 'd', 's') == b'OK'
    assert ex(r2, 'PFCOUNT', 'd') == 3
    assert ex(r2, 'GET', 'd') == b'HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00a\x84\x80X\xcd\x88E\xa0\x84\x08'


def test_pfmerge_missing_sources(r2):
    assert ex(r2, 'PFMERGE', 'd', 'no1', 'no2') == b'OK'
    assert ex(r2, 'GET', 'd') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff'
    assert ex(r2, 'PFCOUNT', 'd') == 0


def test_pfmerge_dense_source_makes_dense_destination(r2):
    assert ex(r2, 'PFADD', 'a', *seq('v', 0, 3000)) == 1
    assert ex(r2, 'PFADD', 'b', 'x') == 1
    assert ex(r2, 'PFMERGE', 'd', 'b', 'a') == b'OK'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'd') == b'dense'
    assert ex(r2, 'STRLEN', 'd') == 12304
    assert ex(r2, 'PFCOUNT', 'd') == 3000
    assert ex(r2, 'PFMERGE', 'b', 'a') == b'OK'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'b') == b'dense'
    assert sha(r2, 'GET', 'b') == 'd1e4eee03aa3d10c6ab4bfb725932337bcfe721d'
    assert sha(r2, 'GET', 'd') == 'eb7ab17856d0dea2bf6f2aca6c5794d701184888'


def test_pfmerge_sparse_sources_exact_bytes(r2):
    assert ex(r2, 'PFADD', 'a', *seq('s', 0, 200)) == 1
    assert ex(r2, 'PFADD', 'b', *seq('s', 150, 400)) == 1
    assert ex(r2, 'PFMERGE', 'd', 'a', 'b') == b'OK'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'd') == b'sparse'
    assert sha(r2, 'GET', 'd') == '69c78f5f0d7e9b514923b640a492fc03fa67e7c0'
    assert ex(r2, 'PFCOUNT', 'd') == 402
    assert ex(r2, 'PFMERGE', 'a', 'b') == b'OK'
    assert sha(r2, 'GET', 'a') == '69c78f5f0d7e9b514923b640a492fc03fa67e7c0'


def test_pfmerge_sparse_result_too_big_becomes_dense(r2):
    assert ex(r2, 'PFADD', 'a', *seq('t', 0, 1000)) == 1
    assert ex(r2, 'PFADD', 'b', *seq('t', 1000, 2000)) == 1
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'a') == b'sparse'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'b') == b'sparse'
    assert ex(r2, 'PFMERGE', 'd', 'a', 'b') == b'OK'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'd') == b'dense'
    assert sha(r2, 'GET', 'd') == '28f14b3b4905732f380926be1de99d4ea1bfe950'
    assert ex(r2, 'PFCOUNT', 'd') == 2008


def test_pfmerge_keeps_stale_cache_bytes(r2):
    assert ex(r2, 'PFADD', 'd', *seq('k', 0, 5000)) == 1
    assert ex(r2, 'PFCOUNT', 'd') == 4993
    assert ex(r2, 'GETRANGE', 'd', '8', '15') == b'\x81\x13\x00\x00\x00\x00\x00\x00'
    assert ex(r2, 'PFADD', 's', 'zzz') == 1
    assert ex(r2, 'PFMERGE', 'd', 's') == b'OK'
    assert ex(r2, 'GETRANGE', 'd', '8', '15') == b'\x81\x13\x00\x00\x00\x00\x00\x80'
    assert ex(r2, 'PFCOUNT', 'd') == 4994


def test_pfmerge_wrong_type_and_invalid(r2):
    assert ex(r2, 'PFADD', 'h', 'a') == 1
    assert ex(r2, 'LPUSH', 'l', 'x') == 1
    assert err(r2, 'PFMERGE', 'h', 'l') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert err(r2, 'PFMERGE', 'l', 'h') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert ex(r2, 'SET', 's', 'plain') == b'OK'
    assert err(r2, 'PFMERGE', 'h', 's') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert err(r2, 'PFMERGE', 's', 'h') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe') == b'OK'
    assert err(r2, 'PFMERGE', 'h', 'c') == 'INVALIDOBJ Corrupted HLL object detected'
    assert err(r2, 'PFMERGE', 'new', 'c') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'EXISTS', 'new') == 0


def test_pfmerge_arity(r2):
    assert err(r2, 'PFMERGE') == "ERR wrong number of arguments for 'pfmerge' command"


def test_pfdebug_decode(r2):
    assert ex(r2, 'PFADD', 'h', 'a', 'b', 'c') == 1
    assert ex(r2, 'PFDEBUG', 'DECODE', 'h') == b'Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603'
    assert ex(r2, 'PFADD', 'e') == 1
    assert ex(r2, 'PFDEBUG', 'DECODE', 'e') == b'Z:16384'
    assert ex(r2, 'PFDEBUG', 'decode', 'e') == b'Z:16384'


def test_pfdebug_encoding_and_todense(r2):
    assert ex(r2, 'PFADD', 'h', 'a') == 1
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'sparse'
    assert ex(r2, 'PFDEBUG', 'TODENSE', 'h') == 1
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'dense'
    assert ex(r2, 'PFDEBUG', 'TODENSE', 'h') == 0
    assert ex(r2, 'STRLEN', 'h') == 12304
    assert ex(r2, 'PFCOUNT', 'h') == 1
    assert err(r2, 'PFDEBUG', 'DECODE', 'h') == 'ERR HLL encoding is not sparse'
    assert sha(r2, 'GET', 'h') == 'b3af4e91ebb46c95a446cb2d8a6ef204e1e128c8'


def test_pfdebug_getreg(r2):
    assert ex(r2, 'PFADD', 'h', 'a', 'b', 'c') == 1
    ex(r2, 'PFDEBUG', 'GETREG', 'h')
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'h') == b'dense'
    assert ex(r2, 'STRLEN', 'h') == 12304


def test_pfdebug_errors(r2):
    assert err(r2, 'PFDEBUG', 'GETREG', 'nokey') == 'ERR The specified key does not exist'
    assert err(r2, 'PFDEBUG', 'FOO', 'nokey') == 'ERR The specified key does not exist'
    assert ex(r2, 'PFADD', 'h', 'a') == 1
    assert err(r2, 'PFDEBUG', 'FOO', 'h') == "ERR Unknown PFDEBUG subcommand 'FOO'"
    assert err(r2, 'PFDEBUG', 'GETREG', 'h', 'x') == "ERR Wrong number of arguments for the 'GETREG' subcommand"
    assert err(r2, 'PFDEBUG', 'Decode', 'h', 'x') == "ERR Wrong number of arguments for the 'Decode' subcommand"
    assert err(r2, 'PFDEBUG', 'ENCODING', 'h', 'x') == "ERR Wrong number of arguments for the 'ENCODING' subcommand"
    assert err(r2, 'PFDEBUG', 'todense', 'h', 'x') == "ERR Wrong number of arguments for the 'todense' subcommand"
    assert ex(r2, 'LPUSH', 'l', 'a') == 1
    assert err(r2, 'PFDEBUG', 'ENCODING', 'l') == 'WRONGTYPE Operation against a key holding the wrong kind of value'
    assert ex(r2, 'SET', 's', 'x') == b'OK'
    assert err(r2, 'PFDEBUG', 'ENCODING', 's') == 'WRONGTYPE Key is not a valid HyperLogLog string value.'
    assert err(r2, 'PFDEBUG', 'GETREG') == "ERR wrong number of arguments for 'pfdebug' command"


def test_pfdebug_todense_on_corrupted_sparse(r2):
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe') == b'OK'
    assert err(r2, 'PFDEBUG', 'TODENSE', 'c') == 'INVALIDOBJ Corrupted HLL object detected'
    assert err(r2, 'PFDEBUG', 'GETREG', 'c') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'PFDEBUG', 'ENCODING', 'c') == b'sparse'
    assert ex(r2, 'PFDEBUG', 'DECODE', 'c') == b'Z:16383'


def test_pfadd_corrupted_sparse_keeps_partial_update(r2):
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe') == b'OK'
    assert ex(r2, 'PFADD', 'c', 'a', 'b', 'c', 'd', 'e', 'f') == 1
    assert ex(r2, 'GET', 'c') == (
        (b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80Fm\x80V\x0c\x80Dv\x80P\xb1\x84I\x8c\x80B'
         b'm\x80BY')
    )
    assert ex(r2, 'SET', 'c2', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80') == b'OK'
    assert err(r2, 'PFADD', 'c2', 'x') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'GET', 'c2') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80'


def test_pfadd_sparse_with_overlong_runs(r2):
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x7f\xff') == b'OK'
    assert ex(r2, 'PFADD', 'c', 'a', 'b') == 1
    assert ex(r2, 'GET', 'c') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80q\xa6\x84K\xfb\x80BZ\x7f\xff'
    assert err(r2, 'PFCOUNT', 'c') == 'INVALIDOBJ Corrupted HLL object detected'


def test_sparse_value_written_by_redis(r2):
    assert ex(r2, 'SET', 'h', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ') == b'OK'
    assert ex(r2, 'PFCOUNT', 'h') == 3
    assert ex(r2, 'PFDEBUG', 'DECODE', 'h') == b'Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603'
    assert ex(r2, 'PFADD', 'h', 'a', 'b', 'c') == 0
    assert ex(r2, 'PFADD', 'h', 'd') == 1
    assert ex(r2, 'GET', 'h') == b'HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x80\\{\x80Dv\x80P\xb1\x84K\xfb\x80BZ'


def test_notused_header_bytes_are_kept(r2):
    assert ex(r2, 'SET', 'h', b'HYLL\x01\xaa\xbb\xcc\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff') == b'OK'
    assert ex(r2, 'PFADD', 'h', 'x') == 1
    assert ex(r2, 'GETRANGE', 'h', '0', '15') == b'HYLL\x01\xaa\xbb\xcc\x00\x00\x00\x00\x00\x00\x00\x80'
    assert ex(r2, 'PFDEBUG', 'TODENSE', 'h') == 1
    assert ex(r2, 'GETRANGE', 'h', '0', '15') == b'HYLL\x00\xaa\xbb\xcc\x00\x00\x00\x00\x00\x00\x00\x80'
    assert ex(r2, 'PFCOUNT', 'h') == 1
    assert ex(r2, 'GETRANGE', 'h', '0', '15') == b'HYLL\x00\xaa\xbb\xcc\x01\x00\x00\x00\x00\x00\x00\x00'


def test_truncated_xzero_at_end(r2):
    assert ex(r2, 'SET', 't', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f') == b'OK'
    assert ex(r2, 'PFCOUNT', 't') == 0
    assert ex(r2, 'SET', 't2', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f') == b'OK'
    assert err(r2, 'PFCOUNT', 't2') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'PFDEBUG', 'DECODE', 't2') == b'Z:16129'



# --------------------------------------------------------------------------- big inputs


def test_pfcount_of_100000_elements_is_exact(r2):
    """The estimate Redis gives for element:0 .. element:99999, added in batches."""
    elems = seq("element:", 0, 100000)
    for i in range(0, 100000, 10000):
        ex(r2, "PFADD", "h", *elems[i:i + 10000])
    assert ex(r2, "PFCOUNT", "h") == 100039
    assert sha(r2, "GET", "h") == "869bb2bd20736740dcdce657313393121906696b"


def test_pfadd_100000_elements_in_one_call(r2):
    assert ex(r2, "PFADD", "h", *seq("element:", 0, 100000)) == 1
    assert ex(r2, "PFDEBUG", "ENCODING", "h") == b"dense"
    assert ex(r2, "PFCOUNT", "h") == 100039
    assert sha(r2, "GET", "h") == "869bb2bd20736740dcdce657313393121906696b"


# --------------------------------------------------------------------------- foreign values


def test_dense_value_made_by_hand(r2):
    regs = [(i * 7 + 3) % 20 if i % 3 else 0 for i in range(16384)]
    regs[5] = 40
    regs[100] = 63
    ex(r2, "SET", "d", dense_value(regs))
    assert ex(r2, "PFCOUNT", "d") == 20663
    assert ex(r2, "PFDEBUG", "GETREG", "d") == regs
    assert ex(r2, "PFADD", "d", "a", "b", "c") == 1
    assert sha(r2, "GET", "d") == "c20e6c32c3500ebe693ceaee3d9f2f3f61b12c0b"
    ex(r2, "PFADD", "s", "x", "y")
    assert ex(r2, "PFMERGE", "s", "d") == b"OK"
    assert ex(r2, "PFDEBUG", "ENCODING", "s") == b"dense"
    assert ex(r2, "PFCOUNT", "s") == 20679
    assert sha(r2, "GET", "s") == "92f24d026cb582469b500f9a33ca5a1a5dd0be75"


def test_pfmerge_register_above_32_needs_dense(r2):
    """A sparse VAL opcode holds values up to 32: a bigger one forces the dense encoding."""
    regs = [0] * 16384
    regs[7] = 33
    regs[9000] = 5
    ex(r2, "SET", "d", dense_value(regs))
    ex(r2, "PFADD", "s", "x")
    ex(r2, "PFDEBUG", "TODENSE", "d")
    assert ex(r2, "PFMERGE", "s", "s", "d") == b"OK"
    assert ex(r2, "PFDEBUG", "ENCODING", "s") == b"dense"
    assert ex(r2, "PFCOUNT", "s") == 3
    getreg = ex(r2, "PFDEBUG", "GETREG", "s")
    assert getreg[7] == 33 and getreg[9000] == 5 and sum(1 for v in getreg if v) == 3


def test_pfdebug_getreg_values(r2):
    ex(r2, "PFADD", "h", "a", "b", "c")
    regs = ex(r2, "PFDEBUG", "GETREG", "h")
    assert len(regs) == 16384
    assert [(i, v) for i, v in enumerate(regs) if v] == [(8436, 1), (12711, 2), (15780, 1)]


# --------------------------------------------------------------------------- side effects


def test_keyspace_events(r2, events):
    ex(r2, "PFADD", "h", "a")
    ex(r2, "PFADD", "h", "a")
    ex(r2, "PFCOUNT", "h")
    ex(r2, "PFMERGE", "m", "h")
    ex(r2, "PFDEBUG", "TODENSE", "h")
    ex(r2, "PFADD", "e")
    assert events.collect() == [("pfadd", "h"), ("pfadd", "m"), ("pfadd", "e")]


def test_ttl_is_kept(r2):
    ex(r2, "PFADD", "h", "a")
    ex(r2, "EXPIRE", "h", 1000)
    ex(r2, "PFADD", "h", "b")
    ex(r2, "PFCOUNT", "h")
    ex(r2, "PFMERGE", "h", "nokey")
    ex(r2, "PFDEBUG", "TODENSE", "h")
    ex(r2, "PFADD", "h", "c")
    assert 990 <= ex(r2, "TTL", "h") <= 1000


def test_pfcount_cache_update_touches_watched_key(r2, make_client):
    """PFCOUNT writing the cached cardinality counts as a change (signalModifiedKey)."""
    ex(r2, "PFADD", "h", "a", "b")
    ex(r2, "WATCH", "h")
    assert ex(r2, "PFCOUNT", "h") == 2
    ex(r2, "MULTI")
    ex(r2, "PING")
    assert ex(r2, "EXEC") is None


def test_pfcount_cached_value_does_not_touch_watched_key(r2):
    ex(r2, "PFADD", "h", "a", "b")
    assert ex(r2, "PFCOUNT", "h") == 2
    ex(r2, "WATCH", "h")
    assert ex(r2, "PFCOUNT", "h") == 2
    assert ex(r2, "PFADD", "h", "a") == 0
    ex(r2, "MULTI")
    ex(r2, "PING")
    assert ex(r2, "EXEC") == [b"PONG"]


@pytest.mark.parametrize("sub, reply", [("TODENSE", 1), ("GETREG", [0] * 16384)])
def test_pfdebug_conversion_does_not_touch_watched_key(r2, sub, reply):
    """PFDEBUG TODENSE/GETREG convert a sparse HLL to dense with dirty++ only (no
    signalModifiedKey): a WATCH on the key still holds."""
    ex(r2, "PFADD", "h")
    ex(r2, "WATCH", "h")
    assert ex(r2, "PFDEBUG", sub, "h") == reply
    assert ex(r2, "PFDEBUG", "ENCODING", "h") == b"dense"
    ex(r2, "MULTI")
    ex(r2, "PING")
    assert ex(r2, "EXEC") == [b"PONG"]


def test_pfadd_partial_update_of_corrupted_hll_does_not_touch_watched_key(r2):
    """PFADD on a sparse HLL whose runs stop one register short: the elements before the one
    that lands past the end are kept, then INVALIDOBJ, and no signalModifiedKey."""
    bad = b"HYLL\x01" + b"\x00" * 10 + b"\x80\x7f\xfe"
    ex(r2, "SET", "c", bad)
    ex(r2, "WATCH", "c")
    assert err(r2, "PFADD", "c", *seq("e", 0, 3000)) == "INVALIDOBJ Corrupted HLL object detected"
    assert ex(r2, "STRLEN", "c") == 2985
    ex(r2, "MULTI")
    ex(r2, "PING")
    assert ex(r2, "EXEC") == [b"PONG"]


def test_in_multi(r2):
    ex(r2, "MULTI")
    ex(r2, "PFADD", "h", "a", "b", "c")
    ex(r2, "PFCOUNT", "h")
    ex(r2, "PFMERGE", "m", "h")
    ex(r2, "PFCOUNT", "m", "h")
    assert ex(r2, "EXEC") == [1, 3, b"OK", 3]


def test_object_encoding_is_raw(r2):
    ex(r2, "PFADD", "h", "a")
    assert ex(r2, "OBJECT", "ENCODING", "h") == b"raw"
    ex(r2, "PFCOUNT", "h")
    assert ex(r2, "OBJECT", "ENCODING", "h") == b"raw"
    ex(r2, "PFMERGE", "m")
    assert ex(r2, "OBJECT", "ENCODING", "m") == b"raw"


EMPTY_SPARSE = b"HYLL\x01" + b"\x00" * 11 + b"\x7f\xff"


@pytest.mark.parametrize("args, reply", [
    (("PFADD", "h"), 0),
    (("PFCOUNT", "h"), 0),
    (("PFDEBUG", "ENCODING", "h"), b"sparse"),
    (("PFDEBUG", "DECODE", "h"), b"Z:16384"),
])
def test_embstr_hll_is_unshared_even_when_unchanged(r2, args, reply):
    """PFADD, PFCOUNT and PFDEBUG make an existing HLL a private raw string first
    (dbUnshareStringValue), even when they change nothing; a COPY of it stays embstr."""
    assert ex(r2, "SET", "h", EMPTY_SPARSE) == b"OK"
    assert ex(r2, "COPY", "h", "c") == 1
    assert ex(r2, "OBJECT", "ENCODING", "h") == b"embstr"
    assert ex(r2, *args) == reply
    assert ex(r2, "OBJECT", "ENCODING", "h") == b"raw"
    assert ex(r2, "OBJECT", "ENCODING", "c") == b"embstr"
    assert ex(r2, "GET", "h") == EMPTY_SPARSE


def test_unknown_pfdebug_subcommand_still_unshares(r2):
    assert ex(r2, "SET", "h", EMPTY_SPARSE) == b"OK"
    assert err(r2, "PFDEBUG", "NOPE", "h") == "ERR Unknown PFDEBUG subcommand 'NOPE'"
    assert ex(r2, "OBJECT", "ENCODING", "h") == b"raw"
    assert ex(r2, "PFCOUNT", "h", "nokey") == 0
    assert ex(r2, "SET", "h", EMPTY_SPARSE) == b"OK"
    assert ex(r2, "PFCOUNT", "h", "nokey") == 0
    assert ex(r2, "OBJECT", "ENCODING", "h") == b"embstr"


# --------------------------------------------------------------------------- seeded sequences


def _lcg(seed):
    x = seed
    while True:
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        yield x >> 33


_SMALL_SEQUENCES = {
    1: ([57, 345, 347, 389], "0e047b118adb66d938f66a64e0aad1c8bb835025"),
    2: ([157, 207, 252, 392], "bd8a3ea65259e7f9c27b07c0bc51aa6b34f12d75"),
    3: ([186, 339, 495, 535], "85033bd252285a1b8ce2f2825697a2b0ceef2900"),
    4: ([22, 63, 103, 106], "72df6e69ff0661cdfaa731a4883c87063ad2601e"),
    5: ([51, 97, 147, 167], "c45412094a7a809b1231cf332ce70a552e5244d1"),
    6: ([49, 136, 325, 364], "95611edf179feed46816cef085964593dfdc7611"),
    7: ([90, 133, 434, 575], "2f2a5015c24dffa1a73ef1519a27216ffa271d82"),
    8: ([331, 345, 357, 435], "16ad3122c5eefe03c453e1f0135a3a5281115300"),
}


@pytest.mark.parametrize("seed", sorted(_SMALL_SEQUENCES))
def test_sparse_sequence_bytes(r2, seed):
    """Twelve PFADD batches of mixed sizes: the sparse bytes depend on the order of updates
    (opcode splits, merges of adjacent runs), so they must come out as Redis's."""
    g = _lcg(seed)
    counts = []
    for step in range(12):
        n = [1, 3, 10, 40, 150][next(g) % 5]
        spread = [50, 1000, 10**6][next(g) % 3]
        ex(r2, "PFADD", "h", *["s%d" % (next(g) % spread) for _ in range(n)])
        if step % 3 == 2:
            counts.append(ex(r2, "PFCOUNT", "h"))
    want_counts, want_sha = _SMALL_SEQUENCES[seed]
    assert counts == want_counts
    assert ex(r2, "PFDEBUG", "ENCODING", "h") == b"sparse"
    assert sha(r2, "GET", "h") == want_sha


_BIG_SEQUENCES = {
    11: ([292, 968, 1066, 1351, 1630, 2243, 2860, 2953], "fb54363e32bf39320a48dd488d678a5062bcdac6"),
    12: ([696, 990, 1265, 1356, 1453, 1732, 2012, 2621], "b0161d9e7896cdf1d5e085fe99e6cacba900fb55"),
    13: ([300, 976, 1071, 1172, 1822, 1911, 1990, 2072], "280c058b3e5501578db64907d0d95a190235a01c"),
    14: ([297, 593, 876, 974, 1068, 1167, 1822, 1910], "6fc989abdefebd9cf7d061ab7375c032eaf94472"),
}


@pytest.mark.parametrize("seed", sorted(_BIG_SEQUENCES))
def test_sequence_through_promotion(r2, seed):
    g = _lcg(seed)
    counts = []
    for _step in range(8):
        n = [100, 300, 700][next(g) % 3]
        ex(r2, "PFADD", "h", *["b%d" % (next(g) % 20000) for _ in range(n)])
        counts.append(ex(r2, "PFCOUNT", "h"))
    want_counts, want_sha = _BIG_SEQUENCES[seed]
    assert counts == want_counts
    assert ex(r2, "PFDEBUG", "ENCODING", "h") == b"dense"
    assert sha(r2, "GET", "h") == want_sha


# --------------------------------------------------------------------------- estimator edges


@pytest.mark.parametrize("value, count", [
    (0, 0), (1, 23637), (5, 378194), (20, 12392656037), (32, 50760319129350),
    (50, -9223372036854775808), (51, -9223372036854775808), (52, -9223372036854775808),
    (63, -9223372036854775808),
])
def test_pfcount_of_uniform_registers(r2, value, count):
    """Huge estimates overflow llroundl: Redis replies LLONG_MIN and its cache stays invalid."""
    ex(r2, "SET", "d", dense_value([value] * 16384))
    assert ex(r2, "PFCOUNT", "d") == count
    assert ex(r2, "PFCOUNT", "d", "nokey") == count
    if count < 0:
        assert ex(r2, "GETRANGE", "d", 8, 15) == b"\x00" * 7 + b"\x80"
        assert ex(r2, "PFCOUNT", "d") == count


def test_pfcount_of_mixed_registers(r2):
    ex(r2, "SET", "d", dense_value([i % 64 for i in range(16384)]))
    assert ex(r2, "PFCOUNT", "d") == 375261
    assert ex(r2, "GETRANGE", "d", 0, 15) == b"HYLL\x00\x00\x00\x00\xdd\xb9\x05\x00\x00\x00\x00\x00"


def test_pfcount_from_lua(r2):
    ex(r2, "PFADD", "h", "a", "b", "c")
    assert ex(r2, "EVAL", "return redis.call('pfcount', KEYS[1])", 1, "h") == 3
    assert ex(r2, "GETRANGE", "h", 8, 15) == b"\x03" + b"\x00" * 7
    assert ex(r2, "EVAL", "return redis.call('pfadd', KEYS[1], 'd')", 1, "h") == 1


def test_copy_keeps_the_bytes(r2):
    ex(r2, "PFADD", "h", *seq("c", 0, 100))
    assert ex(r2, "COPY", "h", "h2") == 1
    assert ex(r2, "GET", "h2") == ex(r2, "GET", "h")
    assert ex(r2, "PFCOUNT", "h2") == ex(r2, "PFCOUNT", "h") == 100


def test_trailing_val_after_16384_registers(r2):
    """hllMerge and hllSparseToDense stop at a VAL run past the last register (and accept the
    value); the histogram of PFCOUNT counts it (and rejects the value)."""
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x84\x88') == b'OK'
    assert err(r2, 'PFCOUNT', 'c') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'PFMERGE', 'd', 'c') == b'OK'
    assert ex(r2, 'GET', 'd') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff'
    assert ex(r2, 'PFDEBUG', 'TODENSE', 'c') == 1
    assert ex(r2, 'PFCOUNT', 'c') == 0


def test_partial_update_invalidates_cache(r2):
    """Each sparse update marks the cached cardinality stale, even when a later element fails."""
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00O') == b'OK'
    assert ex(r2, 'PFCOUNT', 'c') == 0
    assert err(r2, 'PFADD', 'c', 'x2', 'x6', 'x7', 'x0', 'x1') == 'INVALIDOBJ Corrupted HLL object detected'
    assert ex(r2, 'GET', 'c') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80Cr\x94B\xa3\x84H+\x84@'
    assert ex(r2, 'PFDEBUG', 'DECODE', 'c') == b'Z:883 v:6,1 Z:676 v:2,1 Z:2092 v:2,1 Z:1'


def test_truncated_xzero_split_within_one_call(r2):
    """Splitting a truncated XZERO (its missing byte read as the NUL terminator) writes the
    last byte of the new opcodes past the end of the string: the value stays truncated."""
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80O') == b'OK'
    assert ex(r2, 'PFADD', 'c', 'x2', 'x6') == 1
    assert ex(r2, 'GET', 'c') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80F\x17\x84H+\x84@'
    assert ex(r2, 'SET', 'c', b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80O') == b'OK'
    assert ex(r2, 'PFADD', 'c', 'x2') == 1
    assert ex(r2, 'PFADD', 'c', 'x6') == 1
    assert ex(r2, 'GET', 'c') == b'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80F\x17\x84H+\x84@'



def test_pfselftest(r2):
    assert ex(r2, "PFSELFTEST") == b"OK"


def test_pfselftest_arity(r2):
    assert err(r2, "PFSELFTEST", "x") == "ERR wrong number of arguments for 'pfselftest' command"
