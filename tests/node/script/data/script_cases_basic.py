"""Script test cases, part 1: pushes, truth, flow control, stack, arithmetic and hashes.

Helpers shared by both parts live here (`case`, `enc`). See make_script_tests.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

import blake3

CASES: list[dict[str, Any]] = []


def case(
    sig: str, pub: str, expect: str, comment: str, flags: str = "CONSENSUS", **kw: Any
) -> None:
    CASES.append(
        {"sig": sig, "pub": pub, "flags": flags, "expect": expect, "comment": comment, **kw}
    )


def enc(n: int) -> str:
    """Independent script-number encoder (hex)."""
    if n == 0:
        return ""
    neg = n < 0
    m = -n if neg else n
    out = []
    while m:
        out.append(m & 0xFF)
        m >>= 8
    if out[-1] & 0x80:
        out.append(0x80 if neg else 0)
    elif neg:
        out[-1] |= 0x80
    return bytes(out).hex()


# ------------------------------------------------------------------ pushes
case("0", "0 EQUAL", "OK", "OP_0 pushes the empty string", flags="")
case("0", "SIZE 0 EQUALVERIFY 0 EQUAL", "OK", "OP_0 has size 0")
for size in (1, 2, 20, 32, 75):
    data = bytes([0xAB]) * size
    case(
        f"<{data.hex()}>",
        f"SIZE {size} EQUALVERIFY <{data.hex()}> EQUAL",
        "OK",
        f"direct push of {size} bytes",
    )
case(
    "0x4c4c" + "cd" * 76,
    f"SIZE 76 EQUALVERIFY <{'cd' * 76}> EQUAL",
    "OK",
    "PUSHDATA1 of 76 bytes is minimal",
)
case(
    "0x4c4b" + "cd" * 75,
    "SIZE 75 EQUAL",
    "MINIMALDATA",
    "PUSHDATA1 of 75 bytes should have been a direct push",
    pos=0,
    stage="script_sig",
)
case(
    "0x4c4b" + "cd" * 75,
    "SIZE 75 EQUAL",
    "OK",
    "non-minimal PUSHDATA1 allowed without MINIMALDATA",
    flags="",
)
case("0x4d0001" + "ee" * 256, "SIZE 256 EQUAL", "OK", "PUSHDATA2 of 256 bytes is minimal")
case("0x4dff00" + "ee" * 255, "SIZE 255 EQUAL", "MINIMALDATA", "PUSHDATA2 of 255 bytes")
case(
    "0x4dff00" + "ee" * 255,
    "SIZE 255 EQUAL",
    "OK",
    "PUSHDATA2 of 255 bytes without MINIMALDATA",
    flags="P2SH",
)
case("0x4e01000000ee", "SIZE 1 EQUAL", "MINIMALDATA", "PUSHDATA4 is never minimal")
case("0x4e01000000ee", "SIZE 1 EQUAL", "OK", "PUSHDATA4 of 1 byte without MINIMALDATA", flags="")
case(
    "0x4e00000000",
    "SIZE 0 EQUALVERIFY 1",
    "OK",
    "PUSHDATA4 of 0 bytes without MINIMALDATA",
    flags="",
)
case("0x4c00", "SIZE 0 EQUALVERIFY 1", "MINIMALDATA", "PUSHDATA1 of 0 bytes should be OP_0")
case(
    "0x4c00",
    "SIZE 0 EQUALVERIFY 1",
    "OK",
    "PUSHDATA1 of 0 bytes allowed without MINIMALDATA",
    flags="",
)
for value in (1, 5, 16):
    case(
        f"0x01{value:02x}",
        f"{value} EQUAL",
        "MINIMALDATA",
        f"direct push of byte {value} should be OP_{value}",
    )
    case(
        f"0x01{value:02x}",
        f"{value} EQUAL",
        "OK",
        f"direct push of byte {value} equals OP_{value} without MINIMALDATA",
        flags="",
    )
case("0x0181", "-1 EQUAL", "MINIMALDATA", "direct push of 0x81 should be OP_1NEGATE")
case("0x0181", "-1 EQUAL", "OK", "direct push of 0x81 equals OP_1NEGATE", flags="")
case("0x0100", "SIZE 1 EQUALVERIFY 0x0100 EQUAL", "OK", "a push of the byte 0x00 is minimal")
case("0x0111", "SIZE 1 EQUAL", "OK", "a push of the byte 17 is minimal")
case("1", "0x01", "BAD_OPCODE", "direct push with missing data", pos=0, stage="script_pubkey")
case("1", "0x0501020304", "BAD_OPCODE", "direct push one byte short", pos=0)
case("1", "0x4c", "BAD_OPCODE", "PUSHDATA1 without length", pos=0)
case("1", "0x4c05aabb", "BAD_OPCODE", "PUSHDATA1 data truncated", pos=0)
case("1", "0x4d01", "BAD_OPCODE", "PUSHDATA2 length truncated", pos=0)
case("1", "0x4d0100", "BAD_OPCODE", "PUSHDATA2 data missing", pos=0)
case("1", "0x4e010000", "BAD_OPCODE", "PUSHDATA4 length truncated", pos=0)
case("1", "0x4effffffff", "BAD_OPCODE", "PUSHDATA4 length past the end", pos=0)
case("1", "NOP 0x4c", "BAD_OPCODE", "truncated push after an opcode", pos=1)
case("1", "0 IF 0x4c05aa ENDIF", "BAD_OPCODE", "truncated push fails even unexecuted", pos=2)
case("", "0x4d0802" + "aa" * 520 + " SIZE 0x020802 EQUAL", "OK", "push of 520 bytes (the maximum)")
case(
    "",
    "0x4d0902" + "aa" * 521 + " SIZE 0x020902 EQUAL",
    "PUSH_SIZE",
    "push of 521 bytes",
    pos=0,
    stage="script_pubkey",
)
case(
    "",
    "0 IF 0x4d0902" + "aa" * 521 + " ENDIF 1",
    "PUSH_SIZE",
    "oversized push fails even in an unexecuted branch",
    pos=2,
)
case("", "0 IF 0x0101 ENDIF 1", "OK", "MINIMALDATA is not checked in an unexecuted branch")
case("", "0 IF 0x4c00 ENDIF 1", "OK", "non-minimal PUSHDATA1 unexecuted")
case("-1", "0x0181 EQUAL", "OK", "OP_1NEGATE pushes 0x81", flags="")
case("-1", "1ADD 0 EQUAL", "OK", "OP_1NEGATE is -1")
for n in range(1, 17):
    case(f"{n}", f"0x01{n:02x} EQUAL", "OK", f"OP_{n} pushes the byte {n}", flags="")
case("", "RESERVED", "BAD_OPCODE", "OP_RESERVED executed", pos=0)
case("", "1 IF 1 ELSE RESERVED ENDIF", "OK", "OP_RESERVED in an unexecuted branch")
case(
    "RESERVED",
    "1",
    "BAD_OPCODE",
    "OP_RESERVED in script_sig (counts as push-only)",
    pos=0,
    stage="script_sig",
)

# ------------------------------------------------------------------ end-of-script truth
case("", "", "EVAL_FALSE", "empty scripts leave an empty stack", stage="script_pubkey", pos=0)
case("", "0", "EVAL_FALSE", "false result")
case("1", "", "OK", "script_sig alone leaves true")
case("0", "", "EVAL_FALSE", "script_sig alone leaves false")
case("", "<80>", "EVAL_FALSE", "negative zero is false")
case("", "<0000>", "EVAL_FALSE", "zero bytes are false")
case("", "<000080>", "EVAL_FALSE", "negative zero of 3 bytes is false")
case("", "<8000>", "OK", "0x80 not in the last byte is true")
case("", "<0001>", "OK", "non-zero last byte is true")
case("", "<00>", "EVAL_FALSE", "single zero byte is false")
case("", "'x'", "OK", "a text push is true")
case("1", "0", "EVAL_FALSE", "only the top counts", pos=1)

# ------------------------------------------------------------------ flow control
case("1", "IF 1 ENDIF", "OK", "IF true")
case("0", "IF 1 ENDIF", "EVAL_FALSE", "IF false skips the branch")
case("0", "IF 0 ELSE 1 ENDIF", "OK", "IF false takes ELSE")
case("1", "IF 1 ELSE 0 ENDIF", "OK", "IF true skips ELSE")
case("0", "NOTIF 1 ELSE 0 ENDIF", "OK", "NOTIF false")
case("1", "NOTIF 0 ELSE 1 ENDIF", "OK", "NOTIF true takes ELSE")
case("1 1", "IF IF 1 ELSE 0 ENDIF ELSE 0 ENDIF", "OK", "nested IF")
case("0 1", "IF IF 0 ELSE 1 ENDIF ELSE 0 ENDIF", "OK", "nested IF, inner ELSE")
case("1 0", "IF 0 ELSE IF 1 ELSE 0 ENDIF ENDIF", "OK", "nested IF inside ELSE")
case("0", "IF IF 0 ENDIF ELSE 1 ENDIF", "OK", "inner IF not evaluated in an unexecuted branch")
case(
    "1",
    "IF 1 ELSE 0 ELSE 1 ENDIF DEPTH 2 EQUAL",
    "OK",
    "multiple ELSE: true, false, true branches (two pushes run)",
)
case("0", "IF 0 ELSE 1 ELSE 0 ENDIF", "OK", "multiple ELSE: only the middle branch runs")
case("0", "IF 1 ELSE 1 ELSE 1 ENDIF DROP", "EVAL_FALSE", "multiple ELSE: exactly one push ran")
case("", "IF 1 ENDIF", "UNBALANCED_CONDITIONAL", "IF on an empty stack", pos=0)
case("", "NOTIF 1 ENDIF", "UNBALANCED_CONDITIONAL", "NOTIF on an empty stack", pos=0)
case("1", "IF 1", "UNBALANCED_CONDITIONAL", "IF without ENDIF", pos=2)
case("1", "ENDIF", "UNBALANCED_CONDITIONAL", "ENDIF without IF", pos=0)
case("1", "ELSE 1", "UNBALANCED_CONDITIONAL", "ELSE without IF", pos=0)
case("1", "IF 1 ENDIF ENDIF", "UNBALANCED_CONDITIONAL", "extra ENDIF", pos=3)
case("1", "IF 1 ENDIF ELSE", "UNBALANCED_CONDITIONAL", "ELSE after ENDIF", pos=3)
case(
    "1 IF",
    "1 ENDIF",
    "UNBALANCED_CONDITIONAL",
    "IF cannot span script_sig and script_pubkey",
    flags="P2SH",
    stage="script_sig",
)
case("2", "IF 1 ENDIF", "MINIMALIF", "IF argument 2 under MINIMALIF", pos=0)
case("2", "IF 1 ENDIF", "OK", "IF argument 2 without MINIMALIF", flags="MINIMALDATA")
case("<0100>", "IF 1 ENDIF", "MINIMALIF", "IF argument 0x0100 under MINIMALIF")
case("<00>", "IF 1 ELSE 1 ENDIF", "MINIMALIF", "IF argument 0x00 under MINIMALIF")
case("<00>", "IF 0 ELSE 1 ENDIF", "OK", "IF argument 0x00 is false without MINIMALIF", flags="")
case("<80>", "NOTIF 1 ELSE 0 ENDIF", "OK", "negative zero is false for NOTIF", flags="")
case("<80>", "NOTIF 1 ENDIF", "MINIMALIF", "negative zero under MINIMALIF")
case("1", "VERIFY 1", "OK", "VERIFY true")
case("0", "VERIFY 1", "VERIFY", "VERIFY false", pos=0)
case("", "VERIFY 1", "INVALID_STACK_OPERATION", "VERIFY on an empty stack", pos=0)
case("1", "VERIFY", "EVAL_FALSE", "VERIFY pops its argument")
case("1", "RETURN", "OP_RETURN", "RETURN fails", pos=0)
case("1", "0 IF RETURN ENDIF", "OK", "RETURN in an unexecuted branch")
case("1", "RETURN 'data'", "OP_RETURN", "null-data style script is unspendable")
case("1", "NOP", "OK", "NOP does nothing")
case("1", "NOP", "OK", "NOP under policy flags", flags="STANDARD")
for name in ("NOP1", "NOP4", "NOP5", "NOP6", "NOP7", "NOP8", "NOP9", "NOP10"):
    case("1", name, "OK", f"{name} is a NOP")
    case("1", name, "DISCOURAGE_UPGRADABLE_NOPS", f"{name} discouraged by policy", flags="STANDARD")
    case(
        "1", f"0 IF {name} ENDIF", "OK", f"unexecuted {name} is fine under policy", flags="STANDARD"
    )
case("1", "VER", "BAD_OPCODE", "OP_VER executed", pos=0)
case("1", "0 IF VER ENDIF", "OK", "OP_VER unexecuted")
case("1", "VERIF", "BAD_OPCODE", "OP_VERIF", pos=0)
case("1", "0 IF VERIF ENDIF", "BAD_OPCODE", "OP_VERIF fails even unexecuted", pos=2)
case("1", "0 IF VERNOTIF ENDIF", "BAD_OPCODE", "OP_VERNOTIF fails even unexecuted", pos=2)
case("1", "RESERVED1", "BAD_OPCODE", "OP_RESERVED1 executed")
case("1", "RESERVED2", "BAD_OPCODE", "OP_RESERVED2 executed")
case("1", "0 IF RESERVED1 RESERVED2 ENDIF", "OK", "reserved opcodes unexecuted")
for byte in (0xBA, 0xBB, 0xBF, 0xC1, 0xF0, 0xFE, 0xFF):
    case("1", f"0x{byte:02x}", "BAD_OPCODE", f"undefined opcode 0x{byte:02x} executed", pos=0)
    case("1", f"0 IF 0x{byte:02x} ENDIF", "OK", f"undefined opcode 0x{byte:02x} unexecuted")
DISABLED = (
    "CAT",
    "SUBSTR",
    "LEFT",
    "RIGHT",
    "INVERT",
    "AND",
    "OR",
    "XOR",
    "2MUL",
    "2DIV",
    "MUL",
    "DIV",
    "MOD",
    "LSHIFT",
    "RSHIFT",
    "SHA1",
    "CODESEPARATOR",
)
for name in DISABLED:
    case("1 1", name, "DISABLED_OPCODE", f"OP_{name} is disabled", pos=0)
    case("1", f"0 IF {name} ENDIF", "DISABLED_OPCODE", f"OP_{name} fails even unexecuted", pos=2)

# ------------------------------------------------------------------ stack operations
case("1", "TOALTSTACK 0 FROMALTSTACK", "OK", "alt stack round trip")
case("", "TOALTSTACK 1", "INVALID_STACK_OPERATION", "TOALTSTACK on an empty stack", pos=0)
case("1", "FROMALTSTACK", "INVALID_ALTSTACK_OPERATION", "FROMALTSTACK on an empty alt stack", pos=0)
case(
    "1 TOALTSTACK",
    "FROMALTSTACK",
    "INVALID_ALTSTACK_OPERATION",
    "the alt stack does not survive between scripts",
    flags="",
    stage="script_pubkey",
)
case(
    "1 2",
    "TOALTSTACK TOALTSTACK FROMALTSTACK 1 EQUALVERIFY FROMALTSTACK 2 EQUAL",
    "OK",
    "alt stack is LIFO",
)
case("0 1 2", "2DROP 0 EQUAL", "OK", "2DROP")
case("1", "2DROP 1", "INVALID_STACK_OPERATION", "2DROP needs two items")
case("1 2", "2DUP 2 EQUALVERIFY 1 EQUALVERIFY 2 EQUALVERIFY 1 EQUAL", "OK", "2DUP")
case("1", "2DUP", "INVALID_STACK_OPERATION", "2DUP needs two items")
case(
    "1 2 3",
    "3DUP 3 EQUALVERIFY 2 EQUALVERIFY 1 EQUALVERIFY 3 EQUALVERIFY 2 EQUALVERIFY 1 EQUAL",
    "OK",
    "3DUP",
)
case("1 2", "3DUP", "INVALID_STACK_OPERATION", "3DUP needs three items")
case(
    "1 2 3 4",
    "2OVER 2 EQUALVERIFY 1 EQUALVERIFY 4 EQUALVERIFY 3 EQUALVERIFY 2 EQUALVERIFY 1 EQUAL",
    "OK",
    "2OVER",
)
case("1 2 3", "2OVER", "INVALID_STACK_OPERATION", "2OVER needs four items")
case(
    "1 2 3 4 5 6",
    "2ROT 2 EQUALVERIFY 1 EQUALVERIFY 6 EQUALVERIFY 5 EQUALVERIFY 4 EQUALVERIFY 3 EQUAL",
    "OK",
    "2ROT",
)
case("1 2 3 4 5", "2ROT", "INVALID_STACK_OPERATION", "2ROT needs six items")
case("1 2 3 4", "2SWAP 2 EQUALVERIFY 1 EQUALVERIFY 4 EQUALVERIFY 3 EQUAL", "OK", "2SWAP")
case("1 2 3", "2SWAP", "INVALID_STACK_OPERATION", "2SWAP needs four items")
case("1", "IFDUP DEPTH 2 EQUALVERIFY", "OK", "IFDUP duplicates a true value")
case("0", "IFDUP DEPTH 1 EQUALVERIFY 0 EQUAL", "OK", "IFDUP leaves a false value alone")
case("<80>", "IFDUP DEPTH 1 EQUAL", "OK", "IFDUP: negative zero is false")
case("", "IFDUP", "INVALID_STACK_OPERATION", "IFDUP on an empty stack")
case("", "DEPTH 0 EQUAL", "OK", "DEPTH of an empty stack is 0")
case("1 1 1", "DEPTH 3 EQUAL", "OK", "DEPTH counts items")
case("1 TOALTSTACK", "DEPTH 0 EQUAL", "OK", "DEPTH does not count the alt stack", flags="")
case("1 0", "DROP", "OK", "DROP")
case("", "DROP 1", "INVALID_STACK_OPERATION", "DROP on an empty stack", pos=0)
case("1", "DUP EQUAL", "OK", "DUP")
case("", "DUP", "INVALID_STACK_OPERATION", "DUP on an empty stack")
case("1 0", "NIP 0 EQUAL", "OK", "NIP removes the second item")
case("0 1", "NIP DEPTH 1 EQUALVERIFY", "OK", "NIP leaves the top")
case("1", "NIP", "INVALID_STACK_OPERATION", "NIP needs two items")
case("1 0", "OVER 1 EQUALVERIFY 0 EQUALVERIFY 1 EQUAL", "OK", "OVER")
case("1", "OVER", "INVALID_STACK_OPERATION", "OVER needs two items")
case("1 2 3 0", "PICK 3 EQUALVERIFY DEPTH 3 EQUAL", "OK", "PICK 0 copies the top")
case("1 2 3 2", "PICK 1 EQUALVERIFY DEPTH 3 EQUAL", "OK", "PICK 2")
case("1 2 3 3", "PICK", "INVALID_STACK_OPERATION", "PICK past the bottom")
case("1 2 3 -1", "PICK", "INVALID_STACK_OPERATION", "PICK negative")
case("1", "PICK", "INVALID_STACK_OPERATION", "PICK needs two items")
case("1 0x050000000000", "PICK", "SCRIPTNUM_OVERFLOW", "PICK index of 5 bytes")
case("1 2 0x020000", "PICK", "SCRIPTNUM_MINIMAL", "PICK index not minimal")
case("1 2 0x020000", "PICK 2 EQUAL", "OK", "PICK index 0x0000 is 0 without MINIMALDATA", flags="")
case("1 2 3 2", "ROLL 1 EQUALVERIFY DEPTH 2 EQUALVERIFY 3 EQUALVERIFY 2 EQUAL", "OK", "ROLL 2")
case("1 2 3 0", "ROLL 3 EQUALVERIFY DEPTH 2 EQUAL", "OK", "ROLL 0 is a no-op")
case("1 2 3 3", "ROLL", "INVALID_STACK_OPERATION", "ROLL past the bottom")
case("1 -1", "ROLL", "INVALID_STACK_OPERATION", "ROLL negative")
case("1 2 3", "ROT 1 EQUALVERIFY 3 EQUALVERIFY 2 EQUAL", "OK", "ROT")
case("1 2", "ROT", "INVALID_STACK_OPERATION", "ROT needs three items")
case("1 2", "SWAP 1 EQUALVERIFY 2 EQUAL", "OK", "SWAP")
case("1", "SWAP", "INVALID_STACK_OPERATION", "SWAP needs two items")
case("1 2", "TUCK 2 EQUALVERIFY 1 EQUALVERIFY 2 EQUAL", "OK", "TUCK")
case("1", "TUCK", "INVALID_STACK_OPERATION", "TUCK needs two items")
case("0", "SIZE 0 EQUAL", "OK", "SIZE of empty")
case("<" + "11" * 127 + ">", f"SIZE <{enc(127)}> EQUAL", "OK", "SIZE 127")
case("<" + "11" * 128 + ">", f"SIZE <{enc(128)}> EQUAL", "OK", "SIZE 128 is a 2-byte number")
case("<" + "11" * 520 + ">", f"SIZE <{enc(520)}> EQUAL", "OK", "SIZE 520")
case("-1", "SIZE 1 EQUAL", "OK", "SIZE of 0x81")
case("", "SIZE", "INVALID_STACK_OPERATION", "SIZE on an empty stack")
case("'abc' 'abc'", "EQUAL", "OK", "EQUAL of equal strings")
case("'abc' 'abd'", "EQUAL", "EVAL_FALSE", "EQUAL of different strings")
case("0 <00>", "EQUAL", "EVAL_FALSE", "EQUAL compares bytes, not numbers")
case("0 <80>", "EQUAL NOT", "OK", "EQUAL: negative zero differs from zero")
case("1", "EQUAL", "INVALID_STACK_OPERATION", "EQUAL needs two items")
case("'a' 'a'", "EQUALVERIFY 1", "OK", "EQUALVERIFY equal")
case("'a' 'b'", "EQUALVERIFY 1", "EQUALVERIFY", "EQUALVERIFY different", pos=0)
case("'a'", "EQUALVERIFY 1", "INVALID_STACK_OPERATION", "EQUALVERIFY needs two items")

# ------------------------------------------------------------------ arithmetic
VALUES = (
    0,
    1,
    -1,
    2,
    -2,
    16,
    127,
    128,
    -127,
    -128,
    255,
    256,
    -255,
    32767,
    32768,
    -32768,
    0x7FFFFF,
    0x800000,
    -0x800000,
    0x7FFFFFFF,
    -0x7FFFFFFF,
)
UNARY = {
    "1ADD": lambda a: a + 1,
    "1SUB": lambda a: a - 1,
    "NEGATE": lambda a: -a,
    "ABS": abs,
    "NOT": lambda a: int(a == 0),
    "0NOTEQUAL": lambda a: int(a != 0),
}
for name, fn in UNARY.items():
    for a in (0, 1, -1, 127, -128, 0x7FFFFFFF, -0x7FFFFFFF):
        case(f"{a}", f"{name} <{enc(fn(a))}> EQUAL", "OK", f"{name} {a}")
    case("", name, "INVALID_STACK_OPERATION", f"{name} on an empty stack", pos=0)
    case(
        "0x050000000080", name, "SCRIPTNUM_OVERFLOW", f"{name} of a 5-byte operand", flags="", pos=0
    )
    case(
        "0x0100", f"{name} <{enc(fn(0))}> EQUAL", "SCRIPTNUM_MINIMAL", f"{name} of non-minimal zero"
    )
    case(
        "0x0100",
        f"{name} <{enc(fn(0))}> EQUAL",
        "OK",
        f"{name} of 0x00 = 0 without MINIMALDATA",
        flags="",
    )
BINARY = {
    "ADD": lambda a, b: a + b,
    "SUB": lambda a, b: a - b,
    "BOOLAND": lambda a, b: int(a != 0 and b != 0),
    "BOOLOR": lambda a, b: int(a != 0 or b != 0),
    "NUMEQUAL": lambda a, b: int(a == b),
    "NUMNOTEQUAL": lambda a, b: int(a != b),
    "LESSTHAN": lambda a, b: int(a < b),
    "GREATERTHAN": lambda a, b: int(a > b),
    "LESSTHANOREQUAL": lambda a, b: int(a <= b),
    "GREATERTHANOREQUAL": lambda a, b: int(a >= b),
    "MIN": min,
    "MAX": max,
}
PAIRS = (
    (0, 0),
    (1, 0),
    (0, 1),
    (-1, 1),
    (2, 3),
    (3, 2),
    (-128, 127),
    (255, -255),
    (0x7FFFFFFF, 1),
    (-0x7FFFFFFF, -0x7FFFFFFF),
    (0x7FFFFFFF, 0x7FFFFFFF),
)
for name, fn in BINARY.items():
    for a, b in PAIRS[: 8 if name not in ("ADD", "SUB") else len(PAIRS)]:
        case(f"{a} {b}", f"{name} <{enc(fn(a, b))}> EQUAL", "OK", f"{a} {name} {b}")
    case("1", name, "INVALID_STACK_OPERATION", f"{name} needs two items", pos=0)
    case("1 0x050000000001", name, "SCRIPTNUM_OVERFLOW", f"{name} with a 5-byte operand", pos=0)
case("0x050000008000 1", "ADD", "SCRIPTNUM_OVERFLOW", "ADD with a 5-byte first operand")
case(
    "2147483647 1",
    "ADD 1 ADD",
    "SCRIPTNUM_OVERFLOW",
    "results may be 5 bytes, but not reused",
    pos=2,
)
case(
    "0x04ffffffff",
    "1SUB <" + enc(-0x80000000) + "> EQUAL",
    "OK",
    "-(2^31-1) - 1 = -2^31 is a 5-byte result",
)
case(
    "0x04ffffff7f 0x04ffffff7f",
    "ADD <" + enc(0xFFFFFFFE) + "> EQUAL",
    "OK",
    "max + max encodes in 5 bytes",
)
case("0x0180", "0 NUMEQUAL", "SCRIPTNUM_MINIMAL", "negative zero is not minimal")
case("0x0180", "0 NUMEQUAL", "OK", "negative zero equals zero without MINIMALDATA", flags="")
case("0x020100", "1 NUMEQUAL", "SCRIPTNUM_MINIMAL", "0x0100 is a non-minimal 1")
case("0x020100", "1 NUMEQUAL", "OK", "0x0100 is 1 without MINIMALDATA", flags="")
case("0x028000", f"<{enc(128)}> NUMEQUAL", "OK", "0x8000 is the minimal 128")
case("0x028080", f"<{enc(-128)}> NUMEQUAL", "OK", "0x8080 is the minimal -128")
case("2 2", "NUMEQUALVERIFY 1", "OK", "NUMEQUALVERIFY equal")
case("2 3", "NUMEQUALVERIFY 1", "NUMEQUALVERIFY", "NUMEQUALVERIFY different", pos=0)
case("2", "NUMEQUALVERIFY 1", "INVALID_STACK_OPERATION", "NUMEQUALVERIFY needs two items")
case("1 0x050000000001", "NUMEQUALVERIFY 1", "SCRIPTNUM_OVERFLOW", "NUMEQUALVERIFY 5-byte")
for x, lo, hi in (
    (0, 0, 1),
    (1, 0, 1),
    (-1, 0, 1),
    (5, -10, 10),
    (10, -10, 10),
    (-10, -10, 10),
    (0, 1, 0),
    (0x7FFFFFFF, 0, 0x7FFFFFFF),
):
    case(
        f"{x} {lo} {hi}",
        f"WITHIN <{enc(int(lo <= x < hi))}> EQUAL",
        "OK",
        f"{x} WITHIN [{lo}, {hi})",
    )
case("1 2", "WITHIN", "INVALID_STACK_OPERATION", "WITHIN needs three items")
case("1 2 0x050000000001", "WITHIN", "SCRIPTNUM_OVERFLOW", "WITHIN 5-byte operand")


# ------------------------------------------------------------------ hashes
def b3(x: bytes, n: int = 32) -> bytes:
    return blake3.blake3(x).digest()[:n]


for data in (b"", b"abc", bytes(range(200))):
    dh = data.hex()
    push = f"<{dh}>" if data else "0"
    case(
        push,
        f"RIPEMD160 <{hashlib.new('ripemd160', data).hexdigest()}> EQUAL",
        "OK",
        f"RIPEMD160 of {len(data)} bytes",
    )
    case(
        push,
        f"SHA256 <{hashlib.sha256(data).hexdigest()}> EQUAL",
        "OK",
        f"SHA256 of {len(data)} bytes",
    )
    case(
        push,
        f"HASH256 <{hashlib.sha256(hashlib.sha256(data).digest()).hexdigest()}> EQUAL",
        "OK",
        f"HASH256 (SHA-256d) of {len(data)} bytes",
    )
    case(
        push,
        f"HASH160 <{b3(data, 20).hex()}> EQUAL",
        "OK",
        f"HASH160 (BLAKE3-160) of {len(data)} bytes",
    )
    case(push, f"BLAKE3 <{b3(data).hex()}> EQUALVERIFY 1", "OK", f"OP_BLAKE3 of {len(data)} bytes")
case(
    "0",
    "SHA256 <e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855> EQUAL",
    "OK",
    "SHA256 of the empty string (FIPS 180 value)",
)
case(
    "0",
    "BLAKE3 <af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262> EQUAL",
    "OK",
    "BLAKE3 of the empty string (reference value)",
    flags="MINIMALDATA",
)
case(
    "0",
    "BLAKE3 <af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262> EQUAL",
    "EVAL_FALSE",
    "that script is the P2SH template: the empty redeem script leaves nothing",
    stage="redeem_script",
    pos=0,
)
case(
    "0",
    "RIPEMD160 <9c1185a5c5e9fc54612808977ee8f548b2258d31> EQUAL",
    "OK",
    "RIPEMD160 of the empty string (reference value)",
)
case(
    "'abc'",
    f"HASH160 <{hashlib.new('ripemd160', hashlib.sha256(b'abc').digest()).hexdigest()}> EQUAL",
    "EVAL_FALSE",
    "HASH160 is not Bitcoin's RIPEMD160(SHA256)",
)
case("'abc'", "0xc0", "OK", "OP_BLAKE3 is byte 0xc0 and leaves a true hash")
for name in ("RIPEMD160", "SHA256", "HASH256", "HASH160", "BLAKE3"):
    case("", name, "INVALID_STACK_OPERATION", f"{name} on an empty stack", pos=0)
