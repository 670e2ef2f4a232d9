"""Keyset paging on Postgres: with 100,000 transactions of one address, the first, middle and
last history pages are index range scans on (address, -height, -position) that read ~25 rows
(no OFFSET, no sort of the history), so a deep page costs what the first one does.

Runs in a subprocess on a throw-away database (bench.api builds the history with
generate_series); the latency figures for 1,000,000 transactions are `python -m bench api`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = "import json, bench.api as b; print(json.dumps(b.plans_on_fresh_database(100_000)))"


@pytest.mark.postgres
@pytest.mark.slow
def test_history_pages_use_the_keyset_index(postgres_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"TEST_POSTGRES_URL": postgres_url, "RUSTY_DATADIR": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "rustycoin.settings"})  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    plans: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(plans) == {"first", "middle", "last"}
    for page, plan in plans.items():
        assert "Index Scan using addrtx_keyset" in plan, (page, plan)
        assert "Seq Scan" not in plan, (page, plan)
        assert "Sort" not in plan, (page, plan)  # the index order is the answer's order
        scanned = [int(n) for n in re.findall(r"actual time=\S+ rows=(\d+)", plan)]
        removed = [int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan)]
        assert max(scanned) <= 25, (page, plan)
        assert sum(removed) <= 25, (page, plan)  # only the cursor block's own tail
