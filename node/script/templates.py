"""Standard script templates: build, recognise and turn into addresses.

* P2PKH: ``OP_DUP OP_HASH160 <20: HASH160(xonly)> OP_EQUALVERIFY OP_CHECKSIG``,
  unlocked by ``<sig> <xonly>``.
* P2SH: ``OP_BLAKE3 <32: H(redeem)> OP_EQUAL``, unlocked by ``<pushes>... <redeem>``.
* MULTISIG: ``OP_m <xonly_1> .. <xonly_n> OP_n OP_CHECKMULTISIG`` (1 <= m <= n <= 16),
  unlocked by ``<sig_1> .. <sig_m>`` (no dummy element).
* NULL_DATA: ``OP_RETURN <push>*`` (unspendable).
* HTLC: see `htlc_script`.

Recognition is exact: a script matches a template only if rebuilding it from the extracted
fields gives the same bytes (so pushes are minimal). Which of these are relayed is policy
(node.script.policy); consensus accepts any script.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from node.crypto.address import (
    P2PKH_VERSION,
    P2SH_VERSION,
    Address,
    AddressError,
    decode_address,
    encode_address,
)
from node.crypto.hashes import H, hash160
from node.script.errors import ScriptErrorCode, TemplateError
from node.script.limits import LOCKTIME_THRESHOLD, MAX_SCRIPT_ELEMENT_SIZE, XONLY_PUBKEY_SIZE
from node.script.num import decode_num
from node.script.opcodes import Op
from node.script.parse import push_data, push_int, small_int_value, try_parse

MAX_MULTISIG_TEMPLATE_KEYS: Final = 16
"""Largest n of the recognised bare multisig template (OP_n encodes at most 16)."""
HTLC_HASH_SIZE: Final = 32


class ScriptType(enum.Enum):
    """What kind of standard template a script is."""

    NONSTANDARD = "nonstandard"
    P2PKH = "p2pkh"
    P2SH = "p2sh"
    MULTISIG = "multisig"
    NULL_DATA = "nulldata"
    HTLC = "htlc"


@dataclass(frozen=True, slots=True)
class MultisigInfo:
    """An m-of-n bare multisig: ``required`` signatures of ``pubkeys`` (x-only, in order)."""

    required: int
    pubkeys: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class HtlcInfo:
    """A hashed time-locked contract.

    ``recipient_pubkey`` may spend with the SHA-256 preimage of ``payment_hash``;
    ``refund_pubkey`` may spend once the absolute ``lock_time`` (height or time) has passed.
    """

    payment_hash: bytes
    recipient_pubkey: bytes
    refund_pubkey: bytes
    lock_time: int


def _check_key(pubkey: bytes, what: str = "public key") -> None:
    if len(pubkey) != XONLY_PUBKEY_SIZE:
        raise TemplateError(f"{what} must be {XONLY_PUBKEY_SIZE} bytes, got {len(pubkey)}")


# --------------------------------------------------------------------------- building


def p2pkh_script(pubkey_hash: bytes) -> bytes:
    """P2PKH script_pubkey for a 20-byte HASH160 of an x-only key."""
    if len(pubkey_hash) != 20:
        raise TemplateError(f"P2PKH hash must be 20 bytes, got {len(pubkey_hash)}")
    return b"\x76\xa9\x14" + pubkey_hash + b"\x88\xac"


def p2pkh_script_for_pubkey(pubkey: bytes) -> bytes:
    """P2PKH script_pubkey paying to an x-only public key."""
    _check_key(pubkey)
    return p2pkh_script(hash160(pubkey))


def p2sh_script(script_hash: bytes) -> bytes:
    """P2SH script_pubkey for a 32-byte H(redeem_script)."""
    if len(script_hash) != 32:
        raise TemplateError(f"P2SH hash must be 32 bytes, got {len(script_hash)}")
    return bytes((Op.OP_BLAKE3, 0x20)) + script_hash + bytes((Op.OP_EQUAL,))


def p2sh_script_for_redeem(redeem_script: bytes) -> bytes:
    """P2SH script_pubkey committing to ``redeem_script`` (at most 520 bytes, to be pushable)."""
    if len(redeem_script) > MAX_SCRIPT_ELEMENT_SIZE:
        raise TemplateError(
            f"redeem script of {len(redeem_script)} bytes cannot be pushed "
            f"(max {MAX_SCRIPT_ELEMENT_SIZE})"
        )
    return p2sh_script(H(redeem_script))


def multisig_script(required: int, pubkeys: Sequence[bytes]) -> bytes:
    """``OP_m <keys> OP_n OP_CHECKMULTISIG`` with 1 <= m <= n <= 16 (policy allows n <= 3)."""
    n = len(pubkeys)
    if not 1 <= n <= MAX_MULTISIG_TEMPLATE_KEYS:
        raise TemplateError(f"multisig needs 1..{MAX_MULTISIG_TEMPLATE_KEYS} keys, got {n}")
    if not 1 <= required <= n:
        raise TemplateError(f"multisig needs 1..{n} required signatures, got {required}")
    for key in pubkeys:
        _check_key(key)
    body = b"".join(push_data(key) for key in pubkeys)
    return push_int(required) + body + push_int(n) + bytes((Op.OP_CHECKMULTISIG,))


def null_data_script(*chunks: bytes) -> bytes:
    """``OP_RETURN <chunk>...``: a provably unspendable output carrying data."""
    for chunk in chunks:
        if len(chunk) > MAX_SCRIPT_ELEMENT_SIZE:
            raise TemplateError(f"data push of {len(chunk)} bytes is too large")
    return bytes((Op.OP_RETURN,)) + b"".join(push_data(chunk) for chunk in chunks)


def htlc_script(
    payment_hash: bytes, recipient_pubkey: bytes, refund_pubkey: bytes, lock_time: int
) -> bytes:
    """The HTLC script::

        OP_IF
            OP_SHA256 <payment_hash> OP_EQUALVERIFY <recipient_pubkey>
        OP_ELSE
            <lock_time> OP_CHECKLOCKTIMEVERIFY OP_DROP <refund_pubkey>
        OP_ENDIF
        OP_CHECKSIG

    Claim with ``<sig> <preimage> OP_1``, refund with ``<sig> OP_0`` (tx lock_time >=
    ``lock_time``, input sequence not final). SHA-256 keeps it compatible with Bitcoin-style
    atomic swaps. ``lock_time`` is a height (< 500,000,000) or unix time, 1..2**32-1.
    """
    if len(payment_hash) != HTLC_HASH_SIZE:
        raise TemplateError(f"payment hash must be 32 bytes, got {len(payment_hash)}")
    _check_key(recipient_pubkey, "recipient public key")
    _check_key(refund_pubkey, "refund public key")
    if not 0 < lock_time <= 0xFFFF_FFFF:
        raise TemplateError(f"lock_time must be in 1..2**32-1, got {lock_time}")
    return b"".join(
        (
            bytes((Op.OP_IF, Op.OP_SHA256)),
            push_data(payment_hash),
            bytes((Op.OP_EQUALVERIFY,)),
            push_data(recipient_pubkey),
            bytes((Op.OP_ELSE,)),
            push_int(lock_time),
            bytes((Op.OP_CHECKLOCKTIMEVERIFY, Op.OP_DROP)),
            push_data(refund_pubkey),
            bytes((Op.OP_ENDIF, Op.OP_CHECKSIG)),
        )
    )


# --------------------------------------------------------------------------- unlocking


def p2pkh_script_sig(sig: bytes, pubkey: bytes) -> bytes:
    """``<sig> <xonly_pubkey>``."""
    _check_key(pubkey)
    return push_data(sig) + push_data(pubkey)


def p2sh_script_sig(redeem_script: bytes, *pushes: bytes) -> bytes:
    """``<push>... <redeem_script>``: the redeem script's own unlocking data, then itself."""
    if len(redeem_script) > MAX_SCRIPT_ELEMENT_SIZE:
        raise TemplateError(f"redeem script of {len(redeem_script)} bytes cannot be pushed")
    return b"".join(push_data(p) for p in pushes) + push_data(redeem_script)


def multisig_script_sig(sigs: Sequence[bytes]) -> bytes:
    """``<sig_1> .. <sig_m>`` in key order (no dummy element)."""
    return b"".join(push_data(sig) for sig in sigs)


def htlc_claim_script_sig(sig: bytes, preimage: bytes) -> bytes:
    """Unlock an HTLC with the preimage: ``<sig> <preimage> OP_1``."""
    return push_data(sig) + push_data(preimage) + bytes((Op.OP_1,))


def htlc_refund_script_sig(sig: bytes) -> bytes:
    """Unlock an HTLC after its lock time: ``<sig> OP_0``."""
    return push_data(sig) + bytes((Op.OP_0,))


# --------------------------------------------------------------------------- recognising


def match_p2pkh(script: bytes) -> bytes | None:
    """The 20-byte key hash of a P2PKH script, else None."""
    if len(script) == 25 and script[:3] == b"\x76\xa9\x14" and script[23:] == b"\x88\xac":
        return script[3:23]
    return None


def match_p2sh(script: bytes) -> bytes | None:
    """The 32-byte script hash of a P2SH script, else None."""
    if (
        len(script) == 35
        and script[0] == Op.OP_BLAKE3
        and script[1] == 0x20
        and script[34] == Op.OP_EQUAL
    ):
        return script[2:34]
    return None


def match_multisig(script: bytes) -> MultisigInfo | None:
    """(m, keys) of a bare multisig script, else None."""
    ops = try_parse(script)
    if ops is None or len(ops) < 4 or ops[-1].opcode != Op.OP_CHECKMULTISIG:
        return None
    required = small_int_value(ops[0].opcode)
    count = small_int_value(ops[-2].opcode)
    if required is None or count is None or count != len(ops) - 3:
        return None
    keys = tuple(item.data for item in ops[1:-2] if item.data is not None)
    if len(keys) != count:
        return None
    try:
        rebuilt = multisig_script(required, keys)
    except TemplateError:
        return None
    return MultisigInfo(required, keys) if rebuilt == script else None


def match_null_data(script: bytes) -> tuple[bytes, ...] | None:
    """The pushed values of an ``OP_RETURN <push>*`` script, else None.

    Round trip: ``match_null_data(null_data_script(*chunks)) == chunks``.
    """
    if not script or script[0] != Op.OP_RETURN:
        return None
    ops = try_parse(script[1:])
    if ops is None:
        return None
    chunks: list[bytes] = []
    for item in ops:
        if item.data is not None:
            chunks.append(item.data)
        elif item.opcode == Op.OP_1NEGATE:
            chunks.append(b"\x81")
        elif Op.OP_1 <= item.opcode <= Op.OP_16:
            chunks.append(bytes((item.opcode - (Op.OP_1 - 1),)))
        else:
            return None  # OP_RESERVED or a non-push opcode
    return tuple(chunks)


def match_htlc(script: bytes) -> HtlcInfo | None:
    """The parameters of an HTLC script (exactly as `htlc_script` builds it), else None."""
    ops = try_parse(script)
    if ops is None or len(ops) != 12:
        return None
    payment_hash, recipient, lock_push, refund = ops[2].data, ops[4].data, ops[6], ops[9].data
    if payment_hash is None or recipient is None or refund is None:
        return None
    if lock_push.data is not None:
        try:
            lock_time = decode_num(lock_push.data, 5, require_minimal=True)
        except Exception:
            return None
    else:
        value = small_int_value(lock_push.opcode)
        if value is None:
            return None
        lock_time = value
    try:
        rebuilt = htlc_script(payment_hash, recipient, refund, lock_time)
    except TemplateError:
        return None
    if rebuilt != script:
        return None
    return HtlcInfo(payment_hash, recipient, refund, lock_time)


def classify(script: bytes) -> ScriptType:
    """The template ``script`` matches (NONSTANDARD when none)."""
    if match_p2pkh(script) is not None:
        return ScriptType.P2PKH
    if match_p2sh(script) is not None:
        return ScriptType.P2SH
    if match_null_data(script) is not None:
        return ScriptType.NULL_DATA
    if match_multisig(script) is not None:
        return ScriptType.MULTISIG
    if match_htlc(script) is not None:
        return ScriptType.HTLC
    return ScriptType.NONSTANDARD


def htlc_lock_is_time(info: HtlcInfo) -> bool:
    """True when the HTLC's lock_time is a unix time rather than a height."""
    return info.lock_time >= LOCKTIME_THRESHOLD


# --------------------------------------------------------------------------- addresses


def address_for_script(script: bytes, hrp: str) -> str | None:
    """The address of a P2PKH or P2SH script_pubkey, else None (no single address)."""
    key_hash = match_p2pkh(script)
    if key_hash is not None:
        return encode_address(hrp, P2PKH_VERSION, key_hash)
    script_hash = match_p2sh(script)
    if script_hash is not None:
        return encode_address(hrp, P2SH_VERSION, script_hash)
    return None


def script_for_address(address: str | Address, hrp: str) -> bytes:
    """The script_pubkey paying to ``address`` (which must belong to ``hrp``'s network).

    Raises TemplateError(BAD_ADDRESS) for an invalid or foreign address.
    """
    if isinstance(address, Address):
        if address.hrp != hrp:
            raise TemplateError(
                f"address is for {address.hrp!r}, expected {hrp!r}", ScriptErrorCode.BAD_ADDRESS
            )
        decoded = address
    else:
        try:
            decoded = decode_address(address, hrp)
        except AddressError as exc:
            raise TemplateError(str(exc), ScriptErrorCode.BAD_ADDRESS) from exc
    if decoded.version == P2PKH_VERSION:
        return p2pkh_script(decoded.program)
    if decoded.version == P2SH_VERSION:
        return p2sh_script(decoded.program)
    raise TemplateError(  # pragma: no cover - Address only admits the two versions
        f"unsupported address version {decoded.version}", ScriptErrorCode.BAD_ADDRESS
    )


def extract_addresses(script: bytes, hrp: str) -> tuple[str, ...]:
    """Every address a standard script involves (Core's ExtractDestinations).

    P2PKH / P2SH: their address. MULTISIG: the P2PKH address of each key, in order. HTLC:
    the recipient's then the refund key's P2PKH address. NULL_DATA / non-standard: none.
    """
    single = address_for_script(script, hrp)
    if single is not None:
        return (single,)
    multisig = match_multisig(script)
    if multisig is not None:
        return tuple(encode_address(hrp, P2PKH_VERSION, hash160(key)) for key in multisig.pubkeys)
    htlc = match_htlc(script)
    if htlc is not None:
        return (
            encode_address(hrp, P2PKH_VERSION, hash160(htlc.recipient_pubkey)),
            encode_address(hrp, P2PKH_VERSION, hash160(htlc.refund_pubkey)),
        )
    return ()
