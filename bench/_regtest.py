"""Shared workload builders for the benchmarks: a regtest chainstate with a fixed clock,
deterministic P2PKH signing and block mining (optionally with a fan-out coinbase)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from node.chain.chainstate import Chainstate
from node.chain.miner import BlockAssembler, solve
from node.crypto import schnorr
from node.params import get_params
from node.script import PrecomputedTxData, sign_input
from node.script.templates import p2pkh_script_for_pubkey, p2pkh_script_sig
from node.stake.chainrules import StakeRules
from node.types.block import Block
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

PARAMS = dataclasses.replace(get_params("regtest"), stake_validation_height=10**9)
"""Regtest with stake validation moved past every workload (like the daemon's
--stakevalidationheight): these benchmarks measure transactions; `bench stake` measures votes."""
SPACING = 150


class FixedClock:
    """Far past genesis, so long generated chains never look time-too-new."""

    def __init__(self) -> None:
        self.now = float(PARAMS.genesis_timestamp + 10**8)

    def __call__(self) -> float:
        return self.now


def open_regtest(path: Path, threads: int = 0) -> Chainstate:
    """A regtest chainstate configured as the node runs it (stake rules included)."""
    return Chainstate.open(
        path, PARAMS, clock=FixedClock(), script_threads=threads,
        extensions=[StakeRules(PARAMS)],
    )  # fmt: skip


class Signer:
    """One P2PKH key that signs single-input spends deterministically."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.pubkey = schnorr.pubkey_from_secret(secret)
        self.script = p2pkh_script_for_pubkey(self.pubkey)

    def spend(self, op: OutPoint, value: int, outputs: Sequence[TxOut]) -> Tx:
        unsigned = Tx(1, TxType.STANDARD, (TxIn(op, 0xFFFFFFFE),), tuple(outputs), 0, b"", (b"",))
        spent = TxOut(value, self.script)
        pre = PrecomputedTxData.from_tx(unsigned)
        sig = sign_input(self.secret, unsigned, 0, spent, precomputed=pre, aux_rand=bytes(32))
        witness = p2pkh_script_sig(sig, self.pubkey)
        return Tx(1, TxType.STANDARD, unsigned.inputs, unsigned.outputs, 0, b"", (witness,))

    def mine(
        self,
        cs: Chainstate,
        txs: Sequence[Tx] = (),
        coinbase_outputs: Sequence[TxOut] | None = None,
    ) -> Block:
        """Mine and connect one block paying this key (or `coinbase_outputs`)."""
        block = BlockAssembler(cs).create_block(
            self.script, txs, timestamp=cs.tip.timestamp + SPACING,
            coinbase_outputs=coinbase_outputs,
        )  # fmt: skip
        solved = solve(block, PARAMS)
        assert solved is not None
        cs.process_block(solved)
        return solved
