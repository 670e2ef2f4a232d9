"""The pool's transaction graph: entries by txid, who spends which outpoint, parent/child
links, and the ancestor/descendant statistics Bitcoin Core keeps per entry.

`PoolGraph` is pure bookkeeping (no validation, no events): `add` links a new entry under its
in-pool ancestors and updates their descendant counters; `remove_staged` unlinks a set of
entries and updates the counters of the ones that stay (Core's RemoveStaged). Two lazy heaps
serve size eviction (lowest descendant score first) and expiry (oldest first); stale heap
items are skipped and the heaps are rebuilt when they grow too large. `check` recomputes
every counter from the links (Core's CTxMemPool::check), for tests and debugging.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from node.mempool.entry import MempoolEntry
from node.types.tx import OutPoint

_HEAP_SLACK = 1024


class PoolGraph:
    """Entries, spends and links of the pool, with Core's package statistics."""

    def __init__(self) -> None:
        self.entries: dict[bytes, MempoolEntry] = {}
        self.spenders: dict[OutPoint, bytes] = {}
        self.total_size = 0
        self.total_usage = 0
        self.total_fees = 0
        self._sequence = 0
        self._dirty: set[bytes] = set()
        self._score_heap: list[tuple[float, float, int, int, bytes]] = []
        self._time_heap: list[tuple[float, int, bytes]] = []

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self.entries)

    def ancestors(self, txid: bytes) -> set[bytes]:
        """Every in-pool ancestor of `txid` (excluding itself)."""
        return self.ancestors_of_parents(self.entries[txid].parents)

    def ancestors_of_parents(self, parents: Iterable[bytes]) -> set[bytes]:
        """The closure of `parents` under the parent relation."""
        entries = self.entries
        found = set(parents)
        stack = list(found)
        while stack:
            for parent in entries[stack.pop()].parents:
                if parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return found

    def descendants(self, txid: bytes) -> set[bytes]:
        """Every in-pool descendant of `txid` (excluding itself)."""
        return self.descendants_of({txid}) - {txid}

    def descendants_of(self, txids: Iterable[bytes]) -> set[bytes]:
        """`txids` together with all their descendants."""
        entries = self.entries
        found = set(txids)
        stack = list(found)
        while stack:
            for child in entries[stack.pop()].children:
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    # ------------------------------------------------------------------ add

    def add(self, entry: MempoolEntry, ancestors: set[bytes]) -> None:
        """Insert `entry` whose in-pool ancestors are exactly `ancestors`."""
        entries = self.entries
        txid = entry.tx.txid
        size, fee = entry.size, entry.fee
        self._sequence += 1
        entry.sequence = self._sequence
        anc_size = size
        anc_fees = fee
        dirty = self._dirty
        for a in ancestors:
            anc = entries[a]
            anc_size += anc.size
            anc_fees += anc.fee
            anc.descendant_count += 1
            anc.descendant_size += size
            anc.descendant_fees += fee
            anc.version += 1
            dirty.add(a)
        entry.ancestor_count = len(ancestors) + 1
        entry.ancestor_size = anc_size
        entry.ancestor_fees = anc_fees
        entry.descendant_count = 1
        entry.descendant_size = size
        entry.descendant_fees = fee
        parents = entry.parents
        spenders = self.spenders
        for txin in entry.tx.inputs:
            prevout = txin.prevout
            spenders[prevout] = txid
            parent = entries.get(prevout.txid)
            if parent is not None:
                parents.add(prevout.txid)
                parent.children.add(txid)
        entries[txid] = entry
        dirty.add(txid)
        self.total_size += size
        self.total_usage += entry.usage
        self.total_fees += fee
        heapq.heappush(self._time_heap, (entry.time, entry.sequence, txid))

    # ------------------------------------------------------------------ remove

    def remove_staged(
        self, stage: set[bytes], *, update_descendants: bool = False
    ) -> list[MempoolEntry]:
        """Remove the entries in `stage` and return them in acceptance order.

        Ancestors that stay lose the removed entries from their descendant counters. With
        `update_descendants` (a block confirmed the entries but their children stay),
        descendants that stay lose them from their ancestor counters; otherwise `stage` must
        already contain every descendant of its members.
        """
        entries = self.entries
        removed = sorted((entries[t] for t in stage), key=lambda e: e.sequence)
        dirty = self._dirty
        for entry in removed:
            txid = entry.tx.txid
            size, fee = entry.size, entry.fee
            for a in self.ancestors_of_parents(entry.parents):
                if a in stage:
                    continue
                anc = entries[a]
                anc.descendant_count -= 1
                anc.descendant_size -= size
                anc.descendant_fees -= fee
                anc.version += 1
                dirty.add(a)
            if update_descendants:
                for d in self.descendants_of(entry.children):
                    if d in stage:
                        continue
                    desc = entries[d]
                    desc.ancestor_count -= 1
                    desc.ancestor_size -= size
                    desc.ancestor_fees -= fee
            elif any(c not in stage for c in entry.children):
                raise ValueError("remove_staged without update_descendants needs whole packages")
        spenders = self.spenders
        for entry in removed:
            txid = entry.tx.txid
            for parent in entry.parents:
                if parent not in stage:
                    entries[parent].children.discard(txid)
            for child in entry.children:
                if child not in stage:
                    entries[child].parents.discard(txid)
            for txin in entry.tx.inputs:
                if spenders.get(txin.prevout) == txid:
                    del spenders[txin.prevout]
            del entries[txid]
            dirty.discard(txid)
            self.total_size -= entry.size
            self.total_usage -= entry.usage
            self.total_fees -= entry.fee
        self._maybe_compact()
        return removed

    # ------------------------------------------------------------------ heaps

    def lowest_score(self) -> bytes | None:
        """The entry Core's TrimToSize evicts next: the lowest descendant score (ties: the
        newest); None when the pool is empty."""
        entries = self.entries
        heap = self._score_heap
        for txid in self._dirty:
            e = entries[txid]
            heapq.heappush(heap, (e.eviction_score(), -e.time, -e.sequence, e.version, txid))
        self._dirty.clear()
        while heap:
            _, _, neg_seq, version, txid = heap[0]
            current = entries.get(txid)
            if current is not None and current.version == version and current.sequence == -neg_seq:
                return txid
            heapq.heappop(heap)
        return None

    def expired(self, cutoff: float) -> list[bytes]:
        """Entries accepted before `cutoff` (their descendants are not included)."""
        entries = self.entries
        heap = self._time_heap
        found = []
        while heap and heap[0][0] < cutoff:
            _, seq, txid = heapq.heappop(heap)
            e = entries.get(txid)
            if e is not None and e.sequence == seq:
                found.append(txid)
        return found

    def _maybe_compact(self) -> None:
        limit = 3 * len(self.entries) + _HEAP_SLACK
        if len(self._time_heap) > limit:
            self._time_heap = [(e.time, e.sequence, t) for t, e in self.entries.items()]
            heapq.heapify(self._time_heap)
        if len(self._score_heap) > limit:
            self._score_heap = []
            self._dirty = set(self.entries)

    # ------------------------------------------------------------------ consistency

    def check(self) -> list[str]:
        """Recompute links and counters from the transactions; a list of what is wrong."""
        problems: list[str] = []
        entries = self.entries
        spenders: dict[OutPoint, bytes] = {}
        for txid, e in entries.items():
            parents = {i.prevout.txid for i in e.tx.inputs if i.prevout.txid in entries}
            if parents != e.parents:
                problems.append(f"{txid.hex()}: parents {len(e.parents)} != {len(parents)}")
            for p in parents:
                if txid not in entries[p].children:
                    problems.append(f"{txid.hex()}: missing child link from {p.hex()}")
                if entries[p].sequence >= e.sequence:
                    problems.append(f"{txid.hex()}: parent accepted later")
            for c in e.children:
                if c not in entries or txid not in entries[c].parents:
                    problems.append(f"{txid.hex()}: stale child {c.hex()}")
            for txin in e.tx.inputs:
                if txin.prevout in spenders:
                    problems.append(f"{txid.hex()}: double spend in pool")
                spenders[txin.prevout] = txid
            anc = [entries[a] for a in self.ancestors(txid)] + [e]
            desc = [entries[d] for d in self.descendants(txid)] + [e]
            want = (
                len(anc), sum(x.size for x in anc), sum(x.fee for x in anc),
                len(desc), sum(x.size for x in desc), sum(x.fee for x in desc),
            )  # fmt: skip
            have = (
                e.ancestor_count, e.ancestor_size, e.ancestor_fees,
                e.descendant_count, e.descendant_size, e.descendant_fees,
            )  # fmt: skip
            if want != have:
                problems.append(f"{txid.hex()}: counters {have} != recomputed {want}")
        if spenders != self.spenders:
            problems.append("spender index out of date")
        if self.total_size != sum(e.size for e in entries.values()):
            problems.append("total size out of date")
        if self.total_fees != sum(e.fee for e in entries.values()):
            problems.append("total fees out of date")
        if self.total_usage != sum(e.usage for e in entries.values()):
            problems.append("total usage out of date")
        return problems
