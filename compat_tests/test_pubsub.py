"""Pub/Sub as Redis 6.2.14 does it: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
PUBSUB CHANNELS / NUMSUB / NUMPAT / HELP.

Byte-exact frames on raw connections (RESP2 arrays, RESP3 ``>`` pushes), the subscribed-context
rules of RESP2, Redis's glob for patterns, pushes that ignore CLIENT REPLY OFF, clean-up on
disconnection and RESET, ACL channel permissions, and the ``client-output-buffer-limit pubsub``
class that disconnects a subscriber which does not read.  Where Redis's order comes from a hash
table (UNSUBSCRIBE with no argument, PUBSUB CHANNELS, several patterns matching one message) the
tests compare sorted.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex, resp_encode, wait_for

CONTEXT_ERR = ("-ERR Can't execute '%s': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT / "
               "RESET are allowed in this context\r\n")


def bulk(b) -> bytes:
    if isinstance(b, str):
        b = b.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def frame(kind: str, name, count: int, proto: int = 2) -> bytes:
    head = b"*3\r\n" if proto == 2 else b">3\r\n"
    if name is None:
        nm = b"$-1\r\n" if proto == 2 else b"_\r\n"
    else:
        nm = bulk(name)
    return head + bulk(kind) + nm + b":%d\r\n" % count


def message(channel, data, proto: int = 2) -> bytes:
    return (b"*3\r\n" if proto == 2 else b">3\r\n") + bulk("message") + bulk(channel) + bulk(data)


def pmessage(pattern, channel, data, proto: int = 2) -> bytes:
    return ((b"*4\r\n" if proto == 2 else b">4\r\n") + bulk("pmessage") + bulk(pattern)
            + bulk(channel) + bulk(data))


def resp3(make_raw):
    conn = make_raw()
    reply = conn.cmd("HELLO", "3")
    assert reply.startswith(b"%7\r\n")
    return conn


@pytest.fixture
def sub(make_raw):
    """A RESP2 raw connection, meant for subscribing."""
    return make_raw()


# --------------------------------------------------------------------------- command table


@pytest.mark.parametrize("name,info", [
    ("subscribe", [b"subscribe", -2, [b"pubsub", b"noscript", b"loading", b"stale"], 0, 0, 0]),
    ("unsubscribe", [b"unsubscribe", -1, [b"pubsub", b"noscript", b"loading", b"stale"], 0, 0, 0]),
    ("psubscribe", [b"psubscribe", -2, [b"pubsub", b"noscript", b"loading", b"stale"], 0, 0, 0]),
    ("punsubscribe", [b"punsubscribe", -1, [b"pubsub", b"noscript", b"loading", b"stale"], 0, 0, 0]),
    ("publish", [b"publish", 3, [b"pubsub", b"loading", b"stale", b"fast", b"may_replicate"], 0, 0, 0]),
    ("pubsub", [b"pubsub", -2, [b"pubsub", b"random", b"loading", b"stale"], 0, 0, 0]),
])
def test_command_info(r2, name, info):
    assert ex(r2, "COMMAND", "INFO", name)[0][:6] == info


@pytest.mark.parametrize("name", ["subscribe", "psubscribe", "publish", "pubsub"])
def test_arity_errors(r2, name):
    assert err(r2, name) == "ERR wrong number of arguments for '%s' command" % name


def test_publish_arity_too_many(r2):
    assert err(r2, "PUBLISH", "a", "b", "c") == "ERR wrong number of arguments for 'publish' command"


# --------------------------------------------------------------------------- SUBSCRIBE / UNSUBSCRIBE


def test_subscribe_frames(sub):
    sub.send(resp_encode("SUBSCRIBE", "a", "b", "c"))
    assert sub.recv_replies(3) == [frame("subscribe", "a", 1), frame("subscribe", "b", 2),
                                   frame("subscribe", "c", 3)]
    sub.assert_silent()


def test_subscribe_same_channel_twice_counts_once(sub):
    sub.send(resp_encode("SUBSCRIBE", "a", "a"))
    assert sub.recv_replies(2) == [frame("subscribe", "a", 1), frame("subscribe", "a", 1)]
    assert sub.cmd("SUBSCRIBE", "a") == frame("subscribe", "a", 1)


def test_subscribe_resp3_pushes(make_raw):
    c = resp3(make_raw)
    c.send(resp_encode("SUBSCRIBE", "a", "b"))
    assert c.recv_replies(2) == [frame("subscribe", "a", 1, 3), frame("subscribe", "b", 2, 3)]


def test_psubscribe_frames_count_channels_and_patterns(sub):
    assert sub.cmd("SUBSCRIBE", "ch") == frame("subscribe", "ch", 1)
    sub.send(resp_encode("PSUBSCRIBE", "p*", "q?"))
    assert sub.recv_replies(2) == [frame("psubscribe", "p*", 2), frame("psubscribe", "q?", 3)]
    assert sub.cmd("SUBSCRIBE", "ch2") == frame("subscribe", "ch2", 4)


def test_unsubscribe_named(sub):
    sub.send(resp_encode("SUBSCRIBE", "a", "b"))
    sub.recv_replies(2)
    sub.send(resp_encode("UNSUBSCRIBE", "b", "zz", "a"))
    assert sub.recv_replies(3) == [frame("unsubscribe", "b", 1), frame("unsubscribe", "zz", 1),
                                   frame("unsubscribe", "a", 0)]


def test_unsubscribe_all(sub):
    sub.send(resp_encode("SUBSCRIBE", "a", "b", "c"))
    sub.recv_replies(3)
    assert sub.cmd("PSUBSCRIBE", "p") == frame("psubscribe", "p", 4)
    sub.send(resp_encode("UNSUBSCRIBE"))
    got = sub.recv_replies(3)
    # hash-table order in Redis: the names in any order, the counts 3, 2, 1 in order
    parts = [g.split(b"\r\n") for g in got]
    assert [p[:3] for p in parts] == [[b"*3", b"$11", b"unsubscribe"]] * 3
    assert [p[5] for p in parts] == [b":3", b":2", b":1"]
    assert sorted(p[4] for p in parts) == [b"a", b"b", b"c"]
    sub.assert_silent()
    assert sub.cmd("PUNSUBSCRIBE") == frame("punsubscribe", "p", 0)


def test_unsubscribe_when_subscribed_to_nothing(sub):
    assert sub.cmd("UNSUBSCRIBE") == frame("unsubscribe", None, 0)
    assert sub.cmd("PUNSUBSCRIBE") == frame("punsubscribe", None, 0)


def test_unsubscribe_nothing_keeps_pattern_count(sub):
    assert sub.cmd("PSUBSCRIBE", "p*") == frame("psubscribe", "p*", 1)
    assert sub.cmd("UNSUBSCRIBE") == frame("unsubscribe", None, 1)


def test_unsubscribe_nothing_resp3_null(make_raw):
    c = resp3(make_raw)
    assert c.cmd("UNSUBSCRIBE") == frame("unsubscribe", None, 0, 3)
    assert c.cmd("PUNSUBSCRIBE") == frame("punsubscribe", None, 0, 3)


def test_unsubscribe_without_subscribing_names_channels(sub):
    sub.send(resp_encode("UNSUBSCRIBE", "x", "y"))
    assert sub.recv_replies(2) == [frame("unsubscribe", "x", 0), frame("unsubscribe", "y", 0)]
    # still not in subscribed mode
    assert sub.cmd("GET", "k") == b"$-1\r\n"


def test_punsubscribe_named(sub):
    sub.send(resp_encode("PSUBSCRIBE", "a*", "b*"))
    sub.recv_replies(2)
    sub.send(resp_encode("PUNSUBSCRIBE", "b*", "c*"))
    assert sub.recv_replies(2) == [frame("punsubscribe", "b*", 1), frame("punsubscribe", "c*", 1)]


def test_punsubscribe_is_literal_not_glob(sub):
    assert sub.cmd("PSUBSCRIBE", "a*") == frame("psubscribe", "a*", 1)
    assert sub.cmd("PUNSUBSCRIBE", "*") == frame("punsubscribe", "*", 1)
    assert sub.cmd("PUNSUBSCRIBE", "a*") == frame("punsubscribe", "a*", 0)


def test_channels_and_patterns_are_separate_namespaces(sub, r2):
    assert sub.cmd("SUBSCRIBE", "a*") == frame("subscribe", "a*", 1)
    assert sub.cmd("PUNSUBSCRIBE", "a*") == frame("punsubscribe", "a*", 1)
    assert ex(r2, "PUBLISH", "a*", "m") == 1
    assert sub.recv_reply() == message("a*", "m")


# --------------------------------------------------------------------------- PUBLISH


def test_publish_without_subscribers(r2):
    assert ex(r2, "PUBLISH", "nobody", "hi") == 0


def test_publish_delivers_message(sub, r2):
    sub.cmd("SUBSCRIBE", "news")
    assert ex(r2, "PUBLISH", "news", "hello") == 1
    assert sub.recv_reply() == message("news", "hello")
    assert ex(r2, "PUBLISH", "other", "x") == 0
    sub.assert_silent()


def test_publish_resp3_push(make_raw, r2):
    c = resp3(make_raw)
    c.cmd("SUBSCRIBE", "news")
    c.cmd("PSUBSCRIBE", "n*")
    assert ex(r2, "PUBLISH", "news", "hello") == 2
    assert c.recv_replies(2) == [message("news", "hello", 3), pmessage("n*", "news", "hello", 3)]


def test_publish_binary_safe(sub, r2):
    ch, data = b"c\x00\r\nh", b"\xff\x00\r\n\r\nmsg"
    sub.send(resp_encode("SUBSCRIBE", ch))
    assert sub.recv_reply() == frame("subscribe", ch, 1)
    assert ex(r2, "PUBLISH", ch, data) == 1
    assert sub.recv_reply() == message(ch, data)


def test_publish_empty_message_and_channel(sub, r2):
    sub.send(resp_encode("SUBSCRIBE", ""))
    assert sub.recv_reply() == frame("subscribe", "", 1)
    assert ex(r2, "PUBLISH", "", "") == 1
    assert sub.recv_reply() == message("", "")


def test_publish_large_message(sub, r2):
    sub.cmd("SUBSCRIBE", "big")
    data = b"x" * 300_000
    assert ex(r2, "PUBLISH", "big", data) == 1
    assert sub.recv_reply(timeout=10) == message("big", data)


def test_publish_counts_every_receiver(make_raw, r2):
    a, b, c = make_raw(), make_raw(), make_raw()
    a.cmd("SUBSCRIBE", "ch")
    b.cmd("SUBSCRIBE", "ch")
    c.cmd("PSUBSCRIBE", "c*")
    c.cmd("PSUBSCRIBE", "*h")
    # two subscribers of the channel + two matching patterns of the same client
    assert ex(r2, "PUBLISH", "ch", "m") == 4
    assert a.recv_reply() == message("ch", "m")
    assert b.recv_reply() == message("ch", "m")
    assert sorted(c.recv_replies(2)) == sorted([pmessage("c*", "ch", "m"), pmessage("*h", "ch", "m")])


def test_channel_subscription_before_pattern(sub, r2):
    sub.cmd("PSUBSCRIBE", "*")
    sub.cmd("SUBSCRIBE", "x")
    assert ex(r2, "PUBLISH", "x", "m") == 2
    assert sub.recv_replies(2) == [message("x", "m"), pmessage("*", "x", "m")]


def test_messages_keep_publish_order(sub, r2):
    sub.cmd("SUBSCRIBE", "seq")
    pipe = r2.pipeline(transaction=False)
    for i in range(200):
        pipe.publish("seq", str(i))
    assert pipe.execute() == [1] * 200
    assert sub.recv_replies(200) == [message("seq", str(i)) for i in range(200)]


def test_star_pattern_does_not_match_empty_channel(sub, r2):
    sub.cmd("PSUBSCRIBE", "*")
    assert ex(r2, "PUBLISH", "", "m") == 0
    assert ex(r2, "PUBLISH", "a", "m") == 1
    assert sub.recv_reply() == pmessage("*", "a", "m")


@pytest.mark.parametrize("pattern,channel,matches", [
    ("news.*", "news.tech", True),
    ("news.*", "news.", True),
    ("news.*", "news", False),
    ("h?llo", "hello", True),
    ("h?llo", "hllo", False),
    ("h[ae]llo", "hallo", True),
    ("h[ae]llo", "hillo", False),
    ("h[^e]llo", "hallo", True),
    ("h[^e]llo", "hello", False),
    ("h[a-c]llo", "hbllo", True),
    ("h[c-a]llo", "hbllo", True),
    ("h[a-c]llo", "hdllo", False),
    ("h\\*llo", "h*llo", True),
    ("h\\*llo", "hello", False),
    ("*", "anything", True),
    ("a*b*c", "aXXbYYc", True),
    ("a*b*c", "aXXbYY", False),
    ("[!a]", "!", True),
    ("[!a]", "b", False),
    ("abc", "ABC", False),
    ("a[", "a", False),
    ("a[b", "ab", True),
    ("?", "ab", False),
])
def test_pattern_glob(sub, r2, pattern, channel, matches):
    sub.cmd("PSUBSCRIBE", pattern)
    assert ex(r2, "PUBLISH", channel, "m") == int(matches)
    if matches:
        assert sub.recv_reply() == pmessage(pattern, channel, "m")
    else:
        sub.assert_silent(0.05)


def test_publish_to_self_resp3(make_raw):
    c = resp3(make_raw)
    c.cmd("SUBSCRIBE", "me")
    c.send(resp_encode("PUBLISH", "me", "hi"))
    assert c.recv_replies(2) == [message("me", "hi", 3), b":1\r\n"]


def test_publish_inside_multi(r2, sub):
    sub.cmd("SUBSCRIBE", "t")
    pipe = r2.pipeline(transaction=True)
    pipe.publish("t", "1")
    pipe.publish("t", "2")
    assert pipe.execute() == [1, 1]
    assert sub.recv_replies(2) == [message("t", "1"), message("t", "2")]


def test_subscribe_inside_multi(make_raw):
    c = make_raw()
    assert c.cmd("MULTI") == b"+OK\r\n"
    assert c.cmd("SUBSCRIBE", "a", "b") == b"+QUEUED\r\n"
    # the confirmations are written inside EXEC's reply, as Redis does
    assert c.cmd("EXEC") == b"*1\r\n" + frame("subscribe", "a", 1)
    assert c.recv_reply() == frame("subscribe", "b", 2)
    assert c.cmd("GET", "x") == (CONTEXT_ERR % "get").encode()


def test_publish_to_itself_inside_exec_lands_between_execs_replies(make_raw):
    """A message the EXEC client gets from its own PUBLISH is written where Redis writes it:
    after EXEC's array header and the replies before, ahead of PUBLISH's own reply."""
    c = make_raw()
    c.cmd("HELLO", "3")
    c.cmd("SUBSCRIBE", "news")
    assert c.cmd("MULTI") == b"+OK\r\n"
    assert c.cmd("PING") == b"+QUEUED\r\n"
    assert c.cmd("PUBLISH", "news", "m") == b"+QUEUED\r\n"
    assert c.cmd("PUBLISH", "other", "m") == b"+QUEUED\r\n"
    c.send(resp_encode("EXEC"))
    got = c.recv_reply()
    got += c.recv_reply()  # the push counts as an element of the array for a parser
    assert got == (b"*3\r\n+PONG\r\n>3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nm\r\n:1\r\n"
                   b":0\r\n")
    assert c.cmd("PING") == b"+PONG\r\n"


def test_subscribe_and_publish_in_one_resp2_transaction(make_raw):
    """RESP2 too: the message sits inside EXEC's array, after the subscribe confirmation."""
    c = make_raw()
    assert c.cmd("MULTI") == b"+OK\r\n"
    assert c.cmd("SUBSCRIBE", "news") == b"+QUEUED\r\n"
    assert c.cmd("PUBLISH", "news", "m") == b"+QUEUED\r\n"
    c.send(resp_encode("EXEC"))
    got = c.recv_reply()
    got += c.recv_reply()
    assert got == b"*2\r\n" + frame("subscribe", "news", 1) + message("news", "m") + b":1\r\n"


# --------------------------------------------------------------------------- subscribed context


@pytest.mark.parametrize("cmd", [["GET", "k"], ["SET", "k", "v"], ["PUBLISH", "a", "b"],
                                 ["SELECT", "0"], ["MULTI"], ["CLIENT", "ID"], ["PUBSUB", "NUMPAT"],
                                 ["ECHO", "x"], ["HELLO"]])
def test_resp2_subscribed_context_rejects(sub, cmd):
    sub.cmd("SUBSCRIBE", "ch")
    assert sub.cmd(*cmd) == (CONTEXT_ERR % cmd[0].lower()).encode()


def test_resp2_subscribed_context_after_psubscribe(sub):
    sub.cmd("PSUBSCRIBE", "p*")
    assert sub.cmd("GET", "k") == (CONTEXT_ERR % "get").encode()


def test_resp2_subscribed_ping(sub):
    sub.cmd("SUBSCRIBE", "ch")
    assert sub.cmd("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert sub.cmd("PING", "hey") == b"*2\r\n$4\r\npong\r\n$3\r\nhey\r\n"


def test_resp2_subscribed_unknown_command(sub):
    sub.cmd("SUBSCRIBE", "ch")
    assert sub.cmd("NOSUCH") == b"-ERR unknown command `NOSUCH`, with args beginning with: \r\n"


def test_resp2_subscribed_quit(sub):
    sub.cmd("SUBSCRIBE", "ch")
    sub.send(resp_encode("QUIT"))
    assert sub.read_until_closed() == b"+OK\r\n"


def test_resp2_leaves_subscribed_context(sub):
    sub.cmd("SUBSCRIBE", "ch")
    sub.cmd("PSUBSCRIBE", "p")
    assert sub.cmd("UNSUBSCRIBE") == frame("unsubscribe", "ch", 1)
    assert sub.cmd("GET", "k") == (CONTEXT_ERR % "get").encode()
    assert sub.cmd("PUNSUBSCRIBE") == frame("punsubscribe", "p", 0)
    assert sub.cmd("GET", "k") == b"$-1\r\n"
    assert sub.cmd("PING") == b"+PONG\r\n"


def test_reset_leaves_subscriptions(sub, r2):
    sub.cmd("SUBSCRIBE", "ch")
    sub.cmd("PSUBSCRIBE", "c*")
    assert sub.cmd("RESET") == b"+RESET\r\n"
    assert sub.cmd("GET", "k") == b"$-1\r\n"
    assert ex(r2, "PUBLISH", "ch", "m") == 0
    assert ex(r2, "PUBSUB", "NUMSUB", "ch") == [b"ch", 0]
    assert ex(r2, "PUBSUB", "NUMPAT") == 0
    sub.assert_silent()


def test_resp3_subscribed_runs_any_command(make_raw):
    c = resp3(make_raw)
    c.cmd("SUBSCRIBE", "ch")
    assert c.cmd("SET", "k", "v") == b"+OK\r\n"
    assert c.cmd("GET", "k") == b"$1\r\nv\r\n"
    assert c.cmd("PING") == b"+PONG\r\n"
    assert c.cmd("PING", "x") == b"$1\r\nx\r\n"
    assert c.cmd("PUBSUB", "NUMSUB", "ch") == b"*2\r\n$2\r\nch\r\n:1\r\n"


def test_hello_2_while_subscribed_in_resp3_then_restricted(make_raw):
    c = resp3(make_raw)
    c.cmd("SUBSCRIBE", "ch")
    assert c.cmd("HELLO", "2").startswith(b"*14\r\n")
    assert c.cmd("GET", "k") == (CONTEXT_ERR % "get").encode()


def test_pushes_ignore_client_reply_off(make_raw, r2):
    c = resp3(make_raw)
    c.cmd("SUBSCRIBE", "ch")
    c.send(resp_encode("CLIENT", "REPLY", "OFF"))
    c.assert_silent(0.1)
    assert ex(r2, "PUBLISH", "ch", "m") == 1
    assert c.recv_reply() == message("ch", "m", 3)
    c.send(resp_encode("SUBSCRIBE", "ch2"))
    assert c.recv_reply() == frame("subscribe", "ch2", 2, 3)
    c.send(resp_encode("GET", "k"))
    assert c.cmd("CLIENT", "REPLY", "ON") == b"+OK\r\n"


def test_subscribe_confirmation_ignores_client_reply_off_resp2(sub):
    sub.send(resp_encode("CLIENT", "REPLY", "OFF"))
    sub.send(resp_encode("SUBSCRIBE", "a"))
    assert sub.recv_reply() == frame("subscribe", "a", 1)


# --------------------------------------------------------------------------- PUBSUB


def test_pubsub_channels(make_raw, r2):
    a, b = make_raw(), make_raw()
    a.send(resp_encode("SUBSCRIBE", "news.tech", "news.art", "sport"))
    a.recv_replies(3)
    b.cmd("SUBSCRIBE", "sport")
    b.cmd("PSUBSCRIBE", "news.*")
    assert sorted(ex(r2, "PUBSUB", "CHANNELS")) == [b"news.art", b"news.tech", b"sport"]
    assert sorted(ex(r2, "PUBSUB", "CHANNELS", "news.*")) == [b"news.art", b"news.tech"]
    assert ex(r2, "PUBSUB", "CHANNELS", "nothing*") == []


def test_pubsub_channels_empty_channel_and_star(sub, r2):
    sub.send(resp_encode("SUBSCRIBE", "", "x"))
    sub.recv_replies(2)
    assert sorted(ex(r2, "PUBSUB", "CHANNELS")) == [b"", b"x"]
    assert ex(r2, "PUBSUB", "CHANNELS", "*") == [b"x"]


def test_pubsub_channels_none(r2):
    assert ex(r2, "PUBSUB", "CHANNELS") == []


def test_pubsub_numsub(make_raw, r2):
    a, b = make_raw(), make_raw()
    a.cmd("SUBSCRIBE", "x")
    b.cmd("SUBSCRIBE", "x")
    b.cmd("PSUBSCRIBE", "x")
    assert ex(r2, "PUBSUB", "NUMSUB", "x", "y", "x") == [b"x", 2, b"y", 0, b"x", 2]
    assert ex(r2, "PUBSUB", "NUMSUB") == []


def test_pubsub_numsub_resp3_is_flat_array(raw, make_raw):
    make_raw().cmd("SUBSCRIBE", "x")
    raw.cmd("HELLO", "3")
    assert raw.cmd("PUBSUB", "NUMSUB", "x", "y") == b"*4\r\n$1\r\nx\r\n:1\r\n$1\r\ny\r\n:0\r\n"


def test_pubsub_numpat_counts_unique_patterns(make_raw, r2):
    a, b = make_raw(), make_raw()
    a.send(resp_encode("PSUBSCRIBE", "a*", "b*"))
    a.recv_replies(2)
    b.cmd("PSUBSCRIBE", "a*")
    b.cmd("SUBSCRIBE", "c")
    assert ex(r2, "PUBSUB", "NUMPAT") == 2
    b.cmd("PUNSUBSCRIBE", "a*")
    assert ex(r2, "PUBSUB", "NUMPAT") == 2
    a.cmd("PUNSUBSCRIBE", "a*")
    assert ex(r2, "PUBSUB", "NUMPAT") == 1


def test_pubsub_help(raw):
    reply = raw.cmd("PUBSUB", "HELP")
    assert reply == (
        b"*10\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        b"+CHANNELS [<pattern>]\r\n"
        b"+    Return the currently active channels matching a <pattern> (default: '*').\r\n"
        b"+NUMPAT\r\n+    Return number of subscriptions to patterns.\r\n"
        b"+NUMSUB [<channel> ...]\r\n"
        b"+    Return the number of subscribers for the specified channels, excluding\r\n"
        b"+    pattern subscriptions(default: no channels).\r\n"
        b"+HELP\r\n+    Prints this help.\r\n")


@pytest.mark.parametrize("args", [["foo"], ["numpat", "x"], ["CHANNELS", "a", "b"], ["help", "x"]])
def test_pubsub_bad_subcommand(r2, args):
    assert err(r2, "PUBSUB", *args) == (
        "ERR Unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP." % args[0])


def test_info_stats_counts(make_raw, r2):
    a = make_raw()
    a.send(resp_encode("SUBSCRIBE", "c1", "c2"))
    a.recv_replies(2)
    a.cmd("PSUBSCRIBE", "p*")
    make_raw().cmd("PSUBSCRIBE", "p*")
    info = r2.info("stats")
    assert (info["pubsub_channels"], info["pubsub_patterns"]) == (2, 1)


def test_client_list_sub_psub_fields(sub, r2):
    sub.send(resp_encode("SUBSCRIBE", "a", "b"))
    sub.recv_replies(2)
    sub.cmd("PSUBSCRIBE", "p")
    lines = ex(r2, "CLIENT", "LIST", "TYPE", "pubsub").decode().splitlines()
    assert len(lines) == 1
    fields = dict(f.split("=", 1) for f in lines[0].split(" "))
    assert (fields["sub"], fields["psub"], fields["flags"]) == ("2", "1", "P")


# --------------------------------------------------------------------------- disconnection


def test_disconnect_removes_subscriptions(make_raw, r2):
    c = make_raw()
    c.cmd("SUBSCRIBE", "gone")
    c.cmd("PSUBSCRIBE", "gone*")
    assert ex(r2, "PUBLISH", "gone", "m") == 2
    c.close()
    assert wait_for(lambda: ex(r2, "PUBSUB", "NUMSUB", "gone") == [b"gone", 0])
    assert wait_for(lambda: ex(r2, "PUBSUB", "NUMPAT") == 0)
    assert ex(r2, "PUBLISH", "gone", "m") == 0


def test_client_kill_type_pubsub(make_raw, r2):
    c = make_raw()
    c.cmd("SUBSCRIBE", "k")
    assert ex(r2, "CLIENT", "KILL", "TYPE", "pubsub") == 1
    assert c.read_until_closed() == b""
    assert wait_for(lambda: ex(r2, "PUBLISH", "k", "m") == 0)


def test_subscriber_unaffected_by_timeout(make_client, make_raw):
    admin = make_client()
    old = ex(admin, "CONFIG", "GET", "timeout")[1]
    ex(admin, "CONFIG", "SET", "timeout", "1")
    try:
        s = make_raw()
        s.cmd("SUBSCRIBE", "t")
        idle = make_raw()
        time.sleep(2.5)
        assert idle.read_until_closed(1) == b""  # a normal idle client is closed
        assert ex(make_client(), "PUBLISH", "t", "still") == 1
        assert s.recv_reply() == message("t", "still")
    finally:
        ex(make_client(), "CONFIG", "SET", "timeout", old)


# --------------------------------------------------------------------------- output limits


@pytest.fixture
def obuf(make_client):
    admin = make_client()
    old = ex(admin, "CONFIG", "GET", "client-output-buffer-limit")[1]

    def set_limit(value):
        ex(admin, "CONFIG", "SET", "client-output-buffer-limit", value)

    yield set_limit
    ex(admin, "CONFIG", "SET", "client-output-buffer-limit", old)


def _flood(r2, channel, payload, rounds):
    """Publish ``rounds`` messages; return how many had a receiver, stop once nobody listens."""
    got = 0
    for _ in range(rounds):
        n = ex(r2, "PUBLISH", channel, payload)
        if n == 0:
            break
        got += 1
    return got


def test_slow_subscriber_hard_limit_disconnects(obuf, make_raw, r2):
    obuf("pubsub 1mb 0 0")
    slow = make_raw(timeout=10)
    slow.cmd("SUBSCRIBE", "flood")
    fast = make_raw()
    fast.cmd("SUBSCRIBE", "flood")
    payload = b"x" * 65536
    t0 = time.monotonic()
    # the slow subscriber never reads: once the kernel buffers are full it is over 1mb
    n = 0
    while n < 2000 and ex(r2, "PUBLISH", "flood", payload) == 2:
        n += 1
        fast.recv_reply(timeout=10)
    assert n < 2000, "the slow subscriber was never disconnected"
    assert time.monotonic() - t0 < 20
    assert wait_for(lambda: ex(r2, "PUBSUB", "NUMSUB", "flood") == [b"flood", 1])
    # the well-behaved subscriber is still served
    assert ex(r2, "PUBLISH", "flood", "after") == 1
    # drain what the reader still had queued (if the hard limit was not hit exactly then)
    deadline = time.monotonic() + 10
    while True:
        reply = fast.recv_reply(timeout=max(0.1, deadline - time.monotonic()))
        if reply == message("flood", "after"):
            break


def test_slow_subscriber_soft_limit_disconnects_after_seconds(obuf, make_raw, r2):
    obuf("pubsub 0 256kb 1")
    slow = make_raw(timeout=10)
    slow.cmd("SUBSCRIBE", "soft")
    payload = b"y" * 65536
    sent = 0
    # fill the kernel buffers and go over the soft limit
    while sent < 1000 and ex(r2, "PUBLISH", "soft", payload) == 1:
        sent += 1
        if sent >= 300:
            break
    assert ex(r2, "PUBSUB", "NUMSUB", "soft") in ([b"soft", 1], [b"soft", 0])
    time.sleep(1.5)
    # over the soft limit for more than 1 s: the next write closes it
    ex(r2, "PUBLISH", "soft", payload)
    ex(r2, "PUBLISH", "soft", payload)
    assert wait_for(lambda: ex(r2, "PUBSUB", "NUMSUB", "soft") == [b"soft", 0])


def test_normal_class_limit_does_not_apply_to_subscribers(obuf, make_raw, r2):
    obuf("normal 64kb 0 0")
    s = make_raw()
    s.cmd("SUBSCRIBE", "n")
    payload = b"z" * 100_000
    assert ex(r2, "PUBLISH", "n", payload) == 1
    assert s.recv_reply(timeout=10) == message("n", payload)


# --------------------------------------------------------------------------- ACL


@pytest.fixture
def acl_user(make_client):
    admin = make_client()
    made = []

    def create(name, *rules):
        ex(admin, "ACL", "SETUSER", name, "reset", "on", "nopass", "+@all", "~*", *rules)
        made.append(name)
        c = make_client()
        ex(c, "AUTH", name, "x")
        return c

    yield create
    for name in made:
        ex(admin, "ACL", "DELUSER", name)


NOPERM_CHANNEL = "NOPERM this user has no permissions to access one of the channels used as arguments"


def test_acl_publish_denied_channel(acl_user):
    c = acl_user("psuser1", "resetchannels", "&allowed*")
    assert ex(c, "PUBLISH", "allowed.1", "m") == 0
    assert err(c, "PUBLISH", "other", "m") == NOPERM_CHANNEL


def test_acl_subscribe_denied_channel(acl_user):
    c = acl_user("psuser2", "resetchannels", "&allowed*")
    assert err(c, "SUBSCRIBE", "allowed", "other") == NOPERM_CHANNEL
    assert ex(c, "PUBSUB", "NUMSUB", "allowed") == [b"allowed", 0]


def test_acl_psubscribe_needs_literal_pattern(acl_user):
    c = acl_user("psuser3", "resetchannels", "&news.*")
    assert err(c, "PSUBSCRIBE", "news.tech") == NOPERM_CHANNEL
    assert err(c, "PSUBSCRIBE", "news*") == NOPERM_CHANNEL


def test_acl_allowed_subscribe_receives(acl_user, r2):
    c = acl_user("psuser4", "resetchannels", "&news.*")
    p = c.pubsub()
    p.psubscribe("news.*")
    assert p.get_message(timeout=5)["type"] == "psubscribe"
    assert ex(r2, "PUBLISH", "news.x", "m") == 1
    m = p.get_message(timeout=5)
    assert (m["type"], m["channel"], m["data"]) == ("pmessage", b"news.x", b"m")
    p.close()


# --------------------------------------------------------------------------- redis-py


def test_redis_py_pubsub_roundtrip(make_client, r):
    p = make_client(protocol=r.connection_pool.connection_kwargs.get("protocol", 2)).pubsub()
    p.subscribe("rp")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    assert r.publish("rp", "hello") == 1
    m = p.get_message(timeout=5)
    assert (m["type"], m["channel"], m["data"]) == ("message", b"rp", b"hello")
    p.unsubscribe("rp")
    assert p.get_message(timeout=5)["type"] == "unsubscribe"
    p.close()
