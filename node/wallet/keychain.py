"""Key chains: the receive (branch 0) and change (branch 1) keys below one account xpub,
derived ahead of use up to the gap limit.

A key chain keeps, per branch, how many addresses were handed out (`issued`) and one more
than the highest index seen paying or spending on chain (`used`); it always has
``max(issued, used) + gap_limit`` keys derived, so a restore or a scan finds every payment
with fewer than 20 unused addresses in a row (BIP44's gap limit). Only public derivation is
done here; secrets are derived by the wallet from the seed when it signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from node.script.templates import p2pkh_script_for_pubkey
from node.wallet.bip32 import ExtendedKey, KeyVersions, parse_extended_key
from node.wallet.db import KeychainRecord

__all__ = ["CHANGE", "GAP_LIMIT", "RECEIVE", "KeyOrigin", "Keychain"]

GAP_LIMIT: Final = 20
RECEIVE: Final = 0
CHANGE: Final = 1


@dataclass(frozen=True, slots=True)
class KeyOrigin:
    """Where a wallet script comes from: key chain number, branch and index."""

    chain: int
    branch: int
    index: int
    xonly: bytes


class Keychain:
    """Public derivation state of one account xpub."""

    def __init__(
        self,
        number: int,
        record: KeychainRecord,
        versions: KeyVersions,
        *,
        gap_limit: int = GAP_LIMIT,
    ) -> None:
        self.number = number
        self.xpub = record.xpub
        self.account = parse_extended_key(record.xpub, versions, private=False)
        self.branches = (self.account.derive(RECEIVE), self.account.derive(CHANGE))
        self.issued = list(record.issued)
        self.used = list(record.used)
        self.gap_limit = gap_limit
        self.keys: tuple[list[bytes], list[bytes]] = ([], [])
        """x-only public keys derived so far, per branch."""

    @classmethod
    def new(cls, number: int, account: ExtendedKey, versions: KeyVersions) -> Keychain:
        record = KeychainRecord(account.neuter().serialize(versions), (0, 0), (0, 0))
        return cls(number, record, versions)

    def record(self) -> KeychainRecord:
        return KeychainRecord(
            self.xpub, (self.issued[0], self.issued[1]), (self.used[0], self.used[1])
        )

    def wanted(self, branch: int) -> int:
        return max(self.issued[branch], self.used[branch]) + self.gap_limit

    def extend(self) -> list[KeyOrigin]:
        """Derive keys up to the gap limit on both branches; return the new ones."""
        new = []
        for branch in (RECEIVE, CHANGE):
            keys = self.keys[branch]
            node = self.branches[branch]
            while len(keys) < self.wanted(branch):
                index = len(keys)
                xonly = node.derive(index).xonly
                keys.append(xonly)
                new.append(KeyOrigin(self.number, branch, index, xonly))
        return new

    def issue(self, branch: int) -> int:
        """Hand out the next unissued index of `branch` (skipping ones already used)."""
        index = max(self.issued[branch], self.used[branch])
        self.issued[branch] = index + 1
        return index

    def mark_used(self, branch: int, index: int) -> bool:
        """Record that `index` appeared on chain; True when that moved the gap window."""
        if index + 1 > self.used[branch]:
            self.used[branch] = index + 1
            return True
        return False

    @staticmethod
    def script_of(xonly: bytes) -> bytes:
        return p2pkh_script_for_pubkey(xonly)
