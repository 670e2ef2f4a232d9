"""Consensus rejections: every error carries a short machine reason like Bitcoin Core's."""

from node.errors import RustyError


class ConsensusError(RustyError):
    """A block, header or transaction breaks a consensus rule.

    `reason` is the stable short code (e.g. ``high-hash``, ``bad-diffbits``) that RPC and
    P2P reject messages report; the message adds the numbers that explain it.
    """

    reason: str = "consensus-invalid"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {super().__str__()}"


class InvalidBits(ConsensusError):
    """A compact target encoding that is negative, overflowing, zero or above pow_limit."""

    reason = "bad-diffbits"


class HighHash(ConsensusError):
    """The OxideHash result is above the target: the proof of work is insufficient."""

    reason = "high-hash"
