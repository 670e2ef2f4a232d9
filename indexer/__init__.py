"""SQL read-models of the chain, written only by the node process; selectors for the UI apps."""
