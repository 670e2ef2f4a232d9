"""Chain parameters of every network (SPEC §12), as frozen values passed in explicitly.

There is no global "selected network": code that needs parameters takes a `ChainParams`
argument. `NETWORKS` maps the network names to their parameters and `get_params` looks one up
with a clear error for unknown names. Amounts are integers in base units (`COIN` per RUST).
The genesis nonce and hash constants were found once by `node.consensus.genesis.mine_genesis`
and are checked by the tests against `build_genesis`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from node.errors import RustyError

COIN = 100_000_000
"""Base units per RUST."""
MAX_MONEY = 260_000_000 * COIN
"""No amount, output or sum of outputs may exceed this (SPEC §1)."""

GENESIS_TIMESTAMP = 1_795_392_000
"""2026-11-23T00:00:00Z, shared by every network's genesis block."""


class UnknownNetwork(RustyError):
    """A network name that is not mainnet, testnet, regtest or devnet."""


@dataclass(frozen=True, slots=True)
class QuorumParams:
    """One LLMQ type (SPEC §6.3): members, signing threshold and DKG interval in blocks."""

    name: str
    type_id: int
    size: int
    threshold: int
    interval: int


@dataclass(frozen=True, slots=True)
class ChainParams:
    """Every consensus and network constant of one network."""

    name: str
    magic: bytes
    p2p_port: int
    rpc_port: int
    bech32_hrp: str
    # Proof of work and difficulty (SPEC §4)
    target_spacing: int
    pow_no_retarget: bool
    pow_limit: int
    oxide_pad_bytes: int
    oxide_rounds: int
    # Emission (SPEC §5.1)
    coinbase_maturity: int
    # Tickets (SPEC §5.2)
    ticket_maturity: int
    ticket_expiry: int
    stake_validation_height: int
    ticket_pool_target: int
    ticket_price_interval: int
    ticket_price_start: int
    ticket_price_min: int
    ticket_price_max: int
    slash_lock_blocks: int
    # Masternodes and quorums (SPEC §6)
    mn_collateral: int
    quorum_chainlocks: QuorumParams
    quorum_instantsend: QuorumParams
    quorum_platform: QuorumParams
    dkg_phase_blocks: int
    # Governance (SPEC §7)
    proposal_stake: int
    gov_min_voting_blocks: int
    gov_max_voting_blocks: int
    # Chain selection (SPEC §4)
    max_reorg_depth: int
    # Genesis (SPEC §12): nonce found once, hash checked by the tests
    genesis_nonce: int
    genesis_hash: bytes
    # P2P seed nodes ("host:port"); empty for regtest and devnet
    seeds: tuple[str, ...] = ()
    # Values SPEC gives once for every network
    lwma_window: int = 72
    median_time_span: int = 11
    future_time_spacings: int = 6
    initial_max_block_size: int = 2_000_000
    min_max_block_size: int = 1_000_000
    max_max_block_size: int = 64_000_000
    block_size_retarget_interval: int = 2016
    sigops_divisor: int = 50
    initial_subsidy: int = 148 * COIN
    subsidy_interval: int = 210_240
    subsidy_decay_numerator: int = 88
    subsidy_decay_denominator: int = 100
    tickets_per_block: int = 5
    min_votes_per_block: int = 3
    missed_penalty_percent: int = 1
    gov_param_change_delay: int = 100
    agenda_window: int = 2016
    agenda_threshold_percent: int = 75
    genesis_timestamp: int = GENESIS_TIMESTAMP

    @property
    def max_future_block_time(self) -> int:
        """How far (seconds) a block timestamp may run ahead of node time: 6 x T."""
        return self.future_time_spacings * self.target_spacing

    @property
    def quorums(self) -> tuple[QuorumParams, ...]:
        """The LLMQ types in their type-id order."""
        return (self.quorum_chainlocks, self.quorum_instantsend, self.quorum_platform)


def _quorum(type_id: int, size: int, threshold: int, interval: int) -> QuorumParams:
    names = {1: "chainlocks", 2: "instantsend", 3: "platform"}
    return QuorumParams(names[type_id], type_id, size, threshold, interval)


MAINNET = ChainParams(
    name="mainnet",
    magic=bytes.fromhex("52555354"),
    p2p_port=9737,
    rpc_port=9738,
    bech32_hrp="rc",
    target_spacing=150,
    pow_no_retarget=False,
    pow_limit=(1 << 240) - 1,
    oxide_pad_bytes=1 << 20,
    oxide_rounds=64,
    coinbase_maturity=100,
    ticket_maturity=256,
    ticket_expiry=40_960,
    stake_validation_height=4096,
    ticket_pool_target=20_000,
    ticket_price_interval=144,
    ticket_price_start=100 * COIN,
    ticket_price_min=1 * COIN,
    ticket_price_max=10_000 * COIN,
    slash_lock_blocks=4032,
    mn_collateral=10_000 * COIN,
    dkg_phase_blocks=6,
    proposal_stake=1000 * COIN,
    gov_min_voting_blocks=1000,
    gov_max_voting_blocks=100_000,
    max_reorg_depth=1000,
    genesis_nonce=359,
    genesis_hash=bytes.fromhex("0441eb4f2bfb9ace26e0b9d83b71d80caea1371e1ca862b09a4a8068a7213348"),
    quorum_chainlocks=_quorum(1, 50, 30, 288),
    quorum_instantsend=_quorum(2, 50, 30, 24),
    quorum_platform=_quorum(3, 100, 67, 288),
)

TESTNET = ChainParams(
    name="testnet",
    magic=bytes.fromhex("72757374"),
    p2p_port=19737,
    rpc_port=19738,
    bech32_hrp="trc",
    target_spacing=150,
    pow_no_retarget=False,
    pow_limit=(1 << 240) - 1,
    oxide_pad_bytes=1 << 20,
    oxide_rounds=64,
    coinbase_maturity=100,
    ticket_maturity=64,
    ticket_expiry=4096,
    stake_validation_height=768,
    ticket_pool_target=2048,
    ticket_price_interval=144,
    ticket_price_start=10 * COIN,
    ticket_price_min=COIN // 10,
    ticket_price_max=1000 * COIN,
    slash_lock_blocks=576,
    mn_collateral=1000 * COIN,
    dkg_phase_blocks=2,
    proposal_stake=100 * COIN,
    gov_min_voting_blocks=100,
    gov_max_voting_blocks=10_000,
    max_reorg_depth=1000,
    genesis_nonce=3490,
    genesis_hash=bytes.fromhex("677fec7dd5757f63192c1a70516c3e4ba53fa51e3e648aa0148c7c8c8d7e0aea"),
    quorum_chainlocks=_quorum(1, 10, 6, 48),
    quorum_instantsend=_quorum(2, 10, 6, 24),
    quorum_platform=_quorum(3, 20, 14, 48),
)

REGTEST = ChainParams(
    name="regtest",
    magic=bytes.fromhex("52435254"),
    p2p_port=29737,
    rpc_port=29738,
    bech32_hrp="rcrt",
    target_spacing=150,
    pow_no_retarget=True,
    pow_limit=(1 << 255) - 1,
    oxide_pad_bytes=4 << 10,
    oxide_rounds=4,
    coinbase_maturity=10,
    ticket_maturity=8,
    ticket_expiry=500,
    stake_validation_height=200,
    ticket_pool_target=20,
    ticket_price_interval=10,
    ticket_price_start=1 * COIN,
    ticket_price_min=COIN // 100,
    ticket_price_max=100 * COIN,
    slash_lock_blocks=20,
    mn_collateral=100 * COIN,
    dkg_phase_blocks=2,
    proposal_stake=10 * COIN,
    gov_min_voting_blocks=10,
    gov_max_voting_blocks=1000,
    max_reorg_depth=100_000,
    genesis_nonce=0,
    genesis_hash=bytes.fromhex("d33676b5ecb329b7e6616df9925bc39c1ae75a8f5f4fba474dd2273c22eb9fde"),
    quorum_chainlocks=_quorum(1, 5, 3, 24),
    quorum_instantsend=_quorum(2, 5, 3, 24),
    quorum_platform=_quorum(3, 5, 3, 24),
)

DEVNET = ChainParams(
    name="devnet",
    magic=bytes.fromhex("52434456"),
    p2p_port=39737,
    rpc_port=39738,
    bech32_hrp="rcdv",
    target_spacing=15,
    pow_no_retarget=False,
    pow_limit=(1 << 248) - 1,
    oxide_pad_bytes=64 << 10,
    oxide_rounds=16,
    coinbase_maturity=10,
    ticket_maturity=16,
    ticket_expiry=1000,
    stake_validation_height=100,
    ticket_pool_target=64,
    ticket_price_interval=20,
    ticket_price_start=1 * COIN,
    ticket_price_min=COIN // 100,
    ticket_price_max=100 * COIN,
    slash_lock_blocks=40,
    mn_collateral=100 * COIN,
    dkg_phase_blocks=2,
    proposal_stake=10 * COIN,
    gov_min_voting_blocks=20,
    gov_max_voting_blocks=2000,
    max_reorg_depth=1000,
    genesis_nonce=318,
    genesis_hash=bytes.fromhex("91de585f3c9e6146e0b3e435ee4bb99632912a298a859811ef3738f91d93451a"),
    quorum_chainlocks=_quorum(1, 10, 6, 24),
    quorum_instantsend=_quorum(2, 10, 6, 24),
    quorum_platform=_quorum(3, 10, 6, 24),
)

NETWORKS: Mapping[str, ChainParams] = MappingProxyType(
    {p.name: p for p in (MAINNET, TESTNET, REGTEST, DEVNET)}
)
"""All networks by name, in the order mainnet, testnet, regtest, devnet."""


def get_params(name: str) -> ChainParams:
    """Parameters of the network called `name`; UnknownNetwork lists the valid names."""
    try:
        return NETWORKS[name]
    except KeyError:
        raise UnknownNetwork(
            f"unknown network {name!r}; expected one of: {', '.join(NETWORKS)}"
        ) from None
