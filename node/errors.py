"""The root of every error the node raises; each package derives its own narrow subclasses."""


class RustyError(Exception):
    """Base class of all node errors."""
