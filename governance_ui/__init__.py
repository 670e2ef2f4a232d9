"""Governance portal: proposals, voting, masternode and quorum status."""
