"""Explorer page tests."""
