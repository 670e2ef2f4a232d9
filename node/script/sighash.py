"""Signature hashes (SPEC §3) with per-transaction precomputation.

    sighash = H_tag("RustyCoin/sighash", version u32 | tx_type u16 | hash_prevouts |
              hash_sequences | hash_outputs | lock_time u32 | H(payload) | input_index u32 |
              spent_value u64 | spent_script_pubkey bytes | hash_type u8)

What each hash type commits to follows BIP341:

* ALL (0x01) and DEFAULT (0x00, a 64-byte signature): ``hash_prevouts`` = H(all prevouts,
  txid[32] | vout u32 each), ``hash_sequences`` = H(all sequences u32), ``hash_outputs`` =
  H(all outputs serialized, value u64 | script bytes). DEFAULT and ALL commit to the same
  data but differ in the committed hash_type byte (0x00 vs 0x01), as in BIP341.
* NONE (0x02): ``hash_outputs`` = 32 zero bytes.
* SINGLE (0x03): ``hash_outputs`` = H(the output at this input's index); when there is no
  such output the hash is undefined and the signature fails (SCHNORR_SIG_HASHTYPE).
* ANYONECANPAY (0x80 |): ``hash_prevouts`` / ``hash_sequences`` cover only this input's
  prevout / sequence, and ``input_index`` is written as 0xFFFFFFFF (BIP341 commits to the
  spent outpoint instead of the position, so inputs may be added and reordered).

`PrecomputedTxData` is built once per transaction (O(size)); each signature hash is then
O(1) in the number of inputs (SINGLE and ANYONECANPAY hash one item), so signing or
verifying every input of a transaction is linear.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from node.crypto.hashes import H, tagged_hash
from node.script.errors import ScriptErrorCode, SighashError
from node.types.codec import encode_var_bytes
from node.types.tx import Tx, TxOut

SIGHASH_TAG: Final = "RustyCoin/sighash"
SIGHASH_DEFAULT: Final = 0x00
SIGHASH_ALL: Final = 0x01
SIGHASH_NONE: Final = 0x02
SIGHASH_SINGLE: Final = 0x03
SIGHASH_ANYONECANPAY: Final = 0x80
VALID_HASH_TYPES: Final = frozenset((0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83))
ACP_INPUT_INDEX: Final = 0xFFFF_FFFF
"""What ``input_index`` holds in an ANYONECANPAY signature hash."""

_ZERO32: Final = bytes(32)
_HEAD: Final = struct.Struct("<IH")
_U32: Final = struct.Struct("<I")
_INDEX_VALUE: Final = struct.Struct("<IQ")
_OUTPOINT: Final = struct.Struct("<32sI")


@dataclass(frozen=True, slots=True)
class PrecomputedTxData:
    """The per-transaction parts of every signature hash of ``tx``."""

    tx: Tx
    hash_prevouts: bytes
    hash_sequences: bytes
    hash_outputs: bytes
    hash_payload: bytes
    head: bytes
    """version | tx_type."""
    tail: bytes
    """lock_time | H(payload)."""
    head_all: bytes
    """The whole message up to input_index for ALL/DEFAULT (identical for every input)."""

    @classmethod
    def from_tx(cls, tx: Tx) -> PrecomputedTxData:
        """Hash the prevouts, sequences, outputs and payload of ``tx`` once."""
        pack_outpoint = _OUTPOINT.pack
        pack_u32 = _U32.pack
        hash_prevouts = H(
            b"".join([pack_outpoint(i.prevout.txid, i.prevout.vout) for i in tx.inputs])
        )
        hash_sequences = H(b"".join([pack_u32(i.sequence) for i in tx.inputs]))
        hash_outputs = H(b"".join([o.serialize() for o in tx.outputs]))
        hash_payload = H(tx.payload)
        head = _HEAD.pack(tx.version, tx.tx_type)
        tail = pack_u32(tx.lock_time) + hash_payload
        head_all = head + hash_prevouts + hash_sequences + hash_outputs + tail
        return cls(
            tx, hash_prevouts, hash_sequences, hash_outputs, hash_payload, head, tail, head_all
        )


def sighash_message(
    pre: PrecomputedTxData, index: int, spent_output: TxOut, hash_type: int
) -> bytes:
    """The byte string that is tagged-hashed (exposed for tests and debugging)."""
    tx = pre.tx
    if hash_type not in VALID_HASH_TYPES:
        raise SighashError(f"invalid hash type 0x{hash_type:02x}")
    if not 0 <= index < len(tx.inputs):
        raise SighashError(
            f"input index {index} out of range ({len(tx.inputs)} inputs)",
            ScriptErrorCode.SIGHASH_INPUT,
        )
    if hash_type <= SIGHASH_ALL:
        head = pre.head_all
        position = index
    else:
        base = hash_type & 0x03
        if hash_type & SIGHASH_ANYONECANPAY:
            txin = tx.inputs[index]
            hash_prevouts = H(_OUTPOINT.pack(txin.prevout.txid, txin.prevout.vout))
            hash_sequences = H(_U32.pack(txin.sequence))
            position = ACP_INPUT_INDEX
        else:
            hash_prevouts = pre.hash_prevouts
            hash_sequences = pre.hash_sequences
            position = index
        if base == SIGHASH_NONE:
            hash_outputs = _ZERO32
        elif base == SIGHASH_SINGLE:
            if index >= len(tx.outputs):
                raise SighashError(
                    f"SIGHASH_SINGLE for input {index} without a matching output "
                    f"({len(tx.outputs)} outputs)"
                )
            hash_outputs = H(tx.outputs[index].serialize())
        else:
            hash_outputs = pre.hash_outputs
        head = pre.head + hash_prevouts + hash_sequences + hash_outputs + pre.tail
    return b"".join(
        (
            head,
            _INDEX_VALUE.pack(position, spent_output.value),
            encode_var_bytes(spent_output.script_pubkey),
            bytes((hash_type,)),
        )
    )


def signature_hash(
    tx: Tx,
    index: int,
    spent_output: TxOut,
    hash_type: int = SIGHASH_DEFAULT,
    precomputed: PrecomputedTxData | None = None,
) -> bytes:
    """The 32-byte message a BIP340 signature of input ``index`` of ``tx`` signs.

    ``spent_output`` is the output the input spends (its value and script_pubkey are
    committed). Pass ``precomputed`` (built once per tx) when hashing several inputs.
    Raises SighashError for an invalid hash type, an index out of range, or SINGLE without a
    matching output.
    """
    pre = precomputed if precomputed is not None else PrecomputedTxData.from_tx(tx)
    if pre.tx is not tx and pre.tx.txid != tx.txid:
        raise SighashError(
            "precomputed data belongs to another transaction", ScriptErrorCode.SIGHASH_INPUT
        )
    return tagged_hash(SIGHASH_TAG, sighash_message(pre, index, spent_output, hash_type))
