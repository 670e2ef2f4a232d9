"""Write sighash_vectors.json (run once; the output is checked in as a regression table).

Deterministic pseudo-random transactions (fixed seed) of every tx_type, with 1..6 inputs,
0..5 outputs, random payloads / lock_times / sequences, hashed for every hash type and
several input indexes with node.script.sighash. The test also recomputes every vector with
an independent, naive implementation of SPEC §3.

Usage (from the repository root): PYTHONPATH=. python tests/node/script/data/make_sighash_vectors.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from node.script.errors import SighashError
from node.script.sighash import PrecomputedTxData, signature_hash
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

OUT = Path(__file__).with_name("sighash_vectors.json")
HASH_TYPES = (0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83)


def rand_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def make_tx(rng: random.Random, tx_type: TxType) -> Tx:
    n_in = rng.randint(1, 6)
    n_out = rng.randint(0, 5)
    inputs = tuple(
        TxIn(
            OutPoint(rand_bytes(rng, 32), rng.choice((0, 1, rng.getrandbits(32)))),
            rng.choice((0xFFFFFFFF, 0xFFFFFFFE, 0, rng.getrandbits(32))),
        )
        for _ in range(n_in)
    )
    outputs = tuple(
        TxOut(
            rng.getrandbits(rng.choice((16, 40, 64))),
            rand_bytes(rng, rng.choice((0, 1, 25, 35, 90))),
        )
        for _ in range(n_out)
    )
    payload = (
        b""
        if tx_type in (TxType.STANDARD, TxType.COINBASE)
        else rand_bytes(rng, rng.randint(0, 120))
    )
    witnesses = tuple(rand_bytes(rng, rng.randint(0, 40)) for _ in inputs)
    return Tx(
        rng.choice((1, 2, 0xFFFFFFFF)),
        tx_type,
        inputs,
        outputs,
        rng.getrandbits(32),
        payload,
        witnesses,
    )


def main() -> None:
    rng = random.Random(20261123)
    txs: list[str] = []
    vectors = []
    for tx_type in list(TxType) * 2:
        tx = make_tx(rng, tx_type)
        txs.append(tx.serialize().hex())
        pre = PrecomputedTxData.from_tx(tx)
        for index in sorted({0, len(tx.inputs) - 1, rng.randrange(len(tx.inputs))}):
            spent = TxOut(rng.getrandbits(50), rand_bytes(rng, rng.choice((0, 25, 35, 71, 300))))
            for hash_type in HASH_TYPES:
                try:
                    digest = signature_hash(tx, index, spent, hash_type, pre).hex()
                except SighashError:
                    digest = None  # SIGHASH_SINGLE without a matching output
                vectors.append(
                    {
                        "tx": len(txs) - 1,
                        "index": index,
                        "spent_value": spent.value,
                        "spent_script_pubkey": spent.script_pubkey.hex(),
                        "hash_type": hash_type,
                        "sighash": digest,
                    }
                )
    OUT.write_text(json.dumps({"txs": txs, "vectors": vectors}, indent=1) + "\n")
    print(f"wrote {len(vectors)} vectors to {OUT}")


if __name__ == "__main__":
    main()
