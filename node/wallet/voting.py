"""The node's stake service: votes with the wallets' tickets and runs the ticket buyer.

On every new tip (a TipChanged event, delivered after the commit in the chainstate's thread,
after the wallets and the vote pool have seen the block) it

1. signs a vote for each of the tip's selected tickets whose vote key a loaded, unlocked
   wallet holds, and hands it to the vote pool (which relays it: P2P subscribes there);
2. when the ticket buyer is on for a wallet (off by default; the devnet miner turns it on):
   revokes that wallet's MISSED/EXPIRED tickets and buys tickets at the current price until
   its own tickets (unmined + immature + live) reach `target`, at most `per_block` per tip,
   never spending more than `limit` in total and keeping `balance_to_maintain` unspent.

Failures (a locked wallet, no funds) are logged once per condition and never affect the chain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from node.chain.chainstate import Chainstate
from node.chain.events import ChainEvent, TipChanged
from node.mempool.votes import VotePool
from node.stake.votes import RelayedVote, sign_vote
from node.wallet.errors import WalletError
from node.wallet.manager import WalletManager
from node.wallet.tickets import (
    list_tickets,
    purchase_tickets,
    revoke_tickets,
    ticket_price,
    vote_secret,
)
from node.wallet.wallet import Wallet

__all__ = ["StakeService", "TicketBuyerConfig"]

log = logging.getLogger(__name__)

VOTE_BITS = 1
"""Bit 0: the previous block is valid (SPEC §5.2); no agenda bits set by default."""

OWN_STATES = ("unmined", "immature", "live")


@dataclass(frozen=True, slots=True)
class TicketBuyerConfig:
    """The automatic ticket buyer of one wallet."""

    wallet: str
    target: int = 0
    """Tickets to keep (unmined + immature + live); 0 = tickets_per_block x
    (ticket_maturity + 4): the maturing pipeline plus a few blocks' worth of live tickets,
    enough for this wallet alone to vote on every block."""
    per_block: int = 10
    limit: int | None = None
    """Most base units the buyer spends on tickets while the node runs (None: no limit)."""
    balance_to_maintain: int = 0


class StakeService:
    """Voting and the ticket buyer (module docstring)."""

    def __init__(
        self,
        chainstate: Chainstate,
        votes: VotePool,
        wallets: WalletManager,
        *,
        buyers: tuple[TicketBuyerConfig, ...] = (),
        vote_bits: int = VOTE_BITS,
    ) -> None:
        if not 0 <= vote_bits <= 0xFFFF:
            raise ValueError(f"vote_bits {vote_bits} is not a u16")
        self.chainstate = chainstate
        self.params = chainstate.params
        self.votes = votes
        self.wallets = wallets
        self.buyers = buyers
        self.vote_bits = vote_bits
        self.spent: dict[str, int] = {b.wallet: 0 for b in buyers}
        self.signed = 0
        self._warned: set[str] = set()
        self._unsubscribe = chainstate.events.subscribe(self._on_chain_event)
        wallets.on_loaded.append(self._on_wallet_loaded)

    def close(self) -> None:
        self._unsubscribe()
        if self._on_wallet_loaded in self.wallets.on_loaded:
            self.wallets.on_loaded.remove(self._on_wallet_loaded)

    def _on_wallet_loaded(self, wallet: Wallet) -> None:
        """A wallet loaded while the node runs votes for the current tip at once (else its
        tickets would wait for the next block, which may need those very votes)."""
        with self.chainstate.lock:
            self.vote(self.chainstate.tip.hash)

    def _on_chain_event(self, event: ChainEvent) -> None:
        if isinstance(event, TipChanged):
            self.on_tip(event.new_tip, initial_sync=event.initial_sync)

    def on_tip(self, tip_hash: bytes, *, initial_sync: bool = False) -> None:
        """Vote for the block after `tip_hash`, then run the ticket buyers."""
        self.vote(tip_hash)
        for config in self.buyers:
            try:
                self.buy(config)
            except WalletError as exc:
                self._warn(f"buy:{config.wallet}:{type(exc).__name__}",
                           "ticket buyer of wallet %r: %s", config.wallet, exc)  # fmt: skip
            except Exception:
                log.exception("ticket buyer of wallet %r failed", config.wallet)

    # ------------------------------------------------------------------ voting

    def vote(self, tip_hash: bytes) -> int:
        """Sign and submit our votes for the block after `tip_hash`; how many were new."""
        selected = self.votes.selected()
        if not selected:
            return 0
        tickets = self.votes.selected_tickets()
        added = 0
        for wallet in self._loaded():
            for tid, ticket in tickets.items():
                secret = vote_secret(wallet, ticket.vote_pubkey)
                if secret is None:
                    continue
                vote = sign_vote(secret, tip_hash, tid, self.vote_bits)
                try:
                    if self.votes.add(RelayedVote(tip_hash, vote)):
                        added += 1
                except Exception:
                    log.exception("our own vote for ticket %s was refused", tid.hex())
        self.signed += added
        if added:
            log.info("voted with %d ticket(s) on %s", added, tip_hash.hex())
        return added

    def _loaded(self) -> list[Wallet]:
        out = []
        for name in self.wallets.list():
            try:
                out.append(self.wallets.get(name))
            except WalletError:  # pragma: no cover - unloaded meanwhile
                continue
        return out

    # ------------------------------------------------------------------ ticket buyer

    def target_of(self, config: TicketBuyerConfig) -> int:
        if config.target > 0:
            return config.target
        p = self.params
        return p.tickets_per_block * (p.ticket_maturity + 4)

    def buy(self, config: TicketBuyerConfig) -> list[bytes]:
        """One round of the buyer for `config`'s wallet; the purchase txids."""
        wallet = self.wallets.get(config.wallet)
        if wallet.is_locked:
            self._warn(f"locked:{config.wallet}", "ticket buyer: wallet %r is locked",
                       config.wallet)  # fmt: skip
            return []
        revoked = revoke_tickets(wallet)
        if revoked:
            log.info("ticket buyer: revoked %d missed/expired ticket(s)", len(revoked))
        own = sum(1 for t in list_tickets(wallet) if t.status in OWN_STATES)
        want = min(self.target_of(config) - own, config.per_block)
        if want <= 0:
            return []
        budget = wallet.balances().confirmed - config.balance_to_maintain
        if config.limit is not None:
            budget = min(budget, config.limit - self.spent[config.wallet])
        if budget <= 0:
            return []
        price = ticket_price(wallet)
        bought = purchase_tickets(wallet, want, spend_limit=budget)
        self.spent[config.wallet] += price * len(bought)
        if bought:
            log.info("ticket buyer: bought %d ticket(s) for wallet %r", len(bought), config.wallet)
        return bought

    def _warn(self, key: str, msg: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(msg, *args)
