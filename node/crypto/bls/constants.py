"""BLS12-381 constants of the IETF ciphersuite BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_.

Owns the group order, the field modulus, the domain separation tags, the encoded sizes and the
canonical encodings of the identity and generator points (ZCash compressed serialisation, the
format Ethereum and Dash use).
"""

from typing import Final

#: r, the order of the prime-order subgroups G1, G2 and GT (the scalar field modulus).
CURVE_ORDER: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001

#: p, the base field modulus.
FIELD_MODULUS: Final = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f624"
    "1eabfffeb153ffffb9feffffffffaaab",
    16,
)

#: Domain separation tag of signatures (the POP scheme's message signing tag).
DST_SIG: Final = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
#: Domain separation tag of proofs of possession.
DST_POP: Final = b"BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"

#: Size of a compressed G1 element (public key).
G1_SIZE: Final = 48
#: Size of a compressed G2 element (signature).
G2_SIZE: Final = 96
#: Minimum length of KeyGen input keying material.
MIN_IKM_SIZE: Final = 32

#: Compressed encoding of the G1 identity (point at infinity).
G1_IDENTITY: Final = bytes([0xC0]) + bytes(G1_SIZE - 1)
#: Compressed encoding of the G2 identity (point at infinity).
G2_IDENTITY: Final = bytes([0xC0]) + bytes(G2_SIZE - 1)

#: Compressed encoding of the standard G1 generator.
G1_GENERATOR: Final = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac58"
    "6c55e83ff97a1aeffb3af00adb22c6bb"
)
#: Compressed encoding of the standard G2 generator.
G2_GENERATOR: Final = bytes.fromhex(
    "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049"
    "334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051"
    "c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
)
