"""Consensus rules: proof of work, difficulty, subsidy, genesis and block/tx validity checks."""
