"""Stake-layer rejections (SPEC §5.2-§5.4): one narrow class per reason string.

`StakeError` is the root of the package and a `ConsensusError`, so the chain reports its
``reason`` in reject messages like any other consensus failure. The reasons follow the
Bitcoin Core / dcrd naming style; docs/protocol/stake.md lists when each one is raised.
"""

from __future__ import annotations

from node.consensus.errors import ConsensusError


class StakeError(ConsensusError):
    """A ticket, vote, revocation, slash or stake reward breaks a SPEC §5 rule."""

    reason = "bad-stake"


class BadTicketPrice(StakeError):
    """TICKET_PURCHASE output 0 does not hold exactly the ticket price of its height."""

    reason = "bad-ticket-price"


class BadTicketPurchase(StakeError):
    """TICKET_PURCHASE malformed: no output 0, bad payload, bad vote key or empty reward
    script."""

    reason = "bad-ticket-purchase"


class BadVoteTicket(StakeError):
    """A vote by a ticket that is not one of the block's selected (LIVE) tickets."""

    reason = "bad-vote-ticket"


class BadVoteSig(StakeError):
    """A vote whose Schnorr signature does not verify under the ticket's vote key."""

    reason = "bad-vote-sig"


class DuplicateVote(StakeError):
    """Two votes of one block by the same ticket."""

    reason = "bad-vote-duplicate"


class BadVoteParent(StakeError):
    """A vote signed for a different prev_hash than the block (or tip) it is offered for."""

    reason = "bad-vote-parent"


class TooFewVotes(StakeError):
    """A block at or past stake_validation_height with fewer than min_votes_per_block."""

    reason = "too-few-votes"


class VotesBeforeSvh(StakeError):
    """A block below stake_validation_height that carries votes."""

    reason = "votes-before-svh"


class BadStakeReward(StakeError):
    """A coinbase stake output missing, misplaced, or paying the wrong amount or script."""

    reason = "bad-stake-reward"


class RevokeLiveTicket(StakeError):
    """TICKET_REVOKE of an IMMATURE or LIVE ticket."""

    reason = "bad-revoke-live"


class BadRevokeState(StakeError):
    """TICKET_REVOKE of a ticket that is VOTED or REVOKED, or that does not exist."""

    reason = "bad-revoke-state"


class BadRevokeInput(StakeError):
    """TICKET_REVOKE whose inputs are not exactly the ticket's stake outpoint (ticket_id, 0)."""

    reason = "bad-revoke-input"


class BadRevokeAmount(StakeError):
    """TICKET_REVOKE outputs above the stake minus the missed-ticket penalty (> 99 %)."""

    reason = "bad-revoke-amount"


class SpendOfLiveTicket(StakeError):
    """A transaction spends the stake output of an IMMATURE or LIVE ticket."""

    reason = "spend-of-live-ticket"


class PrematureTicketSpend(StakeError):
    """A VOTED ticket's stake spent before coinbase_maturity blocks after its vote."""

    reason = "bad-txns-premature-spend-of-ticket"


class TicketNeedsRevoke(StakeError):
    """A MISSED or EXPIRED ticket's stake spent by anything but a TICKET_REVOKE."""

    reason = "bad-ticket-spend-needs-revoke"


class BadSlashEvidence(StakeError):
    """SLASH evidence that does not prove a double vote (or is of a reserved kind)."""

    reason = "bad-slash-evidence"


class UnknownSlashParent(BadSlashEvidence):
    """SLASH evidence naming a prev_hash the chain does not know (yet).

    Like a mutated block, the chain should not mark the block permanently invalid for this:
    it may become checkable once the missing header arrives.
    """

    reason = "bad-slash-evidence-unknown"
    mutated = True


class TicketPoolCorrupt(StakeError):
    """The ticket store contradicts itself or an undo record (a bug or a damaged database,
    never a peer's fault)."""

    reason = "stake-pool-corrupt"
