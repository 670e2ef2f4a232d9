"""Building, funding and signing wallet transactions: fee rate choice, coin selection
(BnB, then SRD), change, subtract-fee-from-outputs, fee bumping (BIP125) and signing.

Fee policy (docs/protocol/wallet.md): an explicit fee rate must be at least the mempool's
minimum (max of the min relay fee, 1000 units/kvB, and the rolling minimum); otherwise the
estimator's ``estimate_smart_fee(conf_target, "conservative")`` is used, floored the same
way; with no estimate, regtest and devnet fall back to 10,000 units/kvB and mainnet/testnet
refuse (Core without -fallbackfee). Fees are ``ceil(rate * size / 1000)`` over the exact
serialized size (signatures are always 64 bytes, so sizes are known before signing).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from node.mempool.policy import (
    INCREMENTAL_RELAY_FEERATE,
    MAX_STANDARD_TX_SIZE,
    MIN_RELAY_FEERATE,
)
from node.params import MAX_MONEY
from node.script import PrecomputedTxData, sign_input, verify_input
from node.script.errors import ScriptError, TemplateError
from node.script.flags import STANDARD_FLAGS
from node.script.policy import DUST_THRESHOLD, is_dust
from node.script.templates import p2pkh_script_sig, script_for_address
from node.types.codec import encode_compact_size
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType
from node.wallet.coinselect import (
    CHANGE_LOWER,
    Candidate,
    SelectionResult,
    fee_for_size,
    select_coins_bnb,
    select_coins_srd,
)
from node.wallet.errors import (
    FeeEstimationFailed,
    InsufficientFunds,
    InvalidAddress,
    InvalidAmount,
    InvalidParameter,
    NotWalletTransaction,
    PrivateKeysDisabled,
    TransactionNotReplaceable,
    UnknownTransaction,
    WalletError,
)
from node.wallet.keychain import CHANGE

if TYPE_CHECKING:
    from node.wallet.wallet import Wallet

__all__ = [
    "FALLBACK_FEERATE",
    "INPUT_SIZE",
    "LONG_TERM_FEERATE",
    "MAX_TX_FEE",
    "Plan",
    "bump_fee_tx",
    "parse_outputs",
    "plan_payment",
    "resolve_feerate",
    "sign_foreign",
    "sign_plan",
]

INPUT_SIZE: Final = 40 + 1 + 98
"""A P2PKH input: outpoint + sequence, and its witness <sig64> <xonly32> with its length."""
P2PKH_OUTPUT_SIZE: Final = 8 + 1 + 25
FALLBACK_FEERATE: Final = 10_000
"""units/kvB used on regtest and devnet when the estimator has no answer."""
FALLBACK_NETWORKS: Final = frozenset(("regtest", "devnet"))
LONG_TERM_FEERATE: Final = 10_000
"""Core's consolidate feerate: what spending a coin later is assumed to cost (waste)."""
MAX_TX_FEE: Final = 10_000_000
"""Refuse to pay more than 0.1 RUST in fees (Core's -maxtxfee default)."""
SEQUENCE_RBF: Final = 0xFFFF_FFFD
SEQUENCE_NO_RBF: Final = 0xFFFF_FFFE


@dataclass(frozen=True, slots=True)
class Plan:
    """An unsigned, funded transaction."""

    tx: Tx
    spent: tuple[TxOut, ...]
    fee: int
    feerate: int
    change_index: int | None
    algorithm: str


# --------------------------------------------------------------------------- inputs


def resolve_feerate(wallet: Wallet, fee_rate: int | None, conf_target: int) -> int:
    """The fee rate (units/kvB) to use, per the fee policy above."""
    floor = max(MIN_RELAY_FEERATE, wallet.mempool.min_fee_rate())
    if fee_rate is not None:
        if isinstance(fee_rate, bool) or not isinstance(fee_rate, int) or fee_rate <= 0:
            raise InvalidParameter(f"fee rate must be a positive integer, got {fee_rate!r}")
        if fee_rate < floor:
            raise InvalidParameter(
                f"Fee rate ({fee_rate} units/kvB) is lower than the minimum fee rate setting "
                f"({floor} units/kvB)"
            )
        return fee_rate
    if isinstance(conf_target, bool) or not isinstance(conf_target, int):
        raise InvalidParameter("conf_target must be an integer")
    if not 1 <= conf_target <= 1008:
        raise InvalidParameter(f"Invalid conf_target, must be between 1 and 1008: {conf_target}")
    rate = None
    if wallet.estimator is not None:
        rate, _ = wallet.estimator.estimate_smart_fee(conf_target, "conservative")
    if rate is None:
        if wallet.params.name not in FALLBACK_NETWORKS:
            raise FeeEstimationFailed(
                "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or give "
                "an explicit fee rate."
            )
        rate = FALLBACK_FEERATE
    return max(rate, floor)


def parse_outputs(
    wallet: Wallet, outputs: Sequence[tuple[str, int]], subtract_fee_from: Sequence[int] = ()
) -> list[TxOut]:
    """Validate (address, amount) pairs into outputs; raise the matching WalletError."""
    if not outputs:
        raise InvalidParameter("Transaction must have at least one recipient")
    txouts = []
    seen: set[str] = set()
    total = 0
    for item in outputs:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise InvalidParameter(f"each output must be (address, amount), got {item!r}")
        address, amount = item
        if not isinstance(address, str):
            raise InvalidAddress(f"Invalid Rusty Coin address: {address!r}")
        try:
            script = script_for_address(address, wallet.hrp)
        except TemplateError as exc:
            raise InvalidAddress(f"Invalid Rusty Coin address {address!r}: {exc}") from None
        if address in seen:
            raise InvalidParameter(f"Invalid parameter, duplicated address: {address}")
        seen.add(address)
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidAmount(f"amount must be an integer of base units, got {amount!r}")
        if amount <= 0:
            raise InvalidAmount(f"Invalid amount for send: {amount} (must be positive)")
        if amount > MAX_MONEY:
            raise InvalidAmount(f"Amount out of range: {amount}")
        txout = TxOut(amount, script)
        if is_dust(txout):
            raise InvalidAmount(
                f"Transaction amount {amount} is dust (below {DUST_THRESHOLD} units)"
            )
        total += amount
        txouts.append(txout)
    if total > MAX_MONEY:
        raise InvalidAmount("Amount out of range: the outputs add up to more than MAX_MONEY")
    if len(set(subtract_fee_from)) != len(subtract_fee_from) or any(
        isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(txouts)
        for i in subtract_fee_from
    ):
        raise InvalidParameter(f"Invalid subtract_fee_from indices {list(subtract_fee_from)}")
    return txouts


def _output_size(out: TxOut) -> int:
    return 8 + len(encode_compact_size(len(out.script_pubkey))) + len(out.script_pubkey)


def tx_size(n_inputs: int, outputs: Sequence[TxOut]) -> int:
    """Exact serialized size of a STANDARD tx with `n_inputs` P2PKH inputs."""
    count = len(encode_compact_size(n_inputs))
    return (4 + 2 + 2 * count + len(encode_compact_size(len(outputs))) + 4 + 1
            + n_inputs * INPUT_SIZE + sum(_output_size(o) for o in outputs))  # fmt: skip


def _candidates(
    wallet: Wallet, rate: int, sffo: bool, exclude: set[OutPoint]
) -> tuple[list[Candidate], list[Candidate]]:
    """(confirmed mature coins, our own unconfirmed change in the mempool)."""
    fee = fee_for_size(rate, INPUT_SIZE)
    long_term = fee_for_size(LONG_TERM_FEERATE, INPUT_SIZE)
    confirmed, unconfirmed = [], []
    for rec, vout, out in wallet._unspent():
        op = OutPoint(rec.tx.txid, vout)
        origin = wallet.state.origins[out.script_pubkey]
        if op in exclude or origin.chain != 0 or wallet._is_immature(rec):
            continue
        cand = Candidate(op, out.value, INPUT_SIZE, fee, long_term,
                         out.value if sffo else out.value - fee)  # fmt: skip
        if rec.height is not None:
            confirmed.append(cand)
        elif wallet._is_trusted(rec):
            unconfirmed.append(cand)
    return confirmed, unconfirmed


# --------------------------------------------------------------------------- funding


def _select(
    pools: Sequence[list[Candidate]],
    target: int,
    change_fee: int,
    cost_of_change: int,
    *,
    sffo: bool,
    max_input_size: int,
) -> SelectionResult:
    pool: list[Candidate] = []
    for extra in pools:
        pool = pool + extra
        if not sffo:
            found = select_coins_bnb(pool, target, cost_of_change, max_input_size=max_input_size)
            if found is not None:
                return found
        # SRD aims for a comfortable change first, then for any change, then for no change
        # at all (the whole balance, e.g. with subtract-fee-from-outputs).
        for cfee, lower in ((change_fee, CHANGE_LOWER), (change_fee, 0), (0, 0)):
            found = select_coins_srd(pool, target, cfee, change_lower=lower,
                                     max_input_size=max_input_size)  # fmt: skip
            if found is not None:
                return found
    available = sum(c.value for p in pools for c in p)
    raise InsufficientFunds(f"Insufficient funds: {available} units spendable, more needed")


def _fund(
    wallet: Wallet,
    recipients: list[TxOut],
    rate: int,
    *,
    sffo: Sequence[int],
    sequence: int,
    preset: Sequence[tuple[OutPoint, TxOut]] = (),
    exclude: set[OutPoint] | None = None,
    min_fee: Callable[[int], int] | None = None,
    extra_size: int = 0,
) -> Plan:
    if not wallet.has_private_keys:
        raise PrivateKeysDisabled(
            "Error: Private keys are disabled for this wallet (watch-only); use "
            "sign_transaction with an external signer"
        )
    exclude = set(exclude or ()) | {op for op, _ in preset}
    outputs_total = sum(o.value for o in recipients)
    base_size = tx_size(0, recipients) + extra_size  # extra_size: e.g. a special payload
    not_input_fee = 0 if sffo else fee_for_size(rate, base_size)
    fee_per_input = fee_for_size(rate, INPUT_SIZE)
    preset_amount = sum(o.value if sffo else o.value - fee_per_input for _, o in preset)
    target = outputs_total + not_input_fee - preset_amount
    change_fee = fee_for_size(rate, P2PKH_OUTPUT_SIZE)
    cost_of_change = change_fee + fee_for_size(LONG_TERM_FEERATE, INPUT_SIZE)
    max_input_size = MAX_STANDARD_TX_SIZE - base_size - P2PKH_OUTPUT_SIZE - 8
    max_input_size -= INPUT_SIZE * len(preset)
    confirmed, unconfirmed = _candidates(wallet, rate, bool(sffo), exclude)
    if target > 0:
        result = _select((confirmed, unconfirmed), target, change_fee, cost_of_change,
                         sffo=bool(sffo), max_input_size=max_input_size)  # fmt: skip
        chosen = [
            (c.outpoint, TxOut(c.value, _script_of(wallet, c.outpoint))) for c in result.coins
        ]
        algorithm = result.algorithm
    else:
        chosen, algorithm = [], "preset"
    inputs = list(preset) + chosen
    total_in = sum(o.value for _, o in inputs)
    n_in = len(inputs)
    min_fee = min_fee or (lambda _size: 0)
    size_nc = tx_size(n_in, recipients) + extra_size
    size_c = tx_size(n_in, [*recipients, TxOut(0, bytes(25))]) + extra_size
    min_change = max(DUST_THRESHOLD, fee_for_size(LONG_TERM_FEERATE, INPUT_SIZE) + 1)
    outputs = list(recipients)
    change_value = 0
    if not sffo:
        fee_c = max(fee_for_size(rate, size_c), min_fee(size_c))
        change_value = total_in - outputs_total - fee_c
        if algorithm == "bnb" or change_value < min_change:
            change_value = 0
            fee = total_in - outputs_total
            if fee < max(fee_for_size(rate, size_nc), min_fee(size_nc)):
                raise InsufficientFunds("Insufficient funds to pay the fee")
        else:
            fee = fee_c
    else:
        leftover = total_in - outputs_total
        if leftover < 0:
            raise InsufficientFunds("Insufficient funds")
        if leftover >= min_change:
            change_value = leftover
            fee = max(fee_for_size(rate, size_c), min_fee(size_c))
            to_subtract = fee
        else:
            fee = max(fee_for_size(rate, size_nc), min_fee(size_nc), leftover)
            to_subtract = fee - leftover
        share, remainder = divmod(to_subtract, len(sffo))
        for n, i in enumerate(sorted(sffo)):
            value = outputs[i].value - share - (remainder if n == 0 else 0)
            if value <= 0 or is_dust(TxOut(value, outputs[i].script_pubkey)):
                raise InvalidAmount("The transaction amount is too small to pay the fee")
            outputs[i] = TxOut(value, outputs[i].script_pubkey)
    if fee > MAX_TX_FEE:
        raise WalletError(f"Fee exceeds maximum configured by user (maxtxfee): {fee} units")
    rng = random.SystemRandom()
    rng.shuffle(inputs)
    change_index = None
    if change_value:
        change_script = wallet.state.issue(0, CHANGE)
        change_index = rng.randrange(len(outputs) + 1)
        outputs.insert(change_index, TxOut(change_value, change_script))
    tx = Tx(
        version=1,
        tx_type=TxType.STANDARD,
        inputs=tuple(TxIn(op, sequence) for op, _ in inputs),
        outputs=tuple(outputs),
        lock_time=wallet.chainstate.height,
        payload=b"",
        witnesses=tuple(b"" for _ in inputs),
    )
    if tx_size(n_in, outputs) + extra_size > MAX_STANDARD_TX_SIZE:
        raise WalletError("Transaction too large (too many inputs); consolidate coins first")
    return Plan(tx, tuple(o for _, o in inputs), fee, rate, change_index, algorithm)


def _script_of(wallet: Wallet, outpoint: OutPoint) -> bytes:
    return wallet.state.outputs[outpoint].script_pubkey


def plan_payment(
    wallet: Wallet,
    outputs: Sequence[tuple[str, int]],
    *,
    fee_rate: int | None,
    conf_target: int,
    subtract_fee_from: Sequence[int],
    replaceable: bool,
) -> Plan:
    """Validate, choose the fee rate and fund a payment (unsigned)."""
    recipients = parse_outputs(wallet, outputs, subtract_fee_from)
    rate = resolve_feerate(wallet, fee_rate, conf_target)
    sequence = SEQUENCE_RBF if replaceable else SEQUENCE_NO_RBF
    return _fund(wallet, recipients, rate, sffo=subtract_fee_from, sequence=sequence)


# --------------------------------------------------------------------------- signing


def sign_plan(wallet: Wallet, plan: Plan) -> Tx:
    """Sign every input of a funded plan (WalletLocked when locked)."""
    tx = plan.tx
    pre = PrecomputedTxData.from_tx(tx)
    witnesses = []
    for index, spent in enumerate(plan.spent):
        secret = wallet.secret_for(spent.script_pubkey)
        if secret is None:  # pragma: no cover - _fund only picks our key chain 0 coins
            raise PrivateKeysDisabled("an input of the plan is not signable by this wallet")
        origin = wallet.state.origins[spent.script_pubkey]
        sig = sign_input(secret, tx, index, spent, precomputed=pre)
        witnesses.append(p2pkh_script_sig(sig, origin.xonly))
    return replace(tx, witnesses=tuple(witnesses))


def _prevout(wallet: Wallet, op: OutPoint, given: Mapping[OutPoint, TxOut]) -> TxOut | None:
    out = given.get(op) or wallet.state.outputs.get(op)
    if out is not None:
        return out
    coin = wallet.mempool.get_coin(op)
    if coin is None:
        with wallet.chainstate.db.read() as txn:
            coin = txn.get_coin(op)
    return None if coin is None else coin.to_txout()


def sign_foreign(wallet: Wallet, tx: Tx, prevouts: Mapping[OutPoint, TxOut]) -> tuple[Tx, bool]:
    """Sign the inputs of `tx` that spend wallet scripts; (tx, every input verifies)."""
    if tx.is_coinbase():
        raise InvalidParameter("cannot sign a coinbase transaction")
    spent = [_prevout(wallet, txin.prevout, prevouts) for txin in tx.inputs]
    pre = PrecomputedTxData.from_tx(tx)
    witnesses = list(tx.witnesses)
    for index, out in enumerate(spent):
        if out is None:
            continue
        secret = wallet.secret_for(out.script_pubkey)
        if secret is None:
            continue
        origin = wallet.state.origins[out.script_pubkey]
        sig = sign_input(secret, tx, index, out, precomputed=pre)
        witnesses[index] = p2pkh_script_sig(sig, origin.xonly)
    signed = replace(tx, witnesses=tuple(witnesses))
    complete = True
    for index, out in enumerate(spent):
        if out is None:
            complete = False
            continue
        try:
            verify_input(signed, index, out, STANDARD_FLAGS, pre)
        except ScriptError:
            complete = False
    return signed, complete


# --------------------------------------------------------------------------- fee bumping


def bump_fee_tx(wallet: Wallet, txid: bytes, *, fee_rate: int | None, conf_target: int) -> Tx:
    """A signed replacement of wallet transaction `txid` at a higher fee rate.

    The replacement spends the same inputs (plus more coins when needed), pays the same
    recipients, and recreates the change. BIP125: its fee rate is at least the old one plus
    the incremental relay fee rate, and its absolute fee at least the old fee plus the
    incremental fee of its own size.
    """
    rec = wallet.state.records.get(txid)
    if rec is None:
        if txid in wallet.mempool:
            raise NotWalletTransaction(f"Transaction {txid.hex()} does not belong to this wallet")
        raise UnknownTransaction(f"Invalid or non-wallet transaction id {txid.hex()}")
    tx = rec.tx
    if rec.height is not None:
        raise TransactionNotReplaceable("Transaction has been mined, cannot bump its fee")
    if txid not in wallet.mempool:
        raise TransactionNotReplaceable(
            "Transaction is not in the mempool (it was replaced, conflicted or evicted)"
        )
    debit, all_mine = wallet.state.debit(tx)
    if not all_mine or tx.is_coinbase():
        raise NotWalletTransaction("Transaction contains inputs that don't belong to this wallet")
    if wallet.mempool.descendants(txid):
        raise TransactionNotReplaceable("Transaction has descendants in the mempool")
    old_fee = debit - sum(o.value for o in tx.outputs)
    old_rate = old_fee * 1000 // tx.size
    min_rate = old_rate + INCREMENTAL_RELAY_FEERATE
    if fee_rate is not None:
        rate = resolve_feerate(wallet, fee_rate, conf_target)
        if rate < min_rate:
            raise InvalidParameter(
                f"Insufficient total fee: new fee rate {rate} units/kvB must be at least "
                f"{min_rate} (old {old_rate} + incremental {INCREMENTAL_RELAY_FEERATE})"
            )
    else:
        rate = max(resolve_feerate(wallet, None, conf_target), min_rate)
    recipients = [o for o in tx.outputs if not wallet.is_change(o.script_pubkey)]
    if not recipients:
        recipients = [tx.outputs[0]]
    preset = [(txin.prevout, wallet.state.outputs[txin.prevout]) for txin in tx.inputs]
    exclude = {OutPoint(txid, vout) for vout in range(len(tx.outputs))}
    plan = _fund(
        wallet, recipients, rate, sffo=(), sequence=SEQUENCE_RBF, preset=preset,
        exclude=exclude,
        min_fee=lambda size: old_fee + fee_for_size(INCREMENTAL_RELAY_FEERATE, size),
    )  # fmt: skip
    return sign_plan(wallet, plan)
