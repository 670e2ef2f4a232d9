"""`python -m bench primitives`: serialization, Merkle, Schnorr, BLS and OxideHash figures.

Figures (all best-of-3, single thread):
- tx_decode_per_s / tx_encode_per_s: a 2-input 2-output P2PKH transaction (65-byte
  signatures), decoded from bytes / encoded from a freshly built object (no cached bytes);
- block_decode_mb_per_s / block_encode_mb_per_s: a block of 2,000 such transactions;
- merkle_root_10k_ms: Merkle root of 10,000 leaves;
- schnorr_verify_per_s: BIP340 verifications through node.crypto.schnorr;
- bls_*: verify/s with each backend and the ratio (from bench/bls.py);
- oxidehash_mainnet_header_ms: verifying one header with mainnet OxideHash (SPEC: < 1 ms).
"""

from __future__ import annotations

import os
from typing import Any

from bench._timing import rate, seconds
from node.consensus.pow import oxidehash
from node.crypto import schnorr
from node.crypto.merkle import merkle_root
from node.params import MAINNET
from node.types.block import Block, BlockHeader
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

P2PKH = bytes.fromhex("76a914") + bytes(20) + bytes.fromhex("88ac")


def sample_tx(seed: int) -> Tx:
    """A typical payment: two P2PKH inputs with `<sig65> <pubkey32>` witnesses, two outputs."""
    rnd = seed.to_bytes(4, "little")
    witness = b"\x41" + bytes(64) + b"\x01" + b"\x20" + bytes(32)
    return Tx(
        version=1,
        tx_type=TxType.STANDARD,
        inputs=tuple(TxIn(OutPoint(rnd * 8, i), 0xFFFFFFFE) for i in range(2)),
        outputs=(TxOut(5_000_000 + seed, P2PKH), TxOut(12_345_678, P2PKH)),
        lock_time=0,
        payload=b"",
        witnesses=(witness, witness),
    )


def rebuild(tx: Tx) -> Tx:
    """A new object with the same fields, so encoding is measured without its cache."""
    return Tx(tx.version, tx.tx_type, tx.inputs, tx.outputs, tx.lock_time, tx.payload, tx.witnesses)


def run() -> dict[str, Any]:
    tx = sample_tx(1)
    raw_tx = tx.serialize()
    txs = tuple(sample_tx(i) for i in range(2000))
    header = BlockHeader(1, 1, bytes(32), bytes(32), bytes(32), bytes(32), 0, 0x207FFFFF, 0)
    block = Block(header, (), txs)
    raw_block = block.serialize()
    mb = len(raw_block) / 1e6

    figures: dict[str, Any] = {
        "tx_bytes": len(raw_tx),
        "tx_decode_per_s": round(rate(lambda: Tx.deserialize(raw_tx), 20_000)),
        "tx_encode_per_s": round(rate(lambda: rebuild(tx).serialize(), 20_000)),
        "txid_per_s": round(rate(lambda: rebuild(tx).txid, 20_000)),
        "block_bytes": len(raw_block),
        "block_decode_mb_per_s": round(mb / seconds(lambda: Block.deserialize(raw_block)), 1),
        "block_encode_mb_per_s": round(
            mb / seconds(lambda: Block(header, (), tuple(map(rebuild, txs))).serialize()), 1
        ),
    }
    leaves = [os.urandom(32) for _ in range(10_000)]
    figures["merkle_root_10k_ms"] = round(seconds(lambda: merkle_root(leaves)) * 1e3, 2)

    secret = schnorr.generate_secret()
    pub = schnorr.pubkey_from_secret(secret)
    msg = os.urandom(32)
    sig = schnorr.sign(secret, msg)
    figures["schnorr_verify_per_s"] = round(rate(lambda: schnorr.verify(pub, msg, sig), 3000))
    figures["schnorr_sign_per_s"] = round(rate(lambda: schnorr.sign(secret, msg), 3000))

    try:
        from bench import bls as bls_bench
    except ImportError as exc:  # pragma: no cover - bench/bls.py ships with the BLS facade
        figures["bls"] = f"unavailable: {exc}"
    else:
        figures["bls"] = bls_bench.run()

    header_bytes = header.serialize()
    per_header = seconds(
        lambda: [oxidehash(header_bytes, MAINNET.oxide_pad_bytes, MAINNET.oxide_rounds)
                 for _ in range(200)]
    ) / 200  # fmt: skip
    figures["oxidehash_mainnet_header_ms"] = round(per_header * 1e3, 3)
    figures["oxidehash_target_met"] = per_header < 1e-3
    return figures
