"""Differential fuzzing of Perdure against real Redis 6.2.14 (used by ``test_differential.py``).

* :mod:`.wire` -- raw RESP connections to both servers, reply parsing into comparable trees,
  and the normalisations that are legitimate (unordered replies, TTL tolerance, random shapes).
* :mod:`.commands` -- Hypothesis strategies that draw commands per family (strings/bitmaps,
  keys/expire, hashes, lists, sets, zsets, transactions) over a small key space, on purpose
  including wrong types, wrong arity, bad numbers and edge values.
"""
