"""Makes `channels` unimportable while tests/node run: node/ must not depend on it."""

raise ImportError("channels is blocked: node/ must work without the web stack (ARCHITECTURE.md)")
