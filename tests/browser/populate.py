"""Fills a served site's database with a small indexed devnet chain (for browser tests).

Run as `python -m tests.browser.populate` with the site's RUSTY_DATADIR in the environment;
prints the identifiers the tests navigate to as one JSON object.
"""

from __future__ import annotations

import json
import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rustycoin.settings")
    django.setup()
    from tests.web.pages.builders import add_daily_stats, add_mempool_tx, build_chain

    chain = build_chain(blocks=70, votes_from=20)
    pooled = add_mempool_tx(chain, fee=25_000)
    add_daily_stats(5)
    print(
        json.dumps(
            {
                "miner": chain.miner,
                "payee": chain.payee,
                "block": chain.blocks[-2].hash,
                "tx": chain.txs[-1].txid,
                "mempool_tx": pooled.txid,
            }
        )
    )


if __name__ == "__main__":
    main()
