"""The script-execution cache (Bitcoin Core's g_scriptExecutionCache, simplified).

Holds the wtxids of transactions whose every input passed verification with flags that
include all consensus flags (the mempool verifies with STANDARD_FLAGS, a superset). A
wtxid commits to the whole transaction including its witnesses, and an outpoint names one
output forever (BIP30-style uniqueness), so the same wtxid spends the same outputs and must
verify the same way: block connection and template dry runs skip those script checks.
Bounded: the oldest entries are forgotten first.
"""

from __future__ import annotations

import threading

DEFAULT_MAX_ENTRIES = 200_000


class ScriptCache:
    """A bounded set of wtxids known to pass consensus script verification."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be positive, got {max_entries}")
        self.max_entries = max_entries
        self._entries: dict[bytes, None] = {}
        self._lock = threading.Lock()
        self.hits = 0

    def add(self, wtxid: bytes) -> None:
        """Record that every input of the transaction `wtxid` verified."""
        with self._lock:
            self._entries.pop(wtxid, None)
            self._entries[wtxid] = None
            while len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]

    def check(self, wtxid: bytes) -> bool:
        """True (and counted as a hit) if `wtxid` verified before."""
        if wtxid in self._entries:
            self.hits += 1
            return True
        return False

    def __contains__(self, wtxid: object) -> bool:
        return wtxid in self._entries

    def __len__(self) -> int:
        return len(self._entries)
