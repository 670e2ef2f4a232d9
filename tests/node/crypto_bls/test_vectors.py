"""Known-answer vectors (Ethereum BLS POP tests, RFC 9380 hash-to-G2, EIP-2333 KeyGen).

Every case runs through both backends; a ``null`` expected output means the call must raise.
"""

from typing import Any

import pytest

from node.crypto.bls import (
    CURVE_ORDER,
    FIELD_MODULUS,
    BLSBackend,
    BLSError,
    InvalidPublicKey,
    InvalidScalar,
    get_backend,
)

from .conftest import BACKEND_NAMES, load_cases, unhex


def _params(handler: str, slow_on_py_ecc: bool = False) -> list[Any]:
    out = []
    for case in load_cases(handler):
        for name in BACKEND_NAMES:
            marks = [pytest.mark.slow] if slow_on_py_ecc and name == "py_ecc" else []
            out.append(pytest.param(name, case, id=f"{name}-{case['name']}", marks=marks))
    return out


def test_vector_files_are_complete() -> None:
    """Guards against a silently truncated data directory."""
    expected = {
        "sign": 10,
        "verify": 28,
        "aggregate": 5,
        "fast_aggregate_verify": 12,
        "aggregate_verify": 5,
        "aggregate_pubkeys": 3,
        "deserialization_G1": 12,
        "deserialization_G2": 14,
        "hash_to_G2": 4,
        "keygen": 4,
    }
    for handler, count in expected.items():
        cases = load_cases(handler)
        assert len(cases) == count, handler
        assert {c["output"] for c in cases if isinstance(c["output"], bool)} <= {True, False}
    for handler in ("verify", "fast_aggregate_verify", "aggregate_verify"):
        outputs = [c["output"] for c in load_cases(handler)]
        assert True in outputs, handler
        assert False in outputs, handler


@pytest.mark.parametrize(("name", "case"), _params("sign"))
def test_sign(name: str, case: dict[str, Any]) -> None:
    b = get_backend(name)
    sk = int(case["input"]["privkey"], 16)
    msg = unhex(case["input"]["message"])
    if case["output"] is None:
        with pytest.raises(InvalidScalar):
            b.sign(sk, msg)
        return
    sig = b.sign(sk, msg)
    assert sig == unhex(case["output"])
    assert b.verify(b.sk_to_pk(sk), msg, sig)


@pytest.mark.parametrize(("name", "case"), _params("verify", slow_on_py_ecc=True))
def test_verify(name: str, case: dict[str, Any]) -> None:
    i = case["input"]
    ok = get_backend(name).verify(unhex(i["pubkey"]), unhex(i["message"]), unhex(i["signature"]))
    assert ok is case["output"]


@pytest.mark.parametrize(("name", "case"), _params("aggregate"))
def test_aggregate(name: str, case: dict[str, Any]) -> None:
    b = get_backend(name)
    sigs = [unhex(s) for s in case["input"]]
    if case["output"] is None:
        with pytest.raises(BLSError):
            b.aggregate(sigs)
        return
    assert b.aggregate(sigs) == unhex(case["output"])


@pytest.mark.parametrize(("name", "case"), _params("aggregate_pubkeys"))
def test_aggregate_pubkeys(name: str, case: dict[str, Any]) -> None:
    b = get_backend(name)
    pks = [unhex(p) for p in case["input"]]
    if case["output"] is None:
        with pytest.raises(InvalidPublicKey):
            b.aggregate_pubkeys(pks)
        return
    assert b.aggregate_pubkeys(pks) == unhex(case["output"])


@pytest.mark.parametrize(("name", "case"), _params("fast_aggregate_verify", slow_on_py_ecc=True))
def test_fast_aggregate_verify(name: str, case: dict[str, Any]) -> None:
    i = case["input"]
    pks = [unhex(p) for p in i["pubkeys"]]
    ok = get_backend(name).fast_aggregate_verify(pks, unhex(i["message"]), unhex(i["signature"]))
    assert ok is case["output"]


@pytest.mark.parametrize(("name", "case"), _params("aggregate_verify", slow_on_py_ecc=True))
def test_aggregate_verify(name: str, case: dict[str, Any]) -> None:
    i = case["input"]
    pks = [unhex(p) for p in i["pubkeys"]]
    msgs = [unhex(m) for m in i["messages"]]
    assert get_backend(name).aggregate_verify(pks, msgs, unhex(i["signature"])) is case["output"]


@pytest.mark.parametrize(("name", "case"), _params("deserialization_G1"))
def test_deserialization_g1(name: str, case: dict[str, Any]) -> None:
    b = get_backend(name)
    data = unhex(case["input"]["pubkey"])
    assert b.validate_g1(data) is case["output"]
    is_identity = data == bytes([0xC0]) + bytes(47)
    assert b.validate_pubkey(data) is (case["output"] and not is_identity)


@pytest.mark.parametrize(("name", "case"), _params("deserialization_G2"))
def test_deserialization_g2(name: str, case: dict[str, Any]) -> None:
    b = get_backend(name)
    data = unhex(case["input"]["signature"])
    assert b.validate_g2(data) is case["output"]
    assert b.validate_signature(data) is case["output"]


def _compress_g2_affine(x: str, y: str) -> bytes:
    """ZCash compressed encoding of an affine G2 point given as "re,im" hex coordinates."""
    x_re, x_im = (int(v, 16) for v in x.split(","))
    y_re, y_im = (int(v, 16) for v in y.split(","))
    half = (FIELD_MODULUS - 1) // 2
    sign = y_im > half if y_im != 0 else y_re > half
    first = x_im.to_bytes(48, "big")
    return bytes([first[0] | 0x80 | (0x20 if sign else 0)]) + first[1:] + x_re.to_bytes(48, "big")


@pytest.mark.parametrize(("name", "case"), _params("hash_to_G2"))
def test_hash_to_g2(name: str, case: dict[str, Any]) -> None:
    msg = case["input"]["msg"].encode()
    expected = _compress_g2_affine(case["output"]["x"], case["output"]["y"])
    assert get_backend(name).hash_to_g2(msg, case["dst"].encode()) == expected


@pytest.mark.parametrize(("name", "case"), _params("keygen"))
def test_keygen(name: str, case: dict[str, Any]) -> None:
    sk = get_backend(name).keygen(unhex(case["input"]["seed"]))
    assert sk == int(case["output"])
    assert 0 < sk < CURVE_ORDER


def test_hash_to_g2_rejects_wrong_dst(backend: BLSBackend) -> None:
    case = load_cases("hash_to_G2")[1]
    expected = _compress_g2_affine(case["output"]["x"], case["output"]["y"])
    assert backend.hash_to_g2(b"abc", b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_") == (
        expected
    )
    assert backend.hash_to_g2(b"abc") != expected  # default DST is the POP signing tag
