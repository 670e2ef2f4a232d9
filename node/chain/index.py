"""The in-memory block tree: one entry per known header, linked to its parent.

Entries mirror the persisted `BlockIndexRecord`s (loaded at start, written on change). The
tree answers ancestor and chain-context questions (median time past, the headers LWMA needs,
block sizes for the adaptive limit) and keeps the set of candidate tips for fork choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from node.consensus.difficulty import HeaderInfo
from node.storage.records import BlockIndexRecord, BlockStatus
from node.types.block import BlockHeader

INVALID = BlockStatus.FAILED | BlockStatus.FAILED_CHILD


@dataclass(eq=False, slots=True)
class IndexEntry:
    """One known header and what the node knows about its block."""

    header: BlockHeader
    hash: bytes
    height: int
    chain_work: int
    status: BlockStatus
    parent: IndexEntry | None
    tx_count: int = 0
    size: int = 0
    sequence: int = 0
    """Arrival order: the first-seen tip wins a tie in chain work (SPEC §4)."""
    children: list[IndexEntry] = field(default_factory=list)

    @property
    def timestamp(self) -> int:
        return self.header.timestamp

    @property
    def bits(self) -> int:
        return self.header.bits

    @property
    def is_invalid(self) -> bool:
        return bool(self.status & INVALID)

    @property
    def has_data(self) -> bool:
        return bool(self.status & BlockStatus.HAVE_DATA)

    def info(self) -> HeaderInfo:
        return HeaderInfo(height=self.height, timestamp=self.timestamp, bits=self.bits)

    def record(self) -> BlockIndexRecord:
        return BlockIndexRecord(
            header=self.header,
            chain_work=self.chain_work,
            status=self.status,
            tx_count=self.tx_count,
            size=self.size,
        )

    def ancestor(self, height: int) -> IndexEntry:
        """The ancestor of this entry at `height` (itself when equal)."""
        if not 0 <= height <= self.height:
            raise ValueError(f"no ancestor at height {height} below {self.height}")
        entry: IndexEntry | None = self
        while entry is not None and entry.height > height:
            entry = entry.parent
        assert entry is not None
        return entry

    def walk_back(self, count: int) -> Iterator[IndexEntry]:
        """This entry and up to `count - 1` ancestors, newest first."""
        entry: IndexEntry | None = self
        while entry is not None and count > 0:
            yield entry
            entry = entry.parent
            count -= 1


def last_common_ancestor(a: IndexEntry, b: IndexEntry) -> IndexEntry:
    """The fork point of two entries of the same tree."""
    if a.height > b.height:
        a = a.ancestor(b.height)
    elif b.height > a.height:
        b = b.ancestor(a.height)
    while a is not b:
        assert a.parent is not None, "entries from different trees"
        assert b.parent is not None, "entries from different trees"
        a, b = a.parent, b.parent
    return a
