"""The node.crypto.bls facade: backend selection and the module-level functions."""

import pytest

from node.crypto import bls
from node.crypto.bls import (
    BackendUnavailable,
    BLSBackend,
    BLSError,
    InvalidPublicKey,
    available_backends,
    backend_names,
    get_backend,
)
from node.crypto.bls.errors import InvalidPoint
from node.crypto.errors import CryptoError
from node.errors import RustyError

from .conftest import BACKEND_NAMES

SK = 42


def test_default_backend_is_arkworks() -> None:
    assert get_backend().name == "arkworks"
    assert get_backend(None) is get_backend("arkworks")
    assert backend_names() == ("arkworks", "py_ecc")
    assert available_backends() == ("arkworks", "py_ecc")


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_named_backends_implement_the_protocol(name: str) -> None:
    b = get_backend(name)
    assert b.name == name
    assert isinstance(b, BLSBackend)
    assert get_backend(name) is b  # cached
    for member in dir(BLSBackend):
        if not member.startswith("_"):
            assert hasattr(b, member), member


@pytest.mark.parametrize("name", ["", "blst", "ARKWORKS", "py-ecc"])
def test_unknown_backend(name: str) -> None:
    with pytest.raises(BackendUnavailable, match="unknown BLS backend"):
        get_backend(name)


def test_missing_library_is_backend_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bls._REGISTRY, "ghost", ("node.crypto.bls.no_such_module", "X"))
    with pytest.raises(BackendUnavailable, match="not installed"):
        get_backend("ghost")
    assert "ghost" not in available_backends()


def test_falls_back_to_py_ecc_when_arkworks_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bls, "_instances", {})
    monkeypatch.setitem(bls._REGISTRY, "arkworks", ("node.crypto.bls.no_such_module", "X"))
    assert get_backend().name == "py_ecc"


def test_error_hierarchy() -> None:
    assert issubclass(BLSError, CryptoError)
    assert issubclass(CryptoError, RustyError)
    assert issubclass(InvalidPublicKey, InvalidPoint)
    assert issubclass(BackendUnavailable, BLSError)


def test_module_functions_delegate_to_the_default_backend() -> None:
    ark = get_backend("arkworks")
    pk = bls.sk_to_pk(SK)
    sig = bls.sign(SK, b"m")
    pop = bls.pop_prove(SK)
    assert pk == ark.sk_to_pk(SK)
    assert sig == ark.sign(SK, b"m")
    assert bls.verify(pk, b"m", sig)
    assert not bls.verify(pk, b"n", sig)
    assert bls.pop_verify(pk, pop)
    assert bls.keygen(b"k" * 32) == ark.keygen(b"k" * 32)
    assert bls.aggregate([sig]) == sig
    assert bls.aggregate_pubkeys([pk]) == pk
    assert bls.fast_aggregate_verify([pk], b"m", sig)
    assert bls.aggregate_verify([pk], [b"m"], sig)
    assert bls.validate_pubkey(pk)
    assert bls.validate_signature(sig)
    assert bls.validate_g1(bls.G1_IDENTITY)
    assert bls.validate_g2(bls.G2_IDENTITY)
    assert bls.hash_to_g2(b"m") == ark.hash_to_g2(b"m", bls.DST_SIG)
    g1, g2 = bls.G1_GENERATOR, bls.G2_GENERATOR
    assert bls.g1_add(g1, g1) == bls.g1_mul(g1, 2)
    assert bls.g2_add(g2, g2) == bls.g2_mul(g2, 2)
    assert bls.g1_neg(bls.g1_neg(g1)) == g1
    assert bls.g2_neg(bls.g2_neg(g2)) == g2
    assert bls.poly_eval_g1([g1, g1], 2) == bls.g1_mul(g1, 3)
    assert bls.recover_g1([(1, pk)]) == pk
    assert bls.recover_g2([(1, sig)]) == sig
    assert bls.recover_scalar([(1, 5), (2, 7)]) == 3
