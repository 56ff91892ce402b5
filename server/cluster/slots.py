"""Hash slots: CRC16, hash tags, and the slot ownership table.

* :func:`keyslot` is Redis's ``keyHashSlot``: CRC16-CCITT (XMODEM: polynomial 0x1021, initial
  value 0, no reflection -- exactly what ``binascii.crc_hqx(data, 0)`` computes, in C) of the
  key, or of its *hash tag* (the bytes between the first ``{`` and the first ``}`` after it,
  when that is not empty), modulo 16384.
* :class:`SlotTable` says which node owns each of the 16384 slots, and which slots are being
  migrated to / imported from another node.  It holds node objects, not "myself" flags: a
  one-node cluster simply has the same node in every entry, and a multi-node cluster fills
  it from the other nodes' announcements without any change here.
"""

from __future__ import annotations

from binascii import crc_hqx

CLUSTER_SLOTS = 16384
SLOT_MASK = CLUSTER_SLOTS - 1


def crc16(data: bytes) -> int:
    """Redis's ``crc16`` (CRC16-CCITT XMODEM): ``crc16(b"123456789") == 0x31C3``."""
    return crc_hqx(data, 0)


def keyslot(key: bytes) -> int:
    """The hash slot of ``key`` (``CLUSTER KEYSLOT``), hash tags included."""
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            return crc_hqx(key[s + 1:e], 0) & SLOT_MASK
    return crc_hqx(key, 0) & SLOT_MASK


def ranges(slots) -> list:
    """Sorted slot numbers -> ``[(start, end), ...]`` maximal runs of consecutive slots."""
    out = []
    start = prev = None
    for s in slots:
        if prev is not None and s == prev + 1:
            prev = s
            continue
        if start is not None:
            out.append((start, prev))
        start = prev = s
    if start is not None:
        out.append((start, prev))
    return out


class SlotTable:
    """Owner of every slot (a node object or None) plus the open (migrating/importing) slots.

    ``node.numslots`` is kept up to date on the node objects (CLUSTER INFO ``cluster_size`` and
    the nodes.conf/NODES slot lists use it)."""

    __slots__ = ("owner", "migrating", "importing", "assigned")

    def __init__(self):
        self.owner: list = [None] * CLUSTER_SLOTS
        self.migrating: dict = {}   # slot -> node we are migrating it to
        self.importing: dict = {}   # slot -> node we are importing it from
        self.assigned = 0

    def add(self, slot: int, node) -> bool:
        """clusterAddSlot: False if the slot already has an owner."""
        if self.owner[slot] is not None:
            return False
        self.owner[slot] = node
        node.numslots += 1
        self.assigned += 1
        return True

    def delete(self, slot: int) -> bool:
        """clusterDelSlot: False if the slot had no owner (open-slot states are left as they
        are, as in Redis 6.2)."""
        n = self.owner[slot]
        if n is None:
            return False
        self.owner[slot] = None
        n.numslots -= 1
        self.assigned -= 1
        return True

    def add_all(self, node) -> None:
        for s in range(CLUSTER_SLOTS):
            self.add(s, node)

    def delete_node_slots(self, node) -> int:
        """clusterDelNodeSlots: unassign every slot ``node`` owns; how many."""
        n = 0
        owner = self.owner
        for s in range(CLUSTER_SLOTS):
            if owner[s] is node:
                self.delete(s)
                n += 1
        return n

    def slots_of(self, node) -> list:
        owner = self.owner
        return [s for s in range(CLUSTER_SLOTS) if owner[s] is node]

    def runs(self) -> list:
        """``[(start, end, node), ...]``: maximal runs of slots with the same owner, in slot
        order, unassigned slots left out (the shape of CLUSTER SLOTS)."""
        out = []
        owner = self.owner
        cur = None
        start = 0
        for i in range(CLUSTER_SLOTS + 1):
            n = owner[i] if i < CLUSTER_SLOTS else None
            if n is cur:
                continue
            if cur is not None:
                out.append((start, i - 1, cur))
            cur = n
            start = i
        return out

    def owns_everything(self, node) -> bool:
        """Fast-path test: ``node`` owns all slots and none is open."""
        return (self.assigned == CLUSTER_SLOTS and node.numslots == CLUSTER_SLOTS
                and not self.migrating and not self.importing)
