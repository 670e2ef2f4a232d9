"""The chainstate: block index, connect/disconnect with undo, reorgs, fork choice, events,
mining."""
