"""Cryptography: BLAKE3 hashes, Merkle trees, BIP340 Schnorr keys, bech32m addresses, BLS12-381."""
