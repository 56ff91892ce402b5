"""DEBUG PAUSE-CRON: serverCron skipped while paused.

``DEBUG PAUSE-CRON 1`` makes every serverCron round return at once until ``DEBUG PAUSE-CRON 0``:
no active expiry, no client timeouts, no tracking-table trimming.  Commands still run (lazy
expiry on access still happens).  Redis's own use: tracking.tcl "Regression test for #11715",
ported here.
"""

from __future__ import annotations

import re
import time

import pytest

from .helpers import err, ex, wait_for

SUBCMD = "ERR Unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."


def _expired_keys(c) -> int:
    return int(re.search(rb"expired_keys:(\d+)", ex(c, "INFO", "stats")).group(1))


@pytest.fixture
def paused(r2):
    """Unpause the cron at teardown, whatever the test did."""
    yield r2
    ex(r2, "DEBUG", "PAUSE-CRON", "0")


def test_pause_cron_replies(paused):
    r2 = paused
    assert ex(r2, "DEBUG", "PAUSE-CRON", "1") == b"OK"
    assert ex(r2, "DEBUG", "PAUSE-CRON", "0") == b"OK"
    assert ex(r2, "DEBUG", "pause-cron", "abc") == b"OK"  # atoi: 0
    assert ex(r2, "DEBUG", "PAUSE-CRON", "2") == b"OK"  # any non-zero value pauses
    assert ex(r2, "DEBUG", "PAUSE-CRON", "0") == b"OK"


def test_pause_cron_arity(r2):
    assert err(r2, "DEBUG", "PAUSE-CRON") == SUBCMD % "PAUSE-CRON"
    assert err(r2, "DEBUG", "PAUSE-CRON", "1", "2") == SUBCMD % "PAUSE-CRON"


def test_debug_help_lists_pause_cron(r2):
    h = ex(r2, "DEBUG", "HELP")
    i = h.index(b"PAUSE-CRON <0|1>")
    assert h[i + 1] == b"    Stop periodic cron job processing."
    assert h[-2:] == [b"HELP", b"    Prints this help."]
    assert h.index(b"SLEEP <seconds>") < i  # listed after SLEEP, as in Redis


def test_no_active_expiry_while_cron_paused(paused):
    r2 = paused
    before = _expired_keys(r2)
    assert ex(r2, "DEBUG", "PAUSE-CRON", "1") == b"OK"
    ex(r2, "SET", "k", "v", "PX", "50")
    ex(r2, "SET", "keep", "v")
    time.sleep(0.6)  # several cron periods at hz 10
    assert ex(r2, "DBSIZE") == 2  # still there: nothing expired it in the background
    assert _expired_keys(r2) == before
    assert ex(r2, "DEBUG", "PAUSE-CRON", "0") == b"OK"
    assert wait_for(lambda: ex(r2, "DBSIZE") == 1), "the key was not actively expired after unpausing"
    assert _expired_keys(r2) == before + 1
    assert ex(r2, "EXISTS", "keep") == 1


def test_lazy_expiry_still_works_while_cron_paused(paused):
    r2 = paused
    before = _expired_keys(r2)
    assert ex(r2, "DEBUG", "PAUSE-CRON", "1") == b"OK"
    ex(r2, "SET", "k", "v", "PX", "50")
    time.sleep(0.2)
    assert ex(r2, "DBSIZE") == 1
    assert ex(r2, "GET", "k") is None  # an access expires it
    assert ex(r2, "DBSIZE") == 0
    assert _expired_keys(r2) == before + 1


def _tracking_client(r2, make_raw, restore_config, max_keys):
    """tracking-table-max-keys ``max_keys`` (restored after the test), the cron paused, and a
    RESP3 connection with CLIENT TRACKING on."""
    restore_config("tracking-table-max-keys")
    ex(r2, "CONFIG", "SET", "tracking-table-max-keys", str(max_keys))
    assert ex(r2, "DEBUG", "PAUSE-CRON", "1") == b"OK"
    rd = make_raw()
    assert rd.cmd("HELLO", "3").startswith(b"%")
    assert rd.cmd("CLIENT", "TRACKING", "on") == b"+OK\r\n"
    return rd


def test_tracking_limit_applied_by_next_command_when_cron_paused(paused, make_raw, restore_config):
    """tracking.tcl "Regression test for #11715": the tracking table is over its limit but the
    cron does not trim it; the next command (queued in MULTI) does, and must not crash."""
    r2 = paused
    rd = _tracking_client(r2, make_raw, restore_config, 2)
    assert rd.cmd("MGET", "1{tag}", "2{tag}") == b"*2\r\n_\r\n_\r\n"
    assert rd.cmd("MULTI") == b"+OK\r\n"
    ex(r2, "CONFIG", "SET", "tracking-table-max-keys", "1")
    rd.send(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nEXEC\r\n")
    push = rd.recv_reply()
    assert re.fullmatch(rb">2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$6\r\n[12]\{tag\}\r\n", push), push
    assert rd.recv_reply() == b"+QUEUED\r\n"
    assert rd.recv_reply() == b"*1\r\n+PONG\r\n"
    assert rd.cmd("PING") == b"+PONG\r\n"


def test_tracking_limit_applied_before_another_clients_command(paused, make_raw, restore_config):
    """processCommand trims the tracking table before every command, whoever sends it: with the
    cron paused, a plain client's next command trims the table lowered by CONFIG SET, and the
    tracking client gets the invalidations first."""
    rd = _tracking_client(paused, make_raw, restore_config, 0)
    keys = ["t%d{tag}" % i for i in range(6)]
    assert rd.cmd("MGET", *keys).startswith(b"*6\r\n")
    plain = make_raw()
    assert plain.cmd("CONFIG", "SET", "tracking-table-max-keys", "2") == b"+OK\r\n"
    info = plain.cmd("INFO", "stats")  # the table is trimmed before INFO runs
    assert b"tracking_total_keys:2\r\n" in info, info
    for _ in range(4):
        push = rd.recv_reply()
        assert re.fullmatch(rb">2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$7\r\nt\d\{tag\}\r\n", push), push
    assert rd.cmd("PING") == b"+PONG\r\n"
