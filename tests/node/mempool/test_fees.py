"""FeeEstimator: synthetic streams of transactions at known feerates confirming after known
delays must produce estimates in the right bucket, monotonic in the target; the state
survives a save/load round trip; corrupt, foreign and stale files are rejected with a log
line; bad targets and modes raise."""

from __future__ import annotations

import itertools
import logging
import os
import struct
from collections.abc import Sequence
from pathlib import Path

import pytest

from node.mempool.fees import (
    BUCKETS,
    FILE_MAGIC,
    FILE_NAME,
    MAX_TARGET,
    FeeEstimator,
    bucket_index,
)

Stream = Sequence[tuple[int, int | None, int]]
"""(feerate, confirmation delay in blocks or None = removed unmined after 3 blocks, per block)"""


class Feeder:
    """Feeds an estimator: each block, new txs enter at the tip; due ones confirm."""

    def __init__(self, estimator: FeeEstimator, height: int = 100) -> None:
        self.est = estimator
        self.height = height
        self.pending: dict[int, list[bytes]] = {}
        self.dropped: dict[int, list[bytes]] = {}
        self.counter = 0

    def run(self, blocks: int, stream: Stream) -> None:
        for _ in range(blocks):
            for feerate, delay, count in stream:
                for _ in range(count):
                    self.counter += 1
                    txid = self.counter.to_bytes(32, "big")
                    self.est.process_tx(txid, self.height, feerate)
                    if delay is None:
                        self.dropped.setdefault(self.height + 3, []).append(txid)
                    else:
                        self.pending.setdefault(self.height + delay, []).append(txid)
            self.height += 1
            self.est.process_block(self.height, self.pending.pop(self.height, []))
            for txid in self.dropped.pop(self.height, []):
                self.est.remove_tx(txid)


STREAM: Stream = [(50_000, 1, 4), (10_000, 5, 4), (2_000, 30, 4)]


@pytest.fixture(scope="module")
def trained() -> FeeEstimator:
    est = FeeEstimator()
    Feeder(est).run(300, STREAM)
    return est


def same_bucket(estimate: int | None, feerate: int) -> bool:
    return estimate is not None and bucket_index(estimate) == bucket_index(feerate)


def test_buckets_are_exponential_and_cover_the_range() -> None:
    assert BUCKETS[0] == 1000
    assert BUCKETS[-2] <= 10_000_000 < BUCKETS[-2] * 1.05
    for low, high in itertools.pairwise(BUCKETS[:-1]):
        assert high == pytest.approx(low * 1.05)
    assert bucket_index(1) == 0
    assert bucket_index(1000) == 0
    assert bucket_index(1001) == 1
    assert bucket_index(10**12) == len(BUCKETS) - 1


def test_fast_class_answers_short_targets(trained: FeeEstimator) -> None:
    for mode in ("economical", "conservative"):
        fee, blocks = trained.estimate_smart_fee(2, mode)
        assert blocks == 2
        assert same_bucket(fee, 50_000), fee


def test_target_one_is_answered_as_two(trained: FeeEstimator) -> None:
    assert trained.estimate_smart_fee(1) == trained.estimate_smart_fee(2)
    assert trained.estimate_smart_fee(1)[1] == 2


def test_medium_class_answers_medium_targets(trained: FeeEstimator) -> None:
    fee, blocks = trained.estimate_smart_fee(10, "economical")
    assert blocks == 10
    assert same_bucket(fee, 10_000), fee
    # Half of 6 is 3 blocks: the 5-block class fails the 60 % check there.
    assert same_bucket(trained.estimate_smart_fee(6, "economical")[0], 50_000)


def test_slow_class_answers_long_targets(trained: FeeEstimator) -> None:
    fee, blocks = trained.estimate_smart_fee(100, "economical")
    assert blocks == 100
    assert same_bucket(fee, 2_000), fee


def test_target_is_clamped_to_half_the_watched_span(trained: FeeEstimator) -> None:
    span = trained.best_height - trained.first_recorded
    fee, blocks = trained.estimate_smart_fee(MAX_TARGET)
    assert blocks == span // 2 < MAX_TARGET
    assert fee is not None


def test_estimates_never_rise_with_the_target(trained: FeeEstimator) -> None:
    for mode in ("economical", "conservative"):
        previous = None
        for target in range(1, 160):
            fee, _ = trained.estimate_smart_fee(target, mode)
            assert fee is not None
            if previous is not None:
                assert fee <= previous, (mode, target)
            previous = fee


def test_conservative_is_never_below_economical() -> None:
    est = FeeEstimator()
    feeder = Feeder(est)
    # A long history where only 50k confirms fast, then a short spell where 5k does too.
    feeder.run(200, [(50_000, 1, 4), (5_000, 8, 4)])
    feeder.run(120, [(50_000, 1, 4), (5_000, 1, 4)])
    economical = est.estimate_smart_fee(3, "economical")[0]
    conservative = est.estimate_smart_fee(3, "conservative")[0]
    assert same_bucket(economical, 5_000), economical
    assert same_bucket(conservative, 50_000), conservative
    for target in (2, 5, 10, 40):
        eco = est.estimate_smart_fee(target, "economical")[0]
        cons = est.estimate_smart_fee(target, "conservative")[0]
        assert eco is not None
        assert cons is not None
        assert cons >= eco


def test_unmined_removals_count_as_failures() -> None:
    failing, control = FeeEstimator(), FeeEstimator()
    Feeder(failing).run(150, [(50_000, 1, 4), (5_000, None, 4)])
    Feeder(control).run(150, [(50_000, 1, 4), (5_000, 3, 4)])
    assert same_bucket(control.estimate_smart_fee(6, "economical")[0], 5_000)
    assert same_bucket(failing.estimate_smart_fee(6, "economical")[0], 50_000)
    # The cheap txs of the last two blocks have not been dropped yet.
    assert failing.tracked_count() == 2 * 4


def test_waiting_transactions_hold_an_estimate_up() -> None:
    est = FeeEstimator()
    feeder = Feeder(est)
    feeder.run(100, [(50_000, 1, 4), (5_000, 2, 4)])
    assert same_bucket(est.estimate_smart_fee(4, "economical")[0], 5_000)
    # Now the cheap transactions stop confirming: they pile up unconfirmed in the pool.
    feeder.run(12, [(50_000, 1, 4), (5_000, 10_000, 40)])
    assert same_bucket(est.estimate_smart_fee(4, "economical")[0], 50_000)


def test_not_enough_data_gives_none() -> None:
    est = FeeEstimator()
    assert est.estimate_smart_fee(6) == (None, 0)
    Feeder(est).run(10, [(20_000, 1, 1)])
    fee, blocks = est.estimate_smart_fee(3)
    assert fee is None
    assert blocks == 3


def test_stale_duplicate_and_reorged_inputs_are_ignored() -> None:
    est = FeeEstimator()
    est.process_block(50, [])
    est.process_tx(b"\x01" * 32, 40, 5_000)  # accepted against an older tip
    assert est.tracked_count() == 0
    est.process_tx(b"\x02" * 32, 50, 5_000)
    est.process_tx(b"\x02" * 32, 50, 5_000)
    assert est.tracked_count() == 1
    est.process_block(50, [b"\x02" * 32])  # not a new height: ignored
    assert est.tracked_count() == 1
    est.process_block(51, [b"\x02" * 32, b"\x03" * 32])  # unknown txids are fine
    assert est.tracked_count() == 0
    assert est.first_recorded == 51
    est.remove_tx(b"\x09" * 32)


@pytest.mark.parametrize("target", [0, -1, MAX_TARGET + 1, 10**9])
def test_bad_targets_raise(trained: FeeEstimator, target: int) -> None:
    with pytest.raises(ValueError, match="target"):
        trained.estimate_smart_fee(target)


@pytest.mark.parametrize("target", ["6", 6.0, True, None])
def test_non_integer_targets_raise(trained: FeeEstimator, target: object) -> None:
    with pytest.raises(TypeError):
        trained.estimate_smart_fee(target)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["", "ECONOMICAL", "unset", "fast"])
def test_bad_modes_raise(trained: FeeEstimator, mode: str) -> None:
    with pytest.raises(ValueError, match="mode"):
        trained.estimate_smart_fee(6, mode)


# ---------------------------------------------------------------------------- persistence


def trained_file(tmp_path: Path) -> tuple[FeeEstimator, Path]:
    path = tmp_path / FILE_NAME
    est = FeeEstimator(path)
    Feeder(est).run(120, STREAM)
    est.save()
    return est, path


def test_round_trip_keeps_estimates(tmp_path: Path) -> None:
    est, path = trained_file(tmp_path)
    data = path.read_bytes()
    assert data[:4] == FILE_MAGIC
    assert data[4] == 1
    loaded = FeeEstimator(path)
    assert loaded.serialize() == est.serialize()
    assert loaded.best_height == est.best_height
    for target in (2, 10, 50):
        for mode in ("economical", "conservative"):
            assert loaded.estimate_smart_fee(target, mode) == est.estimate_smart_fee(target, mode)
    # Tracking continues after a restart.
    feeder = Feeder(loaded, height=loaded.best_height)
    feeder.run(5, STREAM)
    assert loaded.first_recorded == est.best_height + 1
    assert not list(tmp_path.glob("*.new"))


def test_save_without_path_is_a_no_op(tmp_path: Path) -> None:
    est = FeeEstimator()
    est.save()
    assert list(tmp_path.iterdir()) == []


def _expect_rejected(path: Path, caplog: pytest.LogCaptureFixture, needle: str) -> None:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="node.mempool.fees"):
        est = FeeEstimator(path)
    assert est.best_height == 0
    assert est.estimate_smart_fee(2) == (None, 0)
    assert any(needle in r.getMessage() for r in caplog.records), caplog.text


def test_corrupt_files_are_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _, path = trained_file(tmp_path)
    good = path.read_bytes()
    cases = {
        "flipped byte": good[:100] + bytes([good[100] ^ 1]) + good[101:],
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "trailing": good + b"\x00",
        "garbage": os.urandom(4000),
    }
    for name, data in cases.items():
        path.write_bytes(data)
        _expect_rejected(path, caplog, "rejected")
        assert name


def test_foreign_and_future_files_are_rejected(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, path = trained_file(tmp_path)
    good = path.read_bytes()
    # A Bitcoin Core fee_estimates.dat starts with its version numbers, not our magic.
    path.write_bytes(struct.pack("<ii", 149900, 240000) + good[8:])
    _expect_rejected(path, caplog, "not a Rusty Coin")
    path.write_bytes(good[:4] + b"\x02" + good[5:])
    _expect_rejected(path, caplog, "version")


def test_checksummed_but_inconsistent_content_is_rejected(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from node.crypto.hashes import H

    _, path = trained_file(tmp_path)
    body = bytearray(path.read_bytes()[:-8])
    body[-8:] = struct.pack("<d", -1.0)  # a negative average, with a valid checksum
    path.write_bytes(bytes(body) + H(bytes(body))[:8])
    _expect_rejected(path, caplog, "negative")


def test_stale_file_is_not_loaded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _, path = trained_file(tmp_path)
    old = path.stat().st_mtime - 61 * 3600
    os.utime(path, (old, old))
    with caplog.at_level(logging.WARNING, logger="node.mempool.fees"):
        assert FeeEstimator(path).best_height == 0
    assert "old" in caplog.text
    assert FeeEstimator(path, max_file_age=None).best_height > 0
