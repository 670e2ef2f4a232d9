"""Errors of node.chain that are not consensus rejections (those are ConsensusError)."""

from node.errors import RustyError


class ChainError(RustyError):
    """Base class of chainstate errors."""


class UnknownBlock(ChainError):
    """A block hash the node does not know."""


class MissingParent(ChainError):
    """A header or block whose parent is unknown (kept as an orphan when it is a block)."""


class ReorgRefused(ChainError):
    """A reorganisation below max_reorg_depth or below a ChainLocked block."""
