"""Makes `channels_redis` unimportable while tests/node run: node/ must not depend on it."""

raise ImportError(
    "channels_redis is blocked: node/ must work without the web stack (ARCHITECTURE.md)"
)
