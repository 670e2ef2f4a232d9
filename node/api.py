"""The small public surface of the node that the Django apps may use.

The web side imports this module (plus node.types, node.params, node.crypto and the RPC
client) and nothing deeper, so the node's internals can change without touching the apps.
"""

from __future__ import annotations

from datetime import UTC, datetime

from node.consensus.genesis import build_genesis
from node.params import COIN, NETWORKS, ChainParams, get_params
from node.types.block import Block, BlockHeader

__all__ = [
    "NETWORKS",
    "ChainParams",
    "describe_header",
    "describe_params",
    "format_amount",
    "format_timestamp",
    "genesis_block",
    "get_params",
]


def genesis_block(params: ChainParams) -> Block:
    """The genesis block of a network."""
    return build_genesis(params)


def format_amount(units: int) -> str:
    """Base units as a RUST decimal string with trailing zeros trimmed (1.5 RUST)."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), COIN)
    text = f"{whole}.{frac:08d}".rstrip("0").rstrip(".")
    return f"{sign}{text} RUST"


def format_timestamp(seconds: int) -> str:
    """Unix seconds as an ISO-like UTC date and time."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe_params(params: ChainParams) -> dict[str, str]:
    """Human-readable parameters of a network, in display order."""
    q = params.quorums
    return {
        "Magic": params.magic.hex(),
        "P2P / RPC port": f"{params.p2p_port} / {params.rpc_port}",
        "Address prefix": params.bech32_hrp,
        "Target block spacing": f"{params.target_spacing} s",
        "OxideHash pad / rounds": f"{params.oxide_pad_bytes} bytes / {params.oxide_rounds}",
        "Coinbase maturity": f"{params.coinbase_maturity} blocks",
        "Ticket maturity / expiry": f"{params.ticket_maturity} / {params.ticket_expiry} blocks",
        "Stake validation height": str(params.stake_validation_height),
        "Ticket price (start)": format_amount(params.ticket_price_start),
        "Masternode collateral": format_amount(params.mn_collateral),
        "Quorums (size/threshold)": ", ".join(f"{x.name} {x.size}/{x.threshold}" for x in q),
        "Proposal stake": format_amount(params.proposal_stake),
        "Max reorg depth": f"{params.max_reorg_depth} blocks",
    }


def describe_header(header: BlockHeader) -> dict[str, str]:
    """The fields of a header for display (hashes as hex of the stored bytes)."""
    return {
        "Hash": header.hash.hex(),
        "Height": str(header.height),
        "Version": str(header.version),
        "Previous block": header.prev_hash.hex(),
        "Merkle root": header.merkle_root.hex(),
        "Votes root": header.votes_root.hex(),
        "State root": header.state_root.hex(),
        "Timestamp": f"{header.timestamp} ({format_timestamp(header.timestamp)})",
        "Bits": f"0x{header.bits:08x}",
        "Nonce": str(header.nonce),
    }
