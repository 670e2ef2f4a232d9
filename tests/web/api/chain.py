"""A real regtest chain for the API tests, and its rows in the indexer's tables.

`build_chain` mines real blocks with the node's chainstate (LMDB in a temp dir) and reads
them back through `node.api.ChainReader`, exactly what the indexer consumes; `index_chain`
and `add_mempool_tx` write them with the real indexer (indexer.writer / indexer.mempool), so
the tests exercise the read layer on real transactions, scripts, sizes and Merkle roots as
the node process indexes them.

The scenario (`Scenario` names the interesting objects):
* block 1: the coinbase fans out 30 outputs of 1 RUST to A;
* blocks 2..11: empty, so block 1's coinbase matures;
* block 12: 28 transactions, each spending one fan-out output, paying 0.5 RUST to B with
  change to A (29 transactions: two pages of block txs, two pages of B's history);
* block 13: one transaction spending two of B's outputs, paying C, an OP_RETURN and change
  to B;
* blocks 14..24: empty (block 12 is >= 10 confirmations deep, block 20 is not);
* the mempool: one transaction spending C's output to B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench._regtest import PARAMS, SPACING, Signer, open_regtest
from indexer.mempool import write_snapshot
from indexer.rows import ScriptInfo
from indexer.writer import IndexWriter
from node.api import ChainBlock, ChainReader, MempoolItem, script_address
from node.chain.chainstate import Chainstate
from node.chain.miner import BlockAssembler, solve
from node.script import PrecomputedTxData, sign_input
from node.script.templates import null_data_script, p2pkh_script_sig
from node.storage.records import Coin
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

COIN = 100_000_000
HRP = PARAMS.bech32_hrp
FAN_OUT = 30
SPENDS_IN_BLOCK_12 = 28
TIP_HEIGHT = 24
FEE = 10_000


@dataclass
class Scenario:
    """The chain's blocks and the keys, txids and addresses the tests look at."""

    blocks: list[ChainBlock]
    a: Signer
    b: Signer
    c: Signer
    fan_out_txid: str = ""
    block12_txids: list[str] = field(default_factory=list)
    spend_b_txid: str = ""
    mempool_tx: Tx | None = None

    def address(self, signer: Signer) -> str:
        found = script_address(signer.script, HRP)
        assert found is not None
        return found

    @property
    def hashes(self) -> list[str]:
        return [cb.block.hash.hex() for cb in self.blocks]


def _sign(tx: Tx, keys: Sequence[Signer], spent: Sequence[TxOut]) -> Tx:
    """Sign every input of an unsigned `tx` (input i by keys[i], spending spent[i])."""
    pre = PrecomputedTxData.from_tx(tx)
    witnesses = []
    for i, (key, out) in enumerate(zip(keys, spent, strict=True)):
        sig = sign_input(key.secret, tx, i, out, precomputed=pre, aux_rand=bytes(32))
        witnesses.append(p2pkh_script_sig(sig, key.pubkey))
    return Tx(tx.version, tx.tx_type, tx.inputs, tx.outputs, tx.lock_time, b"", tuple(witnesses))


def _unsigned(inputs: Sequence[OutPoint], outputs: Sequence[TxOut]) -> Tx:
    ins = tuple(TxIn(op, 0xFFFFFFFE) for op in inputs)
    return Tx(1, TxType.STANDARD, ins, tuple(outputs), 0, b"", tuple(b"" for _ in ins))


def _mine(cs: Chainstate, key: Signer, txs: Sequence[Tx] = (), **kw: object) -> None:
    block = BlockAssembler(cs).create_block(
        key.script, txs, timestamp=cs.tip.timestamp + SPACING, **kw
    )
    solved = solve(block, PARAMS)
    assert solved is not None
    cs.process_block(solved)


def build_chain(datadir: Path) -> Scenario:
    """Mine the scenario's chain into `datadir` and read it back as ChainBlocks."""
    a, b, c = Signer(bytes([1]) * 32), Signer(bytes([2]) * 32), Signer(bytes([3]) * 32)
    cs = open_regtest(datadir)
    try:
        _mine(cs, a, coinbase_outputs=[TxOut(COIN, a.script) for _ in range(FAN_OUT)])
        fan_out = cs.get_block(cs.tip.hash).txs[0]
        for _ in range(10):
            _mine(cs, a)
        spends = [
            a.spend(
                OutPoint(fan_out.txid, i),
                COIN,
                [TxOut(COIN // 2, b.script), TxOut(COIN // 2 - FEE, a.script)],
            )
            for i in range(SPENDS_IN_BLOCK_12)
        ]
        _mine(cs, a, spends)
        spent = [spends[0].outputs[0], spends[1].outputs[0]]
        pay_c = _sign(
            _unsigned(
                [OutPoint(spends[0].txid, 0), OutPoint(spends[1].txid, 0)],
                [
                    TxOut(COIN * 9 // 10, c.script),
                    TxOut(0, null_data_script(b"rusty")),
                    TxOut(COIN // 10 - FEE, b.script),
                ],
            ),
            [b, b],
            spent,
        )
        _mine(cs, a, [pay_c])
        while cs.tip.height < TIP_HEIGHT:
            _mine(cs, a)
        mempool_tx = c.spend(
            OutPoint(pay_c.txid, 0),
            COIN * 9 // 10,
            [TxOut(COIN * 9 // 10 - FEE, b.script)],
        )
        reader = ChainReader(cs.db, PARAMS)
        blocks = reader.read(0, TIP_HEIGHT + 1)
    finally:
        cs.close()
    return Scenario(
        blocks=blocks,
        a=a,
        b=b,
        c=c,
        fan_out_txid=fan_out.txid.hex(),
        block12_txids=[t.txid.hex() for t in blocks[12].block.txs],
        spend_b_txid=pay_c.txid.hex(),
        mempool_tx=mempool_tx,
    )


def index_chain(blocks: Sequence[ChainBlock]) -> None:
    """Index `blocks` (from genesis, in order) with the real indexer writer, in two runs."""
    writer = IndexWriter(PARAMS)
    writer.state()
    writer.apply(blocks[:13])
    writer.apply(blocks[13:])


def add_mempool_tx(tx: Tx, fee: int, first_seen: int, spent: Sequence[TxOut]) -> None:
    """Write a one-transaction mempool snapshot with the indexer's snapshot writer."""
    coins = tuple(Coin(out.value, out.script_pubkey, 0, False) for out in spent)
    item = MempoolItem(tx, fee, tx.size, float(first_seen), coins)
    write_snapshot([item], ScriptInfo(HRP), known=set())
