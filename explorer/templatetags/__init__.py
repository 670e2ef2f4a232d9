"""Template filters of the explorer pages."""
