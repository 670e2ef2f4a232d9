"""Benchmark of script verification (`python -m bench script`).

Measures, in the same run and over the same signatures, messages and keys:

* ``raw_schnorr_verify_per_s``: coincurve ``PublicKeyXOnly(pk).verify(sig, msg)``, i.e. a
  bare BIP340 verification including parsing the key;
* ``p2pkh_verify_per_s``: ``verify_input`` of P2PKH inputs, i.e. precomputing the tx's
  sighash data, the signature hash, the script (fast path) and the Schnorr check;
* ``p2pkh_full_interpreter_per_s``: the same inputs through ``verify_script`` (no fast
  path), for reference.

Every input has its own key and node.crypto's parsed-key cache is cleared before each round,
so no measurement profits from a cache that the raw coincurve loop lacks. Each figure is the
best of ``ROUNDS`` rounds. The target is ``ratio`` = p2pkh / raw >= 0.6.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from coincurve import PublicKeyXOnly

from node.crypto import schnorr
from node.script.flags import CONSENSUS_FLAGS
from node.script.interpreter import verify_script
from node.script.sighash import PrecomputedTxData, signature_hash
from node.script.signing import sign_input
from node.script.templates import p2pkh_script_for_pubkey, p2pkh_script_sig
from node.script.txchecker import TransactionSignatureChecker
from node.script.verify import verify_input
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

INPUTS = 1_000
ROUNDS = 5
TARGET_RATIO = 0.6


def _build(n: int) -> tuple[Tx, list[TxOut], list[bytes], list[bytes], list[bytes]]:
    secrets = [hashlib.sha256(b"bench-script-%d" % i).digest() for i in range(n)]
    pubkeys = [schnorr.pubkey_from_secret(s) for s in secrets]
    spent = [TxOut(10_000 + i, p2pkh_script_for_pubkey(pk)) for i, pk in enumerate(pubkeys)]
    inputs = tuple(TxIn(OutPoint(hashlib.sha256(b"prev-%d" % i).digest(), i % 4)) for i in range(n))
    outputs = (TxOut(5_000_000, spent[0].script_pubkey), TxOut(1_234, spent[1].script_pubkey))
    unsigned = Tx(1, TxType.STANDARD, inputs, outputs, 0, b"", tuple(b"" for _ in inputs))
    pre = PrecomputedTxData.from_tx(unsigned)
    sigs = [sign_input(s, unsigned, i, spent[i], 0, pre, bytes(32)) for i, s in enumerate(secrets)]
    msgs = [signature_hash(unsigned, i, spent[i], 0, pre) for i in range(n)]
    witnesses = tuple(p2pkh_script_sig(sig, pk) for sig, pk in zip(sigs, pubkeys, strict=True))
    tx = Tx(1, TxType.STANDARD, inputs, outputs, 0, b"", witnesses)
    return tx, spent, sigs, msgs, pubkeys


def _best_rate(n: int, rounds: int, body: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(rounds):
        schnorr._parse_pubkey.cache_clear()
        start = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - start)
    return n / best


def run() -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    n = INPUTS
    tx, spent, sigs, msgs, pubkeys = _build(n)
    triples = list(zip(pubkeys, sigs, msgs, strict=True))
    flags = int(CONSENSUS_FLAGS)

    def raw() -> None:
        for pk, sig, msg in triples:
            if not PublicKeyXOnly(pk).verify(sig, msg):
                raise AssertionError("raw verification failed")

    def p2pkh() -> None:
        pre = PrecomputedTxData.from_tx(tx)
        for i in range(n):
            verify_input(tx, i, spent[i], flags, pre)

    def full() -> None:
        pre = PrecomputedTxData.from_tx(tx)
        witnesses = tx.witnesses
        for i in range(n):
            checker = TransactionSignatureChecker(tx, i, spent[i], pre)
            verify_script(witnesses[i], spent[i].script_pubkey, flags, checker)

    raw_rates, p2pkh_rates, full_rates = [], [], []
    for _ in range(2):  # interleave so that machine noise hits all three alike
        raw_rates.append(_best_rate(n, ROUNDS, raw))
        p2pkh_rates.append(_best_rate(n, ROUNDS, p2pkh))
        full_rates.append(_best_rate(n, ROUNDS, full))
    raw_rate, p2pkh_rate, full_rate = max(raw_rates), max(p2pkh_rates), max(full_rates)
    ratio = p2pkh_rate / raw_rate
    return {
        "inputs": n,
        "rounds": ROUNDS,
        "raw_schnorr_verify_per_s": round(raw_rate),
        "p2pkh_verify_per_s": round(p2pkh_rate),
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "p2pkh_full_interpreter_per_s": round(full_rate),
        "full_interpreter_ratio": round(full_rate / raw_rate, 3),
        "p2pkh_verify_us": round(1e6 / p2pkh_rate, 2),
        "raw_schnorr_verify_us": round(1e6 / raw_rate, 2),
    }
