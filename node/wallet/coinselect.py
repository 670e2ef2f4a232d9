"""Coin selection: Bitcoin Core's branch-and-bound (BnB) and single random draw (SRD).

Amounts are "effective values": a coin's value minus the fee its input costs at the
transaction's fee rate. BnB (Core's SelectCoinsBnB, after Murch's thesis) searches, depth
first, largest coin first, for a set whose effective value lies in
``[target, target + cost_of_change]``: such a set needs no change output (the small excess
goes to the fee). It minimises Core's *waste* metric and gives up after 100,000 tries.
SRD (Core's SelectCoinsSRD) draws coins in random order until they cover
``target + change_fee + CHANGE_LOWER``, so its result always leaves a change output; when the
selection grows past the size limit it drops its smallest coin first.

Everything here is integer arithmetic over plain data; the wallet builds the candidates.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from node.types.tx import OutPoint

__all__ = [
    "BNB_TOTAL_TRIES",
    "CHANGE_LOWER",
    "Candidate",
    "SelectionResult",
    "fee_for_size",
    "select_coins_bnb",
    "select_coins_srd",
]

BNB_TOTAL_TRIES: Final = 100_000
CHANGE_LOWER: Final = 50_000
"""SRD aims for at least this much change (Core's CHANGE_LOWER, in base units)."""


def fee_for_size(feerate: int, size: int) -> int:
    """Fee of `size` bytes at `feerate` units per 1000 bytes, rounded up (Core's GetFee)."""
    return -(-feerate * size // 1000)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A spendable coin as coin selection sees it."""

    outpoint: OutPoint
    value: int
    input_size: int
    fee: int
    """What spending it costs now (at the transaction's fee rate)."""
    long_term_fee: int
    """What spending it would cost at the long-term fee rate (for the waste metric)."""
    selection_amount: int
    """Effective value (value - fee), or the plain value when fees are subtracted from the
    recipients."""


@dataclass(frozen=True, slots=True)
class SelectionResult:
    """The coins picked, by which algorithm, and whether the result expects change."""

    coins: tuple[Candidate, ...]
    algorithm: str
    waste: int

    @property
    def selected_amount(self) -> int:
        return sum(c.selection_amount for c in self.coins)

    @property
    def value(self) -> int:
        return sum(c.value for c in self.coins)

    @property
    def input_size(self) -> int:
        return sum(c.input_size for c in self.coins)


def select_coins_bnb(
    pool: Sequence[Candidate],
    target: int,
    cost_of_change: int,
    *,
    max_input_size: int | None = None,
    max_tries: int = BNB_TOTAL_TRIES,
) -> SelectionResult | None:
    """An exact-match (changeless) selection of least waste, or None when there is none.

    A selection's amount must be within ``[target, target + cost_of_change]``; its waste is
    ``sum(fee - long_term_fee) + (amount - target)``.
    """
    utxos = sorted((c for c in pool if c.selection_amount > 0),
                   key=lambda c: c.selection_amount, reverse=True)  # fmt: skip
    available = sum(c.selection_amount for c in utxos)
    if available < target or not utxos:
        return None
    value = 0
    waste = 0
    size = 0
    selection: list[int] = []
    best: list[int] | None = None
    best_waste = 1 << 62
    feerate_high = utxos[0].fee > utxos[0].long_term_fee
    index = 0
    for _ in range(max_tries):
        backtrack = False
        if (
            value + available < target
            or value > target + cost_of_change
            or (waste > best_waste and feerate_high)
            or (max_input_size is not None and size > max_input_size)
        ):
            backtrack = True
        elif value >= target:
            total_waste = waste + (value - target)
            if total_waste <= best_waste:
                best = list(selection)
                best_waste = total_waste
            backtrack = True
        if backtrack:
            if not selection:
                break
            index -= 1
            while index > selection[-1]:
                available += utxos[index].selection_amount
                index -= 1
            coin = utxos[index]
            value -= coin.selection_amount
            waste -= coin.fee - coin.long_term_fee
            size -= coin.input_size
            selection.pop()
        else:
            coin = utxos[index]
            available -= coin.selection_amount
            previous = utxos[index - 1] if index else None
            if (
                not selection
                or index - 1 == selection[-1]
                or previous is None
                or coin.selection_amount != previous.selection_amount
                or coin.fee != previous.fee
            ):
                selection.append(index)
                value += coin.selection_amount
                waste += coin.fee - coin.long_term_fee
                size += coin.input_size
        index += 1
    if best is None:
        return None
    return SelectionResult(tuple(utxos[i] for i in best), "bnb", best_waste)


def select_coins_srd(
    pool: Sequence[Candidate],
    target: int,
    change_fee: int,
    *,
    rng: random.Random | None = None,
    max_input_size: int | None = None,
    change_lower: int = CHANGE_LOWER,
) -> SelectionResult | None:
    """Random coins covering ``target + change_fee + change_lower``, or None.

    Beyond `max_input_size` bytes of inputs the smallest selected coin is dropped again.
    """
    rng = rng or random.SystemRandom()
    goal = target + change_fee + change_lower
    positive = [c for c in pool if c.selection_amount > 0]
    order = list(range(len(positive)))
    rng.shuffle(order)
    heap: list[tuple[int, int]] = []  # (selection_amount, index): smallest first
    amount = 0
    size = 0
    for i in order:
        coin = positive[i]
        heapq.heappush(heap, (coin.selection_amount, i))
        amount += coin.selection_amount
        size += coin.input_size
        while max_input_size is not None and size > max_input_size and heap:
            _, dropped = heapq.heappop(heap)
            amount -= positive[dropped].selection_amount
            size -= positive[dropped].input_size
        if amount >= goal:
            coins = tuple(positive[j] for _, j in sorted(heap, key=lambda item: item[1]))
            waste = sum(c.fee - c.long_term_fee for c in coins) + change_fee
            return SelectionResult(coins, "srd", waste)
    return None
