"""RPC method modules by namespace; `build_table` collects the ones this build supports.

blockchain, mining, network and util need only the chainstate (network answers -31 without
a P2P service). mempool and wallet are registered when node.mempool / node.wallet are
present. stake methods arrive with the stake issue.
"""

from __future__ import annotations

import importlib

from node.rpc.dispatch import Collector, MethodTable
from node.rpc.node import optional_module

ALWAYS = ("blockchain", "mining", "network", "util")
OPTIONAL = {
    "mempool": "node.mempool.pool",
    "wallet": "node.wallet.manager",
    "stake": "node.wallet.voting",
}


def build_table() -> MethodTable:
    table = MethodTable()
    names = list(ALWAYS)
    names += [name for name, needs in OPTIONAL.items() if optional_module(needs) is not None]
    for name in names:
        module = importlib.import_module(f"node.rpc.methods.{name}")
        collector: Collector = module.method
        for m in collector.methods:
            table.add(m)
    return table
