"""Chain parameters match SPEC §12 and are passed around as frozen values."""

from __future__ import annotations

import dataclasses

import pytest

from node.params import COIN, MAX_MONEY, NETWORKS, ChainParams, UnknownNetwork, get_params

SPEC_TABLE = {
    # name: (magic, p2p, rpc, spacing, pad, rounds, cb_maturity, t_maturity, t_expiry, svh,
    #        pool_target, price_interval, price start/min/max, collateral, pow_limit,
    #        proposal_stake, gov min/max, max_reorg_depth, hrp)
    "mainnet": ("52555354", 9737, 9738, 150, 1 << 20, 64, 100, 256, 40_960, 4096, 20_000, 144,
                (100 * COIN, COIN, 10_000 * COIN), 10_000 * COIN, (1 << 240) - 1, 1000 * COIN,
                (1000, 100_000), 1000, "rc"),
    "testnet": ("72757374", 19737, 19738, 150, 1 << 20, 64, 100, 64, 4096, 768, 2048, 144,
                (10 * COIN, COIN // 10, 1000 * COIN), 1000 * COIN, (1 << 240) - 1, 100 * COIN,
                (100, 10_000), 1000, "trc"),
    "regtest": ("52435254", 29737, 29738, 150, 4096, 4, 10, 8, 500, 200, 20, 10,
                (COIN, COIN // 100, 100 * COIN), 100 * COIN, (1 << 255) - 1, 10 * COIN,
                (10, 1000), 100_000, "rcrt"),
    "devnet": ("52434456", 39737, 39738, 15, 65536, 16, 10, 16, 1000, 100, 64, 20,
               (COIN, COIN // 100, 100 * COIN), 100 * COIN, (1 << 248) - 1, 10 * COIN,
               (20, 2000), 1000, "rcdv"),
}  # fmt: skip

QUORUMS = {
    "mainnet": ([(50, 30), (50, 30), (100, 67)], (288, 24, 288), 6),
    "testnet": ([(10, 6), (10, 6), (20, 14)], (48, 24, 48), 2),
    "regtest": ([(5, 3), (5, 3), (5, 3)], (24, 24, 24), 2),
    "devnet": ([(10, 6), (10, 6), (10, 6)], (24, 24, 24), 2),
}


@pytest.mark.parametrize("name", list(SPEC_TABLE))
def test_params_match_spec_table(name: str) -> None:
    p = get_params(name)
    (magic, p2p, rpc, spacing, pad, rounds, cbm, tm, te, svh, pool, interval, prices,
     collateral, pow_limit, stake, gov, reorg, hrp) = SPEC_TABLE[name]  # fmt: skip
    assert p.name == name
    assert p.magic.hex() == magic
    assert (p.p2p_port, p.rpc_port) == (p2p, rpc)
    assert p.target_spacing == spacing
    assert (p.oxide_pad_bytes, p.oxide_rounds) == (pad, rounds)
    assert p.coinbase_maturity == cbm
    assert (p.ticket_maturity, p.ticket_expiry) == (tm, te)
    assert p.stake_validation_height == svh
    assert (p.ticket_pool_target, p.ticket_price_interval) == (pool, interval)
    assert (p.ticket_price_start, p.ticket_price_min, p.ticket_price_max) == prices
    assert p.mn_collateral == collateral
    assert p.pow_limit == pow_limit
    assert p.proposal_stake == stake
    assert (p.gov_min_voting_blocks, p.gov_max_voting_blocks) == gov
    assert p.max_reorg_depth == reorg
    assert p.bech32_hrp == hrp
    assert p.pow_no_retarget == (name == "regtest")
    assert p.max_future_block_time == 6 * spacing
    sizes, intervals, phase = QUORUMS[name]
    assert [(q.size, q.threshold) for q in p.quorums] == sizes
    assert tuple(q.interval for q in p.quorums) == intervals
    assert [q.name for q in p.quorums] == ["chainlocks", "instantsend", "platform"]
    assert p.dkg_phase_blocks == phase


def test_common_values_from_spec() -> None:
    for p in NETWORKS.values():
        assert p.lwma_window == 72
        assert p.median_time_span == 11
        assert p.initial_subsidy == 148 * COIN
        assert p.subsidy_interval == 210_240
        assert (p.subsidy_decay_numerator, p.subsidy_decay_denominator) == (88, 100)
        assert p.initial_max_block_size == 2_000_000
        assert (p.min_max_block_size, p.max_max_block_size) == (1_000_000, 64_000_000)
        assert p.tickets_per_block == 5
        assert p.min_votes_per_block == 3
        assert p.missed_penalty_percent == 1
        assert p.genesis_timestamp == 1_795_392_000  # 2026-11-23T00:00:00Z
        assert p.seeds == ()
    assert MAX_MONEY == 260_000_000 * COIN


def test_magics_ports_and_hrps_are_distinct() -> None:
    for field in ("magic", "p2p_port", "rpc_port", "bech32_hrp", "genesis_hash"):
        values = [getattr(p, field) for p in NETWORKS.values()]
        assert len(set(values)) == len(values), field


def test_params_are_frozen_and_networks_immutable() -> None:
    p = get_params("regtest")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.coinbase_maturity = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        NETWORKS["fake"] = p  # type: ignore[index]
    assert isinstance(p, ChainParams)
    assert list(NETWORKS) == ["mainnet", "testnet", "regtest", "devnet"]


def test_a_variant_is_built_explicitly_with_replace() -> None:
    p = dataclasses.replace(get_params("regtest"), stake_validation_height=50)
    assert p.stake_validation_height == 50
    assert get_params("regtest").stake_validation_height == 200


@pytest.mark.parametrize("name", ["", "main", "Mainnet", "signet"])
def test_unknown_network(name: str) -> None:
    with pytest.raises(UnknownNetwork, match="expected one of: mainnet, testnet, regtest, devnet"):
        get_params(name)
