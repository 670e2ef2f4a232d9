"""Loaders for the known-answer vector files in tests/node/crypto/data/ (see data/SOURCES.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def load_json(name: str) -> Any:
    """The parsed JSON data file `name`."""
    with (DATA / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def load_csv(name: str) -> list[dict[str, str]]:
    """The rows of the CSV data file `name`, as dicts keyed by the header."""
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
