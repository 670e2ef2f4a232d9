"""Producing input signatures: BIP340 Schnorr over the SPEC §3 signature hash.

A signature with the default hash type (0x00) is 64 bytes; any other hash type is appended
as a 65th byte.
"""

from __future__ import annotations

from node.crypto.schnorr import sign
from node.script.sighash import SIGHASH_DEFAULT, PrecomputedTxData, signature_hash
from node.types.tx import Tx, TxOut


def sign_input(
    secret: bytes,
    tx: Tx,
    index: int,
    spent_output: TxOut,
    hash_type: int = SIGHASH_DEFAULT,
    precomputed: PrecomputedTxData | None = None,
    aux_rand: bytes | None = None,
) -> bytes:
    """Signature of input ``index`` of ``tx`` (spending ``spent_output``) by ``secret``.

    ``aux_rand`` is BIP340's auxiliary randomness (None: fresh from the OS; pass 32 bytes for
    deterministic signatures). Raises SighashError for an unusable hash type or index.
    """
    msg = signature_hash(tx, index, spent_output, hash_type, precomputed)
    sig = sign(secret, msg, aux_rand)
    return sig if hash_type == SIGHASH_DEFAULT else sig + bytes((hash_type,))
