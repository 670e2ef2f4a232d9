"""Subprocess for the crash test: mines regtest blocks with spends until it is killed.

`python -m tests.node.chain.crash_worker DATADIR` prints `height <n>` after every block.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.node.chain.helpers import OTHER_SCRIPT, SCRIPT, make_block, open_chain, spend, spendable


def main() -> None:
    datadir = Path(sys.argv[1])
    with open_chain(datadir) as cs:
        while True:
            coins = spendable(cs)[:3]
            txs = [
                spend([c], [(c[1].value // 2, OTHER_SCRIPT), (c[1].value // 2 - 500, SCRIPT)])
                for c in coins
            ]
            cs.process_block(make_block(cs, txs))
            print(f"height {cs.height}", flush=True)


if __name__ == "__main__":
    main()
