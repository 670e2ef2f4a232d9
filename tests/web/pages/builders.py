"""Builders of indexed rows for page tests: a small devnet chain made of real transactions.

Rows are written the way the indexer writes them (contract 1): real `Tx` objects give the
txids, sizes and raw bytes, addresses are real devnet bech32m addresses, and the address
totals and spent-by links are kept consistent. Keyword-only options say what to build.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from indexer.models import (
    Address,
    AddressTx,
    Block,
    DailyStat,
    MempoolTx,
    MempoolTxAddress,
    Ticket,
    Transaction,
    TxInput,
    TxOutput,
    Vote,
)
from node.api import get_params
from node.crypto.address import p2pkh_address
from node.crypto.hashes import hash160
from node.crypto.merkle import merkle_root
from node.script.templates import p2pkh_script
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

PARAMS = get_params("devnet")
HRP = PARAMS.bech32_hrp
COIN = 100_000_000
SUBSIDY = 148 * COIN
NULL = bytes(32)


def key(seed: int) -> bytes:
    """A deterministic 32-byte x-only 'public key' (only hashed, never used to sign)."""
    return hashlib.sha256(seed.to_bytes(8, "little")).digest()


def address_of(seed: int) -> tuple[str, bytes]:
    """(devnet address, its P2PKH script_pubkey) for a seed."""
    pub = key(seed)
    return str(p2pkh_address(HRP, pub)), p2pkh_script(hash160(pub))


@dataclass
class Chain:
    """What build_chain made: the blocks and transactions in order, and the addresses."""

    miner: str
    payee: str
    blocks: list[Block] = field(default_factory=list)
    txs: list[Transaction] = field(default_factory=list)
    # unspent (txid, vout, value) of the miner, oldest first
    miner_coins: list[tuple[str, int, int]] = field(default_factory=list)


def _addr(address: str, height: int) -> Address:
    row, _ = Address.objects.get_or_create(
        address=address, defaults={"first_seen_height": height, "last_seen_height": height}
    )
    return row


def _credit(address: str, tx: Transaction, received: int, sent: int, utxo_delta: int) -> None:
    row = _addr(address, tx.height)
    row.balance += received - sent
    row.received += received
    row.sent += sent
    row.tx_count += 1
    row.utxo_count += utxo_delta
    row.last_seen_height = tx.height
    row.save()
    AddressTx.objects.create(
        address=row, tx=tx, height=tx.height, position=tx.position, received=received, sent=sent
    )


def _store_tx(block: Block, position: int, tx: Tx, prevouts: list[tuple[str | None, int | None]],
              hrp_addresses: list[str | None], fee: int | None) -> Transaction:  # fmt: skip
    raw = tx.serialize()
    row = Transaction.objects.create(
        txid=tx.txid.hex(), wtxid=tx.wtxid.hex(), block=block, height=block.height,
        position=position, version=tx.version, tx_type=int(tx.tx_type), lock_time=tx.lock_time,
        size=len(raw), fee=fee, is_coinbase=tx.tx_type is TxType.COINBASE,
        input_count=len(tx.inputs), output_count=len(tx.outputs),
        input_total=sum(v or 0 for _, v in prevouts),
        output_total=sum(o.value for o in tx.outputs), raw=raw,
    )  # fmt: skip
    for n, (txin, (address, value)) in enumerate(zip(tx.inputs, prevouts, strict=True)):
        TxInput.objects.create(
            tx=row, index=n, prev_txid=txin.prevout.txid.hex(), prev_vout=txin.prevout.vout,
            address=address, value=value, script_sig=tx.witnesses[n], sequence=txin.sequence,
        )  # fmt: skip
    for n, (out, address) in enumerate(zip(tx.outputs, hrp_addresses, strict=True)):
        TxOutput.objects.create(
            tx=row, index=n, value=out.value, script_pubkey=out.script_pubkey,
            script_type="p2pkh" if address else "nonstandard", address=address,
        )  # fmt: skip
    return row


def build_chain(
    *, blocks: int = 5, spends_from: int = 1, spend_value: int = COIN, fee: int = 10_000,
    votes_from: int | None = None, miner_seed: int = 1, payee_seed: int = 2,
) -> Chain:  # fmt: skip
    """Blocks 0..blocks-1: each pays SUBSIDY to the miner; from height `spends_from` on,
    each also carries a tx spending the miner's oldest coin to the payee (with change);
    from `votes_from` on, each carries two votes of made-up tickets."""
    miner, miner_script = address_of(miner_seed)
    payee, payee_script = address_of(payee_seed)
    chain = Chain(miner, payee)
    prev = NULL.hex()
    supply = 0
    for height in range(blocks):
        coinbase = Tx(
            version=1, tx_type=TxType.COINBASE,
            inputs=(TxIn(OutPoint(NULL, 0xFFFFFFFF)),),
            outputs=(TxOut(SUBSIDY, miner_script),), lock_time=height, payload=b"",
            witnesses=(b"height" + height.to_bytes(4, "little"),),
        )  # fmt: skip
        txs: list[tuple[Tx, list[tuple[str | None, int | None]], list[str | None], int | None]]
        txs = [(coinbase, [(None, None)], [miner], None)]
        spend = None
        if height >= spends_from and chain.miner_coins:
            txid, vout, value = chain.miner_coins.pop(0)
            change = value - spend_value - fee
            spend = Tx(
                version=1, tx_type=TxType.STANDARD,
                inputs=(TxIn(OutPoint(bytes.fromhex(txid), vout)),),
                outputs=(TxOut(spend_value, payee_script), TxOut(change, miner_script)),
                lock_time=0, payload=b"", witnesses=(b"\x01" * 98,),
            )  # fmt: skip
            txs.append((spend, [(miner, value)], [payee, miner], fee))
        supply += SUBSIDY
        sizes = sum(len(t.serialize()) for t, *_ in txs)
        root = merkle_root([t.wtxid for t, *_ in txs]).hex()
        block = Block.objects.create(
            hash=hashlib.sha256(b"block" + height.to_bytes(4, "little")).hexdigest(),
            height=height, prev_hash=prev, merkle_root=root, votes_root="00" * 32,
            state_root="bb" * 32, version=1, timestamp=PARAMS.genesis_timestamp + 15 * height,
            bits=0x1F00FFFF, nonce=2**64 - 1 - height, difficulty=1.0 + height / 10,
            chainwork=f"{(height + 1) * 65536:064x}", size=160 + sizes, tx_count=len(txs),
            vote_count=0, total_fees=fee if spend else 0, subsidy=SUBSIDY,
            total_out=spend_value + (txs[-1][0].outputs[-1].value if spend else 0) if spend else 0,
            supply=supply, ticket_price=COIN + height * 1000, ticket_pool_size=height * 2,
        )  # fmt: skip
        prev = block.hash
        chain.blocks.append(block)
        for position, (tx, prevouts, addresses, tx_fee) in enumerate(txs):
            row = _store_tx(block, position, tx, prevouts, addresses, tx_fee)
            chain.txs.append(row)
            if position == 0:
                _credit(miner, row, SUBSIDY, 0, 1)
                chain.miner_coins.append((row.txid, 0, SUBSIDY))
            else:
                spent_txid, spent_vout = tx.inputs[0].prevout.txid.hex(), tx.inputs[0].prevout.vout
                TxOutput.objects.filter(tx__txid=spent_txid, index=spent_vout).update(
                    spent_by_txid=row.txid, spent_by_index=0, spent_height=height
                )
                value = prevouts[0][1] or 0
                change = tx.outputs[1].value
                _credit(miner, row, change, value, 0)
                _credit(payee, row, tx.outputs[0].value, 0, 1)
                chain.miner_coins.append((row.txid, 1, change))
        if votes_from is not None and height >= votes_from:
            for position in range(2):
                ticket = hashlib.sha256(f"ticket{height}-{position}".encode()).hexdigest()
                Vote.objects.create(block=block, position=position, ticket_id=ticket, vote_bits=1)
                Ticket.objects.create(
                    ticket_id=ticket, purchase_height=max(height - 20, 0), price=COIN,
                    status="voted", status_height=height, vote_block_height=height,
                )  # fmt: skip
            block.vote_count = 2
            block.save(update_fields=["vote_count"])
    return chain


def add_mempool_tx(chain: Chain, *, value: int = COIN, fee: int = 5_000) -> MempoolTx:
    """An unconfirmed tx spending the miner's oldest unspent coin to the payee."""
    txid, vout, coin_value = chain.miner_coins.pop(0)
    _, payee_script = address_of(2)
    _, miner_script = address_of(1)
    tx = Tx(
        version=1, tx_type=TxType.STANDARD, inputs=(TxIn(OutPoint(bytes.fromhex(txid), vout)),),
        outputs=(TxOut(value, payee_script), TxOut(coin_value - value - fee, miner_script)),
        lock_time=0, payload=b"", witnesses=(b"\x02" * 98,),
    )  # fmt: skip
    raw = tx.serialize()
    row = MempoolTx.objects.create(
        txid=tx.txid.hex(), fee=fee, size=len(raw), feerate=fee / len(raw),
        first_seen=PARAMS.genesis_timestamp + 10_000, tx_type=0, raw=raw, value=coin_value - fee,
    )  # fmt: skip
    MempoolTxAddress.objects.create(txid=row.txid, address=chain.payee, received=value)
    MempoolTxAddress.objects.create(
        txid=row.txid, address=chain.miner, received=coin_value - value - fee, sent=coin_value
    )
    return row


def add_daily_stats(days: int = 3) -> list[DailyStat]:
    """`days` consecutive DailyStat rows from 2026-11-23."""
    return [
        DailyStat.objects.create(
            day=date(2026, 11, 23 + n),
            block_count=100 + n,
            tx_count=150 + 10 * n,
            total_size=50_000 * (n + 1),
            avg_block_size=500.0 + n,
            difficulty=1.5 + n,
            total_fees=10_000 * n,
            ticket_price=COIN + n,
            ticket_pool_size=10 * n,
            supply=SUBSIDY * 100 * (n + 1),
        )
        for n in range(days)
    ]
