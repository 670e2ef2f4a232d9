"""Fixtures of the functional tests: `nodes_factory` builds a NodeSet in a temporary
directory, stops every node afterwards and, when the test failed, prints each node's log
tail (and the stderr of nodes that died) so the failure report shows them.

Test modules are named by area as in Bitcoin Core (`p2p_*.py`, `feature_*.py`, ...) and are
collected here without the `test_` prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.framework import NodeSet

AREAS = ("feature_", "p2p_", "rpc_", "mempool_", "wallet_", "mining_")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    # Files named on the command line are collected by pytest itself.
    if parent.session.isinitpath(file_path):
        return None
    if file_path.suffix == ".py" and file_path.name.startswith(AREAS):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def nodes_factory(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., NodeSet]]:
    made: list[NodeSet] = []

    def make(num_nodes: int, **options: Any) -> NodeSet:
        nodes = NodeSet(tmp_path / f"set{len(made)}", num_nodes, **options)
        made.append(nodes)
        nodes.start_all()
        return nodes

    yield make
    report = getattr(request.node, "rep_call", None)
    failed = report is None or report.failed
    for nodes in made:
        if failed:
            print(nodes.report())
        nodes.stop_all()
