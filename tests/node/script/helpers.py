"""Shared fixtures for the script tests: deterministic keys, a credit/spend transaction pair
and the resolution of the {PKn}/{PKHn}/{SIGn}/{SIGn:hh}/{BADSIGn} tokens of the JSON table."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from node.crypto.hashes import hash160
from node.crypto.schnorr import pubkey_from_secret, sign
from node.script.asm import from_asm
from node.script.errors import SighashError
from node.script.parse import push_data
from node.script.sighash import VALID_HASH_TYPES, signature_hash
from node.script.templates import p2sh_script_for_redeem
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

AUX = bytes(32)
SPENT_VALUE = 100_000
SECRETS = {n: hashlib.sha256(f"rusty-script-test-key-{n}".encode()).digest() for n in (1, 2, 3)}
PUBKEYS = {n: pubkey_from_secret(secret) for n, secret in SECRETS.items()}

_TOKEN = re.compile(r"\{(PKH|PK|SIG|BADSIG)(\d)(?::([0-9a-fA-F]{2}))?\}")


def prev_txid(n: int) -> bytes:
    return hashlib.sha256(b"prev" + bytes([n])).digest()


def make_tx(
    *,
    inputs: int = 1,
    outputs: int = 1,
    index: int = 0,
    lock_time: int = 0,
    sequence: int = 0xFFFFFFFF,
    witnesses: tuple[bytes, ...] | None = None,
) -> Tx:
    """A STANDARD tx spending ``inputs`` outpoints; input ``index`` has ``sequence``."""
    txins = tuple(
        TxIn(OutPoint(prev_txid(i), i), sequence if i == index else 0xFFFFFFFF)
        for i in range(inputs)
    )
    txouts = tuple(TxOut(1_000 * (i + 1), bytes([0x51 + i % 16])) for i in range(outputs))
    wits = witnesses if witnesses is not None else tuple(b"" for _ in txins)
    return Tx(1, TxType.STANDARD, txins, txouts, lock_time, b"", wits)


def with_witness(tx: Tx, index: int, script_sig: bytes) -> Tx:
    wits = list(tx.witnesses)
    wits[index] = script_sig
    return Tx(tx.version, tx.tx_type, tx.inputs, tx.outputs, tx.lock_time, tx.payload, tuple(wits))


def resolve_keys(text: str) -> str:
    """Replace {PKn} and {PKHn} by pushes."""

    def repl(m: re.Match[str]) -> str:
        kind, n = m.group(1), int(m.group(2))
        if kind == "PK":
            return f"<{PUBKEYS[n].hex()}>"
        if kind == "PKH":
            return f"<{hash160(PUBKEYS[n]).hex()}>"
        return m.group(0)

    return _TOKEN.sub(repl, text)


def resolve_sigs(text: str, tx: Tx, index: int, spent: TxOut) -> str:
    """Replace {SIGn}, {SIGn:hh} (explicit hash type) and {BADSIGn} by pushes."""

    def repl(m: re.Match[str]) -> str:
        kind, n, ht_hex = m.group(1), int(m.group(2)), m.group(3)
        if kind in ("PK", "PKH"):
            return m.group(0)
        if kind == "BADSIG":
            msg = hashlib.sha256(b"not the sighash").digest()
            return f"<{sign(SECRETS[n], msg, AUX).hex()}>"
        hash_type = int(ht_hex, 16) if ht_hex is not None else 0
        try:
            if hash_type not in VALID_HASH_TYPES:
                raise SighashError("invalid")
            msg = signature_hash(tx, index, spent, hash_type)
        except SighashError:
            msg = bytes(32)  # no valid message exists; any signature will do
        sig = sign(SECRETS[n], msg, AUX)
        if ht_hex is not None:
            sig += bytes([hash_type])
        return f"<{sig.hex()}>"

    return _TOKEN.sub(repl, text)


@dataclass
class BuiltCase:
    tx: Tx
    index: int
    spent: TxOut
    script_sig: bytes
    flags: str
    expect: str
    raw: dict[str, Any] = field(repr=False)


def build_case(case: dict[str, Any]) -> BuiltCase:
    """Turn one JSON case into (tx, index, spent output, script_sig)."""
    index = case.get("index", 0)
    redeem = from_asm(resolve_keys(case["redeem"])) if "redeem" in case else None
    pub_text = case.get("pub", "")
    if redeem is not None and not pub_text:
        script_pubkey = p2sh_script_for_redeem(redeem)
    else:
        script_pubkey = from_asm(resolve_keys(pub_text))
    spent = TxOut(SPENT_VALUE, script_pubkey)
    tx = make_tx(
        inputs=case.get("inputs", 1),
        outputs=case.get("outputs", 1),
        index=index,
        lock_time=case.get("lock_time", 0),
        sequence=case.get("sequence", 0xFFFFFFFF),
    )
    script_sig = from_asm(resolve_sigs(resolve_keys(case["sig"]), tx, index, spent))
    if redeem is not None:
        script_sig += push_data(redeem)
    return BuiltCase(
        with_witness(tx, index, script_sig),
        index,
        spent,
        script_sig,
        case["flags"],
        case["expect"],
        case,
    )
