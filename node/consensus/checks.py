"""Context-free checks (no chain, no UTXO set): transactions, headers and whole blocks.

These are Bitcoin Core's ``CheckTransaction``, ``CheckBlockHeader`` and ``CheckBlock``
adapted to SPEC §3-§4; the rules, their order and reject reasons are listed in
docs/protocol/consensus.md. Everything here depends only on the object and the network
parameters, so a block that fails is invalid forever (except the `mutated` errors, which
only prove that the body does not match the header).
"""

from __future__ import annotations

from node.consensus.blocksize import max_block_sigops
from node.consensus.errors import (
    BadMerkleRoot,
    BadVersion,
    BadVotesRoot,
    BlockLength,
    BlockSigops,
    CoinbaseInput,
    CoinbaseLength,
    CoinbaseMissing,
    CoinbaseMultiple,
    DuplicateTx,
    MutatedMerkle,
    TooManyVotes,
    TxInputsDuplicate,
    TxOutTotalTooLarge,
    TxOversize,
    TxPayload,
    TxPrevoutNull,
    TxVersion,
    TxVinEmpty,
    TxVoutEmpty,
    TxVoutTooLarge,
)
from node.consensus.pow import check_proof_of_work
from node.crypto.merkle import compute_merkle_root
from node.params import MAX_MONEY, ChainParams
from node.script.sigops import legacy_tx_sigops
from node.types.block import Block, BlockHeader
from node.types.errors import SerializationError
from node.types.tx import MAX_TX_SIZE, Tx, TxType

TX_VERSION = 1
HEADER_VERSION = 1
MIN_COINBASE_DATA = 2
MAX_COINBASE_DATA = 100

BASE_TX_TYPES: frozenset[TxType] = frozenset((TxType.STANDARD, TxType.COINBASE))
"""Types valid in blocks before the stake / masternode / governance issues extend the set."""

NO_IO_TX_TYPES: frozenset[TxType] = frozenset(
    (TxType.QUORUM_COMMITMENT, TxType.GOV_VOTE, TxType.SLASH)
)
"""Types that SPEC §3.1 defines without inputs and outputs: exempt from the vin/vout-empty
rules (their own issues enforce that they have none)."""


def check_transaction(tx: Tx, *, allowed_tx_types: frozenset[TxType] = BASE_TX_TYPES) -> None:
    """Raise a TxRuleError unless `tx` is well formed on its own (Core's CheckTransaction)."""
    if tx.version != TX_VERSION:
        raise TxVersion(f"tx version {tx.version}, expected {TX_VERSION}")
    if tx.tx_type not in allowed_tx_types:
        raise TxPayload(f"tx type {tx.tx_type.name} is not allowed")
    try:
        tx.decoded_payload()
    except SerializationError as exc:
        raise TxPayload(f"{tx.tx_type.name} payload does not decode: {exc}") from exc
    if tx.tx_type not in NO_IO_TX_TYPES:
        if not tx.inputs:
            raise TxVinEmpty("transaction has no inputs")
        if not tx.outputs:
            raise TxVoutEmpty("transaction has no outputs")
    if tx.size > MAX_TX_SIZE:
        raise TxOversize(f"tx size {tx.size} exceeds {MAX_TX_SIZE}")
    total = 0
    for i, out in enumerate(tx.outputs):
        if out.value > MAX_MONEY:
            raise TxVoutTooLarge(f"output {i} value {out.value} exceeds MAX_MONEY")
        total += out.value
        if total > MAX_MONEY:
            raise TxOutTotalTooLarge(f"output total {total} exceeds MAX_MONEY at output {i}")
    prevouts = {txin.prevout for txin in tx.inputs}
    if len(prevouts) != len(tx.inputs):
        raise TxInputsDuplicate("transaction spends the same outpoint twice")
    if tx.is_coinbase():
        if len(tx.inputs) != 1 or not tx.inputs[0].prevout.is_null():
            raise CoinbaseInput("a coinbase must have exactly one input, the null prevout")
        size = len(tx.witnesses[0])
        if not MIN_COINBASE_DATA <= size <= MAX_COINBASE_DATA:
            raise CoinbaseLength(
                f"coinbase data is {size} bytes, expected {MIN_COINBASE_DATA}..{MAX_COINBASE_DATA}"
            )
    else:
        for i, txin in enumerate(tx.inputs):
            if txin.prevout.is_null():
                raise TxPrevoutNull(f"input {i} spends the null prevout")


def check_block_header(header: BlockHeader, params: ChainParams) -> None:
    """Header checks that need nothing else: version 1 and OxideHash proof of work."""
    if header.version != HEADER_VERSION:
        raise BadVersion(f"header version {header.version}, expected {HEADER_VERSION}")
    check_proof_of_work(header.serialize(), header.bits, params)


def check_block(
    block: Block,
    params: ChainParams,
    *,
    allowed_tx_types: frozenset[TxType] = BASE_TX_TYPES,
    check_header: bool = True,
) -> None:
    """Raise a ConsensusError unless `block` is valid on its own (Core's CheckBlock).

    Order: header (skippable with ``check_header=False`` when the chain already accepted
    it), merkle root and mutation, votes (count, root), size and non-empty, coinbase
    position, each transaction, duplicate txids, legacy sigops against the largest possible
    limit (the height-dependent limits are checked when connecting).
    """
    header = block.header
    if check_header:
        check_block_header(header, params)

    root, mutated = compute_merkle_root([tx.wtxid for tx in block.txs])
    if root != header.merkle_root:
        raise BadMerkleRoot(
            f"merkle root {root.hex()} does not match header {header.merkle_root.hex()}"
        )
    if mutated:
        raise MutatedMerkle("wtxid tree hashes two identical siblings (CVE-2012-2459)")

    if len(block.votes) > params.tickets_per_block:
        raise TooManyVotes(f"{len(block.votes)} votes exceed {params.tickets_per_block}")
    votes_root, votes_mutated = compute_merkle_root([vote.hash for vote in block.votes])
    if votes_root != header.votes_root:
        raise BadVotesRoot(
            f"votes root {votes_root.hex()} does not match header {header.votes_root.hex()}"
        )
    if votes_mutated:
        raise BadVotesRoot("votes tree hashes two identical siblings (duplicate votes)")

    if not block.txs:
        raise BlockLength("block has no transactions")
    size = block.size
    if size > params.max_max_block_size:
        raise BlockLength(f"block size {size} exceeds {params.max_max_block_size}")

    if not block.txs[0].is_coinbase():
        raise CoinbaseMissing("first transaction is not a coinbase")
    for i, tx in enumerate(block.txs[1:], start=1):
        if tx.is_coinbase():
            raise CoinbaseMultiple(f"transaction {i} is a second coinbase")

    for tx in block.txs:
        check_transaction(tx, allowed_tx_types=allowed_tx_types)

    if len({tx.txid for tx in block.txs}) != len(block.txs):
        raise DuplicateTx("two transactions share a txid")

    sigops = sum(legacy_tx_sigops(tx) for tx in block.txs)
    limit = max_block_sigops(params.max_max_block_size, params)
    if sigops > limit:
        raise BlockSigops(f"{sigops} legacy sigops exceed {limit}")
