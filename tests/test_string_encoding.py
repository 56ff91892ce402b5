"""OBJECT ENCODING of strings (commands/keys.py): content rules and the history marks.

Redis picks ``int`` / ``embstr`` / ``raw`` from the content when it stores a value, but APPEND,
SETRANGE, SETBIT, BITFIELD and BITOP leave ``raw`` strings and INCRBYFLOAT an ``embstr``:
those commands call :func:`mark_string_encoding`, whose registry must forget values no key holds.
"""

from __future__ import annotations

import pytest

from perdure.server.commands import keys


@pytest.mark.parametrize(
    "value, encoding",
    [(b"1", b"int"), (b"-9223372036854775808", b"int"), (b"9223372036854775808", b"embstr"),
     (b"01", b"embstr"), (b"", b"embstr"), (b"x" * 44, b"embstr"), (b"x" * 45, b"raw")],
)
def test_content_rules(value, encoding):
    assert keys.string_encoding(value) == encoding


def test_marks_apply_to_that_object_only():
    v = bytes(bytearray(b"12345"))
    keys.mark_string_encoding(v, b"raw")
    assert keys.string_encoding(v) == b"raw"
    assert keys.string_encoding(bytes(bytearray(b"12345"))) == b"int"
    w = bytes(bytearray(b"10"))
    keys.mark_string_encoding(w, b"embstr")
    assert keys.string_encoding(w) == b"embstr"


def test_marks_of_dead_values_are_pruned():
    live = [bytes(bytearray(b"live%d" % i)) for i in range(3000)]
    for v in live:
        keys.mark_string_encoding(v)
    for i in range(3000):
        keys.mark_string_encoding(bytes(bytearray(b"dead%d" % i)))
    keys._prune_marks()
    assert len(keys._string_marks) <= len(live) + 2
    assert all(keys.string_encoding(v) == b"raw" for v in live)


def test_one_byte_values_are_not_marked():
    keys.mark_string_encoding(b"a")
    assert keys.string_encoding(b"a") == b"embstr"
