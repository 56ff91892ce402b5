"""Raw RESP plumbing for the differential test: one command, two servers, comparable replies.

Replies are parsed into *trees* of ``(kind, value)`` tuples where ``kind`` is the RESP type
byte as a one-character string (``+ - : $ * % ~ , _ # ( = >``) and ``value`` is the raw
payload (``bytes`` for scalars, ``None`` for RESP2 nulls, a tuple of child trees for
aggregates; a map holds its keys and values flattened, as on the wire).  Two replies are
equal only if their trees are equal: the type byte matters (``+OK`` is not ``$2 OK``), so is
every byte of an error line.
"""

from __future__ import annotations

import time

from ..helpers import RawConnection, resp_encode

AGGREGATES = "*%~>|"


# --------------------------------------------------------------------------- parsing


def parse(data: bytes):
    """Parse exactly one complete reply (as returned by ``RawConnection.recv_reply``)."""
    node, end = _parse(data, 0)
    if end != len(data):
        raise AssertionError(f"trailing bytes after a reply: {data[end:]!r}")
    return node


def _parse(data: bytes, pos: int):
    eol = data.index(b"\r\n", pos)
    kind = chr(data[pos])
    header = data[pos + 1:eol]
    pos = eol + 2
    if kind in "+-:,_#(":
        return (kind, header), pos
    if kind in "$=!":
        n = int(header)
        if n < 0:
            return (kind, None), pos
        return (kind, data[pos:pos + n]), pos + n + 2
    if kind in AGGREGATES:
        n = int(header)
        if n < 0:
            return (kind, None), pos
        if kind in "%|":
            n *= 2
        items = []
        for _ in range(n):
            child, pos = _parse(data, pos)
            items.append(child)
        if kind == "|":  # attribute: keep it, then the reply it decorates
            real, pos = _parse(data, pos)
            return (kind, (tuple(items), real)), pos
        return (kind, tuple(items)), pos
    raise AssertionError(f"not a RESP reply at {pos}: {data[pos - 1:pos + 40]!r}")


# --------------------------------------------------------------------------- display


def _b(v: bytes) -> str:
    s = repr(v)[1:]
    return s


def show(node, limit: int = 400) -> str:
    """A compact redis-cli-like rendering: ``+OK``, ``"bulk"``, ``:5``, ``-ERR ...``, ``[..]``."""
    text = _show(node)
    return text if len(text) <= limit else text[:limit] + "..."


def _show(node) -> str:
    kind, v = node
    if kind == "+":
        return "+" + v.decode("latin-1")
    if kind == "-":
        return "(error) " + v.decode("latin-1")
    if kind in ":,(#":
        return kind + v.decode("latin-1")
    if kind == "_":
        return "(null)"
    if kind in "$=":
        return "(nil)" if v is None else _b(v)
    if v is None:
        return f"{kind}(nil)"
    if kind == "%":
        pairs = [f"{_show(v[i])}: {_show(v[i + 1])}" for i in range(0, len(v), 2)]
        return "{" + ", ".join(pairs) + "}"
    if kind == "~":
        return "~{" + ", ".join(_show(x) for x in v) + "}"
    return "[" + ", ".join(_show(x) for x in v) + "]"


def show_args(args) -> str:
    out = []
    for a in args:
        s = a.decode("latin-1") if isinstance(a, bytes) else str(a)
        if not s or any(ch in s for ch in ' "\\') or not s.isprintable():
            s = '"' + repr(a)[2:-1].replace('"', '\\"') + '"'
        out.append(s)
    return " ".join(out)


# --------------------------------------------------------------------------- normalising


def _sort_key(node):
    return repr(node)


def sort_elements(node):
    """An unordered reply (SMEMBERS, KEYS, ...): sort its elements."""
    kind, v = node
    if kind in "*~" and v is not None:
        return (kind, tuple(sorted(v, key=_sort_key)))
    return node


def sort_pairs(node):
    """An unordered flat field/value reply (HGETALL, RESP3 map): sort the pairs."""
    kind, v = node
    if kind in "*%" and v is not None and len(v) % 2 == 0:
        pairs = sorted(((v[i], v[i + 1]) for i in range(0, len(v), 2)), key=_sort_key)
        return (kind, tuple(x for p in pairs for x in p))
    return node


def shape(node):
    """The reply with every scalar payload blanked: types and lengths only."""
    kind, v = node
    if kind in AGGREGATES and v is not None and kind != "|":
        return (kind, tuple(shape(x) for x in v))
    if kind == "-":
        return node  # errors must match exactly
    return (kind, v is None)


def leaves(node):
    """Every scalar payload in a reply, depth first."""
    kind, v = node
    if kind in AGGREGATES and v is not None and kind != "|":
        for x in v:
            yield from leaves(x)
    elif v is not None and kind != "_":
        yield v


def int_of(node):
    kind, v = node
    return int(v) if kind == ":" else None


# --------------------------------------------------------------------------- connections


class Conn:
    """One raw connection (RESP2 or RESP3) to one server; ``run`` returns a parsed tree.

    ``pushes``: None (the default), or a list that collects the RESP3 pushes (``>``) arriving
    before a reply instead of taking them for that reply, each as ``(push, what)`` where
    ``what`` names the command whose reply came right after it (``show_args``): for a RESP3
    connection that is subscribed (or tracking) and runs commands, so that where the pushes
    fall between its replies can be compared.  A push can also come *inside* an aggregate
    reply (Redis 6.2 writes a notification to the output buffer as the command runs, so one
    caused by a command inside EXEC lands between the elements of EXEC's array): it is taken
    out of the aggregate, and ``what`` says before which element (``EXEC #2``).  A
    SUBSCRIBE's own confirmation is a push too: do not collect while (un)subscribing."""

    def __init__(self, target, proto: int, name: str):
        self.name = name
        self.proto = proto
        self.raw: RawConnection = target.raw(timeout=30.0)
        self.pushes: list | None = None
        if proto == 3:
            reply = parse(self.raw.cmd("HELLO", "3"))
            assert reply[0] == "%", f"HELLO 3 on {name}: {show(reply)}"

    def _recv(self, what):
        try:
            if self.pushes is None:
                return parse(self.raw.recv_reply())
            return self._node(what, time.monotonic() + self.raw.timeout)
        except AssertionError as exc:  # RawConnection's messages hold everything received
            text = str(exc)
            raise AssertionError(f"{self.name}: no reply to {what}: {text[:300]}"
                                 f"{'...' if len(text) > 300 else ''}") from None

    def _node(self, what, deadline):
        """One reply, the pushes before it (and inside it, when it is an aggregate) collected."""
        raw = self.raw
        while True:
            end = raw._take_line(deadline, 0)
            kind = chr(raw.buf[0])
            if kind == ">":
                self.pushes.append((parse(raw.recv_reply()), what))
                continue
            if kind not in "*%~" or int(raw.buf[1:end - 2]) < 0:
                return parse(raw.recv_reply())
            n = int(raw.buf[1:end - 2]) * (2 if kind == "%" else 1)
            raw.buf = raw.buf[end:]
            return (kind, tuple(self._node(f"{what} #{i}", deadline) for i in range(n)))

    def run(self, args):
        self.raw.send(resp_encode(*args))
        return self._recv(show_args(args))

    def pipeline(self, commands):
        if not commands:
            return []
        self.raw.send(b"".join(resp_encode(*a) for a in commands))
        return [self._recv(show_args(a)) for a in commands]

    def close(self):
        self.raw.close()
