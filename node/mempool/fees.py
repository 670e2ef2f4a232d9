"""Fee estimation: how fast transactions at each feerate confirm (Bitcoin Core's estimator).

The design follows Bitcoin Core's ``CBlockPolicyEstimator`` (policy/fees.cpp):

- Feerates (base units per 1000 bytes) fall into exponentially spaced buckets, 1.05 apart,
  from 1,000 to 10,000,000, plus one bucket for everything above. A bucket's boundary is its
  upper bound; a feerate goes to the first bucket whose boundary is >= it.
- Three horizons (`TxConfirmStats`) track, per bucket, exponentially decayed counts of
  transactions seen, confirmed within N periods and failed (left the pool unconfirmed after
  waiting N periods): short (12 periods of 1 block, decay 0.962), medium (24 periods of 2
  blocks, 0.9952) and long (42 periods of 24 blocks, 0.99931) -- targets up to 1008 blocks.
- Transactions still in the pool count against a bucket once they have waited longer than
  the target ("extra" in Core).
- ``estimate_smart_fee`` walks the buckets from the highest feerate down, grouping buckets
  until a group holds enough data, and returns the median feerate of the lowest group whose
  success rate meets the threshold: economical mode takes the maximum of 60 % within
  target/2, 85 % within the target and 95 % within 2 x target (checked against shorter
  horizons too); conservative mode additionally requires 95 % within 2 x target on the
  slower-decaying horizons. Estimates are never higher for a longer target (a feerate that
  confirmed within t blocks also confirmed within t' > t). Target 1 is answered as 2, and a
  target beyond half the span of blocks the estimator has watched is clamped to that span.

This is policy, not consensus: floats are used for the decayed averages. The state is saved
to a small binary file (``fee_estimates.dat``: magic, version byte, checksum) and loaded on
construction; a corrupt, foreign or stale file is logged and ignored.
"""

from __future__ import annotations

import logging
import math
import os
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from node.crypto.hashes import H

log = logging.getLogger(__name__)

MIN_BUCKET_FEERATE = 1_000
MAX_BUCKET_FEERATE = 10_000_000
FEE_SPACING = 1.05
INF_FEERATE = 1e99

SHORT_PERIODS, SHORT_SCALE, SHORT_DECAY = 12, 1, 0.962
MED_PERIODS, MED_SCALE, MED_DECAY = 24, 2, 0.9952
LONG_PERIODS, LONG_SCALE, LONG_DECAY = 42, 24, 0.99931

HALF_SUCCESS_PCT = 0.60
SUCCESS_PCT = 0.85
DOUBLE_SUCCESS_PCT = 0.95
SUFFICIENT_FEETXS = 0.1
"""Transactions per block a bucket group needs (medium and long horizons)."""
SUFFICIENT_TXS_SHORT = 0.5
"""Transactions per block a bucket group needs on the short horizon."""

MAX_TARGET = LONG_PERIODS * LONG_SCALE  # 1008
OLDEST_ESTIMATE_HISTORY = 6 * 1008
"""Blocks after which a persisted history no longer counts towards the usable span."""
MAX_FILE_AGE = 60 * 3600
"""Seconds after which a saved file is considered stale and not loaded (Core: 60 hours)."""

FILE_NAME = "fee_estimates.dat"
FILE_MAGIC = b"RCFE"
FILE_VERSION = 1
_CHECKSUM_LEN = 8
MODES = ("economical", "conservative")


def fee_buckets() -> tuple[float, ...]:
    """Bucket upper boundaries: 1000 * 1.05^k up to 10,000,000, then 'infinity'."""
    buckets: list[float] = []
    rate = float(MIN_BUCKET_FEERATE)
    while rate <= MAX_BUCKET_FEERATE:
        buckets.append(rate)
        rate *= FEE_SPACING
    buckets.append(INF_FEERATE)
    return tuple(buckets)


BUCKETS = fee_buckets()


def bucket_index(feerate: float, buckets: Sequence[float] = BUCKETS) -> int:
    """The first bucket whose boundary is >= `feerate` (binary search)."""
    lo, hi = 0, len(buckets) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if buckets[mid] >= feerate:
            hi = mid
        else:
            lo = mid + 1
    return lo


class TxConfirmStats:
    """Decayed confirmation statistics of one horizon (Core's TxConfirmStats)."""

    def __init__(self, buckets: Sequence[float], periods: int, scale: int, decay: float) -> None:
        n = len(buckets)
        self.buckets = buckets
        self.periods = periods
        self.scale = scale
        self.decay = decay
        self.tx_ct = [0.0] * n
        self.feerate_sum = [0.0] * n
        self.conf = [[0.0] * n for _ in range(periods)]
        self.fail = [[0.0] * n for _ in range(periods)]
        self.bins = periods * scale
        self.unconf: list[dict[int, int]] = [{} for _ in range(self.bins)]
        """Per entry height modulo `bins`: bucket -> transactions still in the pool."""
        self.old_unconf: dict[int, int] = {}
        """Bucket -> pool transactions older than `bins` blocks."""

    @property
    def max_confirms(self) -> int:
        return self.periods * self.scale

    def clear_current(self, height: int) -> None:
        """A new block at `height`: the bin it reuses moves into the old counts."""
        row = self.unconf[height % self.bins]
        for bucket, count in row.items():
            self.old_unconf[bucket] = self.old_unconf.get(bucket, 0) + count
        row.clear()

    def decay_all(self) -> None:
        d = self.decay
        n = len(self.buckets)
        for j in range(n):
            self.tx_ct[j] *= d
            self.feerate_sum[j] *= d
        for row in (*self.conf, *self.fail):
            for j in range(n):
                row[j] *= d

    def record(self, blocks_to_confirm: int, feerate: float) -> None:
        """A transaction confirmed `blocks_to_confirm` (>= 1) blocks after it entered."""
        if blocks_to_confirm < 1:
            return
        bucket = bucket_index(feerate, self.buckets)
        first = (blocks_to_confirm + self.scale - 1) // self.scale
        for period in range(first, self.periods + 1):
            self.conf[period - 1][bucket] += 1
        self.tx_ct[bucket] += 1
        self.feerate_sum[bucket] += feerate

    def new_tx(self, height: int, bucket: int) -> None:
        row = self.unconf[height % self.bins]
        row[bucket] = row.get(bucket, 0) + 1

    def remove_tx(self, entry_height: int, best_height: int, bucket: int, in_block: bool) -> None:
        """Stop counting a pool transaction; if it left unmined, record a failure."""
        blocks_ago = best_height - entry_height
        if blocks_ago < 0:
            return
        if blocks_ago >= self.bins:
            counts = self.old_unconf
        else:
            counts = self.unconf[entry_height % self.bins]
        if counts.get(bucket, 0) > 0:
            counts[bucket] -= 1
            if not counts[bucket]:
                del counts[bucket]
        if not in_block and blocks_ago >= self.scale:
            periods_ago = blocks_ago // self.scale
            for period in range(min(periods_ago, self.periods)):
                self.fail[period][bucket] += 1

    def estimate_median(
        self, target: int, sufficient: float, success: float, height: int
    ) -> float | None:
        """Core's EstimateMedianVal: the median feerate of the lowest passing bucket group."""
        n = len(self.buckets)
        period = (target + self.scale - 1) // self.scale
        conf_row = self.conf[period - 1]
        fail_row = self.fail[period - 1]
        extra = [0] * n
        for age in range(target, self.max_confirms):
            for bucket, count in self.unconf[(height - age) % self.bins].items():
                extra[bucket] += count
        for bucket, count in self.old_unconf.items():
            extra[bucket] += count
        needed = sufficient / (1 - self.decay)
        n_conf = total = failed = extra_num = 0.0
        near = far = best_near = best_far = n - 1
        found = False
        new_range = True
        for bucket in range(n - 1, -1, -1):
            if new_range:
                near = bucket
                new_range = False
            far = bucket
            n_conf += conf_row[bucket]
            total += self.tx_ct[bucket]
            failed += fail_row[bucket]
            extra_num += extra[bucket]
            if total >= needed:
                if n_conf / (total + failed + extra_num) < success:
                    continue  # keep widening the failing group towards lower feerates
                found = True
                best_near, best_far = near, far
                new_range = True
                n_conf = total = failed = extra_num = 0.0
        if not found:
            return None
        lo, hi = min(best_near, best_far), max(best_near, best_far)
        tx_sum = sum(self.tx_ct[lo : hi + 1])
        if tx_sum <= 0:
            return None
        half = tx_sum / 2
        for j in range(lo, hi + 1):
            if self.tx_ct[j] < half:
                half -= self.tx_ct[j]
            else:
                return self.feerate_sum[j] / self.tx_ct[j]
        return None  # pragma: no cover - the loop always reaches the median bucket

    # ------------------------------------------------------------------ persistence

    def pack(self) -> bytes:
        rows = [self.tx_ct, self.feerate_sum, *self.conf, *self.fail]
        flat = [v for row in rows for v in row]
        head = struct.pack("<IId", self.scale, self.periods, self.decay)
        return head + struct.pack(f"<{len(flat)}d", *flat)

    def unpack(self, data: memoryview, offset: int) -> int:
        """Read this horizon's averages at `offset`; returns the offset after them."""
        n = len(self.buckets)
        scale, periods, decay = struct.unpack_from("<IId", data, offset)
        if (scale, periods, decay) != (self.scale, self.periods, self.decay):
            raise ValueError(f"horizon ({scale}, {periods}, {decay}) is not this estimator's")
        offset += 16
        periods = self.periods
        count = (2 + 2 * periods) * n
        values = struct.unpack_from(f"<{count}d", data, offset)
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise ValueError("negative or non-finite average")
        rows = [list(values[i * n : (i + 1) * n]) for i in range(2 + 2 * periods)]
        self.tx_ct, self.feerate_sum = rows[0], rows[1]
        self.conf = rows[2 : 2 + periods]
        self.fail = rows[2 + periods :]
        for p in range(1, periods):
            if any(self.conf[p][j] + 1e-6 < self.conf[p - 1][j] for j in range(n)):
                raise ValueError("confirmation counts decrease with the period")
        return offset + 8 * count


@dataclass(frozen=True, slots=True)
class _Tracked:
    height: int
    bucket: int
    feerate: int


class FeeEstimator:
    """Tracks pool transactions and their confirmations; answers estimatesmartfee."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_file_age: float | None = MAX_FILE_AGE,
    ) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        self.short = TxConfirmStats(BUCKETS, SHORT_PERIODS, SHORT_SCALE, SHORT_DECAY)
        self.medium = TxConfirmStats(BUCKETS, MED_PERIODS, MED_SCALE, MED_DECAY)
        self.long = TxConfirmStats(BUCKETS, LONG_PERIODS, LONG_SCALE, LONG_DECAY)
        self.best_height = 0
        self.first_recorded = 0
        self.historical_first = 0
        self.historical_best = 0
        self._tracked: dict[bytes, _Tracked] = {}
        self._cache: dict[tuple[int, str], tuple[int | None, int]] = {}
        if path is not None and path.exists():
            self._load_file(path, max_file_age)

    @property
    def _horizons(self) -> tuple[TxConfirmStats, TxConfirmStats, TxConfirmStats]:
        return self.short, self.medium, self.long

    def tracked_count(self) -> int:
        """Pool transactions currently tracked."""
        return len(self._tracked)

    # ------------------------------------------------------------------ events

    def process_tx(self, txid: bytes, height: int, feerate: int) -> None:
        """A transaction entered the pool while the tip was at `height`."""
        with self._lock:
            if txid in self._tracked or feerate < 0 or height < 0:
                return
            if height < self.best_height:
                return  # accepted against an older tip: its delay would be wrong
            self.best_height = height
            bucket = bucket_index(feerate)
            for stats in self._horizons:
                stats.new_tx(height, bucket)
            self._tracked[txid] = _Tracked(height, bucket, feerate)

    def remove_tx(self, txid: bytes) -> None:
        """A tracked transaction left the pool without being mined (evicted, replaced...)."""
        with self._lock:
            self._forget(txid, in_block=False)

    def _forget(self, txid: bytes, *, in_block: bool) -> _Tracked | None:
        tracked = self._tracked.pop(txid, None)
        if tracked is not None:
            for stats in self._horizons:
                stats.remove_tx(tracked.height, self.best_height, tracked.bucket, in_block)
        return tracked

    def process_block(self, height: int, txids: Sequence[bytes]) -> None:
        """The block at `height` confirmed `txids`; lower or repeated heights are ignored."""
        with self._lock:
            if height <= self.best_height:
                return
            self.best_height = height
            self._cache.clear()
            for stats in self._horizons:
                stats.clear_current(height)
                stats.decay_all()
            counted = 0
            for txid in txids:
                tracked = self._forget(txid, in_block=True)
                if tracked is None:
                    continue
                delay = height - tracked.height
                if delay <= 0:
                    continue
                for stats in self._horizons:
                    stats.record(delay, tracked.feerate)
                counted += 1
            if self.first_recorded == 0 and counted:
                self.first_recorded = height

    # ------------------------------------------------------------------ estimates

    def _block_span(self) -> int:
        if self.first_recorded == 0:
            return 0
        return self.best_height - self.first_recorded

    def _historical_span(self) -> int:
        if self.historical_first == 0 or self.historical_best <= self.historical_first:
            return 0
        if self.best_height - self.historical_best > OLDEST_ESTIMATE_HISTORY:
            return 0
        return self.historical_best - self.historical_first

    def max_usable_target(self) -> int:
        """Half the span of blocks watched (Core's MaxUsableEstimate), at most 1008."""
        return min(MAX_TARGET, max(self._block_span(), self._historical_span()) // 2)

    def _combined(self, target: int, success: float, check_shorter: bool) -> float | None:
        if target < 1 or target > MAX_TARGET:
            return None
        h = self.best_height
        if target <= self.short.max_confirms:
            estimate = self.short.estimate_median(target, SUFFICIENT_TXS_SHORT, success, h)
        elif target <= self.medium.max_confirms:
            estimate = self.medium.estimate_median(target, SUFFICIENT_FEETXS, success, h)
        else:
            estimate = self.long.estimate_median(target, SUFFICIENT_FEETXS, success, h)
        if check_shorter:
            shorter: list[float | None] = []
            if target > self.medium.max_confirms:
                shorter.append(
                    self.medium.estimate_median(
                        self.medium.max_confirms, SUFFICIENT_FEETXS, success, h
                    )
                )
            if target > self.short.max_confirms:
                shorter.append(
                    self.short.estimate_median(
                        self.short.max_confirms, SUFFICIENT_TXS_SHORT, success, h
                    )
                )
            for value in shorter:
                if value is not None and value > 0 and (estimate is None or value < estimate):
                    estimate = value
        return estimate

    def _conservative(self, double_target: int) -> float | None:
        h = self.best_height
        estimate: float | None = None
        if double_target <= self.short.max_confirms:
            estimate = self.medium.estimate_median(
                double_target, SUFFICIENT_FEETXS, DOUBLE_SUCCESS_PCT, h
            )
        if double_target <= self.medium.max_confirms:
            longer = self.long.estimate_median(
                double_target, SUFFICIENT_FEETXS, DOUBLE_SUCCESS_PCT, h
            )
            if longer is not None and (estimate is None or longer > estimate):
                estimate = longer
        return estimate

    def _raw_estimate(self, target: int, conservative: bool) -> float | None:
        """Core's estimateSmartFee body for an already clamped target >= 2."""
        candidates = [
            self._combined(target // 2, HALF_SUCCESS_PCT, True),
            self._combined(target, SUCCESS_PCT, True),
            self._combined(2 * target, DOUBLE_SUCCESS_PCT, not conservative),
        ]
        found = [c for c in candidates if c is not None]
        median = max(found) if found else None
        if conservative or median is None:
            cons = self._conservative(2 * target)
            if cons is not None and (median is None or cons > median):
                median = cons
        return median

    def estimate_smart_fee(self, target: int, mode: str = "conservative") -> tuple[int | None, int]:
        """(feerate in units/kvB or None without enough data, the target actually used)."""
        if isinstance(target, bool) or not isinstance(target, int):
            raise TypeError(f"target must be an int, got {type(target).__name__}")
        if not 1 <= target <= MAX_TARGET:
            raise ValueError(f"target must be in 1..{MAX_TARGET}, got {target}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        with self._lock:
            target = max(target, 2)
            target = min(target, self.max_usable_target())
            if target <= 1:
                return None, target
            key = (target, mode)
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            conservative = mode == "conservative"
            best: float | None = None
            for t in _resolvable_targets(target):
                value = self._raw_estimate(t, conservative)
                if value is not None and (best is None or value < best):
                    best = value
            result = (None if best is None else max(1, round(best)), target)
            self._cache[key] = result
            return result

    # ------------------------------------------------------------------ persistence

    def save(self) -> None:
        """Write the averages to `path` atomically (no-op without a path)."""
        if self.path is None:
            return
        with self._lock:
            data = self.serialize()
        tmp = self.path.with_name(self.path.name + ".new")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def serialize(self) -> bytes:
        """The persisted form: magic, version, heights, buckets, three horizons, checksum."""
        with self._lock:
            if self._block_span() > self._historical_span() // 2:
                first, last = self.first_recorded, self.best_height
            else:
                first, last = self.historical_first, self.historical_best
            body = bytearray(FILE_MAGIC)
            body += struct.pack("<BQQQI", FILE_VERSION, self.best_height, first, last, len(BUCKETS))
            body += struct.pack(f"<{len(BUCKETS)}d", *BUCKETS)
            for stats in self._horizons:
                body += stats.pack()
            return bytes(body) + H(bytes(body))[:_CHECKSUM_LEN]

    def _load_file(self, path: Path, max_file_age: float | None) -> None:
        try:
            if max_file_age is not None:
                age = self.clock() - path.stat().st_mtime
                if age > max_file_age:
                    log.warning("fee estimates %s are %.0f h old; not loaded", path, age / 3600)
                    return
            data = path.read_bytes()
            self.deserialize(data)
        except (OSError, ValueError, struct.error) as exc:
            log.warning("fee estimates file %s rejected (%s); starting empty", path, exc)
            self._reset()
            return
        log.info("fee estimates loaded from %s (best height %d)", path, self.best_height)

    def _reset(self) -> None:
        self.short = TxConfirmStats(BUCKETS, SHORT_PERIODS, SHORT_SCALE, SHORT_DECAY)
        self.medium = TxConfirmStats(BUCKETS, MED_PERIODS, MED_SCALE, MED_DECAY)
        self.long = TxConfirmStats(BUCKETS, LONG_PERIODS, LONG_SCALE, LONG_DECAY)
        self.best_height = self.first_recorded = 0
        self.historical_first = self.historical_best = 0
        self._cache.clear()

    def deserialize(self, data: bytes) -> None:
        """Replace the averages with a serialized state; raises ValueError when invalid."""
        if len(data) < len(FILE_MAGIC) + 1 + _CHECKSUM_LEN or data[:4] != FILE_MAGIC:
            raise ValueError("not a Rusty Coin fee estimates file")
        if data[4] != FILE_VERSION:
            raise ValueError(f"unsupported version {data[4]}")
        body, checksum = data[:-_CHECKSUM_LEN], data[-_CHECKSUM_LEN:]
        if H(body)[:_CHECKSUM_LEN] != checksum:
            raise ValueError("checksum mismatch")
        view = memoryview(body)
        _, best, first, last, n = struct.unpack_from("<BQQQI", view, 4)
        offset = 4 + struct.calcsize("<BQQQI")
        if n != len(BUCKETS):
            raise ValueError(f"{n} buckets, expected {len(BUCKETS)}")
        if struct.unpack_from(f"<{n}d", view, offset) != BUCKETS:
            raise ValueError("bucket boundaries differ")
        offset += 8 * n
        if first > last or last > best:
            raise ValueError("inconsistent heights")
        with self._lock:
            self._reset()
            fresh = [
                TxConfirmStats(BUCKETS, SHORT_PERIODS, SHORT_SCALE, SHORT_DECAY),
                TxConfirmStats(BUCKETS, MED_PERIODS, MED_SCALE, MED_DECAY),
                TxConfirmStats(BUCKETS, LONG_PERIODS, LONG_SCALE, LONG_DECAY),
            ]
            for stats in fresh:
                offset = stats.unpack(view, offset)
            if offset != len(body):
                raise ValueError("trailing bytes")
            self.short, self.medium, self.long = fresh
            self.best_height = best
            self.historical_first, self.historical_best = first, last


def _resolvable_targets(target: int) -> list[int]:
    """The distinct targets <= `target` the horizons can tell apart (for monotonic answers)."""
    targets = {target}
    for t in range(2, min(target, SHORT_PERIODS * SHORT_SCALE) + 1):
        targets.add(t)
    for t in range(SHORT_PERIODS + MED_SCALE, min(target, MED_PERIODS * MED_SCALE) + 1, MED_SCALE):
        targets.add(t)
    for t in range(LONG_SCALE * 3, min(target, MAX_TARGET) + 1, LONG_SCALE):
        targets.add(t)
    return sorted(targets)
