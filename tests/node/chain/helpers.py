"""Builders for chain tests: a regtest chainstate with a fixed clock, keys, signed spends."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from node.chain.chainstate import Chainstate
from node.chain.miner import BlockAssembler, solve
from node.crypto.merkle import merkle_root
from node.crypto.schnorr import pubkey_from_secret
from node.params import ChainParams, get_params
from node.script import PrecomputedTxData, sign_input
from node.script.templates import p2pkh_script_for_pubkey, p2pkh_script_sig
from node.storage.records import Coin
from node.types.block import Block
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

REGTEST = get_params("regtest")
SECRET = bytes.fromhex("11" * 32)
PUBKEY = pubkey_from_secret(SECRET)
SCRIPT = p2pkh_script_for_pubkey(PUBKEY)
OTHER_SCRIPT = p2pkh_script_for_pubkey(pubkey_from_secret(bytes.fromhex("22" * 32)))
SPACING = 150


class FixedClock:
    """A settable clock far past genesis, so long test chains never look time-too-new."""

    def __init__(self, params: ChainParams) -> None:
        self.now = float(params.genesis_timestamp + 10**8)

    def __call__(self) -> float:
        return self.now


def open_chain(path: Path, params: ChainParams = REGTEST, **options: object) -> Chainstate:
    options.setdefault("clock", FixedClock(params))
    return Chainstate.open(path, params, **options)  # type: ignore[arg-type]


def make_block(
    cs: Chainstate,
    txs: Sequence[Tx] = (),
    *,
    script: bytes = SCRIPT,
    tag: bytes = b"rusty",
) -> Block:
    """A valid solved block on the tip of `cs` (timestamps spaced by the target spacing)."""
    block = BlockAssembler(cs).create_block(
        script, txs, timestamp=cs.tip.timestamp + SPACING, tag=tag
    )
    solved = solve(block, cs.params)
    assert solved is not None
    return solved


def mine(
    cs: Chainstate, count: int, *, script: bytes = SCRIPT, tag: bytes = b"rusty"
) -> list[bytes]:
    hashes = []
    for _ in range(count):
        block = make_block(cs, script=script, tag=tag)
        cs.process_block(block)
        assert cs.tip.hash == block.hash
        hashes.append(block.hash)
    return hashes


def resolve(block: Block, params: ChainParams = REGTEST, **header_changes: object) -> Block:
    """Change header fields (recomputing nothing else) and solve the proof of work again."""
    header = dataclasses.replace(block.header, **header_changes)  # type: ignore[arg-type]
    solved = solve(Block(header, block.votes, block.txs), params)
    assert solved is not None
    return solved


def with_txs(block: Block, txs: Sequence[Tx], params: ChainParams = REGTEST) -> Block:
    """Replace the transactions, fix the Merkle root and re-solve (state root left as is)."""
    root = merkle_root([tx.wtxid for tx in txs])
    header = dataclasses.replace(block.header, merkle_root=root)
    solved = solve(Block(header, block.votes, tuple(txs)), params)
    assert solved is not None
    return solved


def spendable(cs: Chainstate, script: bytes = SCRIPT) -> list[tuple[OutPoint, Coin]]:
    """Mature outputs paying `script`, oldest first."""
    maturity = cs.params.coinbase_maturity
    with cs.db.read() as txn:
        coins = [
            (op, coin)
            for op, coin in txn.iter_utxos()
            if coin.script_pubkey == script
            and (not coin.is_coinbase or cs.height + 1 - coin.height >= maturity)
        ]
    return sorted(coins, key=lambda item: (item[1].height, item[0].txid, item[0].vout))


def spend(
    inputs: Sequence[tuple[OutPoint, Coin]],
    outputs: Sequence[tuple[int, bytes]],
    *,
    secret: bytes = SECRET,
    lock_time: int = 0,
    sequence: int = 0xFFFFFFFE,
) -> Tx:
    """A signed P2PKH spend of `inputs` paying `outputs` (value, script)."""
    unsigned = Tx(
        version=1,
        tx_type=TxType.STANDARD,
        inputs=tuple(TxIn(op, sequence) for op, _ in inputs),
        outputs=tuple(TxOut(v, s) for v, s in outputs),
        lock_time=lock_time,
        payload=b"",
        witnesses=tuple(b"" for _ in inputs),
    )
    pre = PrecomputedTxData.from_tx(unsigned)
    pubkey = pubkey_from_secret(secret)
    witnesses = tuple(
        p2pkh_script_sig(
            sign_input(secret, unsigned, i, TxOut(c.value, c.script_pubkey), precomputed=pre,
                       aux_rand=bytes(32)),
            pubkey,
        )
        for i, (_, c) in enumerate(inputs)
    )  # fmt: skip
    return dataclasses.replace(unsigned, witnesses=witnesses)


def utxo_digest(cs: Chainstate) -> bytes:
    with cs.db.read() as txn:
        return txn.utxo_set_digest()
