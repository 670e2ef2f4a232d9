"""Shared fixtures for the BLS tests: the backend parametrisation and the vector loader."""

import json
from pathlib import Path
from typing import Any

import pytest

from node.crypto.bls import BLSBackend, get_backend

DATA = Path(__file__).parent / "data"

#: Every test taking the ``backend`` fixture runs once per backend.
BACKEND_NAMES = ("arkworks", "py_ecc")


def load_cases(handler: str) -> list[dict[str, Any]]:
    """The cases of data/<handler>.json."""
    with (DATA / f"{handler}.json").open() as f:
        cases: list[dict[str, Any]] = json.load(f)["cases"]
    return cases


def unhex(value: str) -> bytes:
    """Bytes of a hex string with or without a 0x prefix."""
    return bytes.fromhex(value.removeprefix("0x"))


@pytest.fixture(params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest) -> BLSBackend:
    return get_backend(request.param)


@pytest.fixture(scope="session")
def ark() -> BLSBackend:
    return get_backend("arkworks")


@pytest.fixture(scope="session")
def ref() -> BLSBackend:
    return get_backend("py_ecc")
