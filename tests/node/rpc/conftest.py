"""A shared regtest node process (rate limit off) for the RPC tests of this directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node.rpc.nodeproc import ADDRESS, NodeProcess, start_node


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    datadir: Path = tmp_path_factory.mktemp("rpcnode")
    proc = start_node(datadir, "--rpcratelimit", "0")
    try:
        proc.client().call("generatetoaddress", 15, ADDRESS)
        yield proc
    finally:
        code = proc.stop()
    assert code == 0
    text = proc.log()
    assert "Traceback" not in text, text[-4000:]
    assert "shut down cleanly" in text
