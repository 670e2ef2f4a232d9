"""Script test cases, part 2: CHECKSIG, CHECKMULTISIG, limits, CLTV, CSV, P2SH, script_sig
rules and HTLC. See make_script_tests.py.
"""

from __future__ import annotations

import hashlib

from script_cases_basic import case, enc

# ------------------------------------------------------------------ CHECKSIG
P2PKH1 = "DUP HASH160 {PKH1} EQUALVERIFY CHECKSIG"
case("{SIG1}", "{PK1} CHECKSIG", "OK", "valid default-hash-type signature")
case("{SIG1}", "{PK1} CHECKSIG", "OK", "valid signature under policy flags", flags="STANDARD")
for ht in ("01", "02", "03", "81", "82", "83"):
    case(f"{{SIG1:{ht}}}", "{PK1} CHECKSIG", "OK", f"valid signature with hash type 0x{ht}")
for ht in ("00", "04", "80", "84", "ff", "41"):
    case(
        f"{{SIG1:{ht}}}",
        "{PK1} CHECKSIG",
        "SCHNORR_SIG_HASHTYPE",
        f"explicit hash type 0x{ht} is invalid",
        pos=33,
    )
case("{SIG1}", "{PK2} CHECKSIG", "SIG_NULLFAIL", "signature by another key", pos=33)
case("{SIG1}", "{PK2} CHECKSIG", "EVAL_FALSE", "wrong key without NULLFAIL", flags="P2SH")
case("{SIG1}", "{PK2} CHECKSIG NOT", "OK", "wrong key is false without NULLFAIL", flags="P2SH")
case("{BADSIG1}", "{PK1} CHECKSIG", "SIG_NULLFAIL", "signature of another message")
case("{BADSIG1}", "{PK1} CHECKSIG NOT", "SIG_NULLFAIL", "NULLFAIL even when the result is NOTed")
case("0", "{PK1} CHECKSIG", "EVAL_FALSE", "empty signature is false")
case("0", "{PK1} CHECKSIG NOT", "OK", "empty signature is false, NOT makes it pass")
case("<" + "11" * 63 + ">", "{PK1} CHECKSIG", "SCHNORR_SIG_SIZE", "63-byte signature")
case("<" + "11" * 66 + ">", "{PK1} CHECKSIG", "SCHNORR_SIG_SIZE", "66-byte signature")
case("1", "{PK1} CHECKSIG", "SCHNORR_SIG_SIZE", "1-byte signature")
case("{SIG1}", "<" + "02" * 33 + "> CHECKSIG", "PUBKEYTYPE", "33-byte (compressed) public key")
case("{SIG1}", "<" + "02" * 31 + "> CHECKSIG", "PUBKEYTYPE", "31-byte public key")
case("{SIG1}", "0 CHECKSIG", "PUBKEYTYPE", "empty public key")
case("0", "0 CHECKSIG NOT", "PUBKEYTYPE", "key size is checked even for an empty signature")
case("{SIG1}", "<" + "00" * 32 + "> CHECKSIG", "SIG_NULLFAIL", "32-byte key not on the curve")
case("{SIG1}", "CHECKSIG", "INVALID_STACK_OPERATION", "CHECKSIG needs two items")
case("{SIG1}", "{PK1} CHECKSIGVERIFY 1", "OK", "CHECKSIGVERIFY valid")
case("0", "{PK1} CHECKSIGVERIFY 1", "CHECKSIGVERIFY", "CHECKSIGVERIFY with an empty signature")
case("{SIG2}", "{PK1} CHECKSIGVERIFY 1", "SIG_NULLFAIL", "CHECKSIGVERIFY wrong key (NULLFAIL)")
case("{SIG2}", "{PK1} CHECKSIGVERIFY 1", "CHECKSIGVERIFY", "CHECKSIGVERIFY wrong key", flags="")
case(
    "{SIG1:03}",
    "{PK1} CHECKSIG",
    "SCHNORR_SIG_HASHTYPE",
    "SINGLE without a matching output",
    inputs=2,
    outputs=1,
    index=1,
)
case(
    "{SIG1:83}",
    "{PK1} CHECKSIG",
    "SCHNORR_SIG_HASHTYPE",
    "SINGLE|ANYONECANPAY without a matching output",
    inputs=3,
    outputs=2,
    index=2,
)
case(
    "{SIG1:03}",
    "{PK1} CHECKSIG",
    "OK",
    "SINGLE with a matching output",
    inputs=2,
    outputs=2,
    index=1,
)
case("{SIG1:02}", "{PK1} CHECKSIG", "OK", "NONE with no outputs at all", outputs=0)
case("{SIG1}", "{PK1} CHECKSIG", "OK", "default hash type, input 1 of 3", inputs=3, index=1)
case("{SIG1} {PK1}", P2PKH1, "OK", "P2PKH spend")
case("{SIG1} {PK1}", P2PKH1, "OK", "P2PKH spend under policy", flags="STANDARD")
case("{SIG1:81} {PK1}", P2PKH1, "OK", "P2PKH spend, ALL|ANYONECANPAY")
case("{SIG1:82} {PK1}", P2PKH1, "OK", "P2PKH spend, NONE|ANYONECANPAY")
case("{SIG2} {PK2}", P2PKH1, "EQUALVERIFY", "P2PKH with another key", pos=23)
case("{SIG1} {PK2}", P2PKH1, "EQUALVERIFY", "P2PKH with the wrong key")
case(
    "{BADSIG1} {PK1}",
    P2PKH1,
    "SIG_NULLFAIL",
    "P2PKH with a bad signature",
    pos=24,
    stage="script_pubkey",
)
case("{BADSIG1} {PK1}", P2PKH1, "EVAL_FALSE", "P2PKH bad signature without NULLFAIL", flags="")
case("0 {PK1}", P2PKH1, "EVAL_FALSE", "P2PKH with an empty signature")
case("{SIG1:00} {PK1}", P2PKH1, "SCHNORR_SIG_HASHTYPE", "P2PKH explicit 0x00 hash type")
case("{PK1}", P2PKH1, "INVALID_STACK_OPERATION", "P2PKH without a signature")
case("{SIG1} {PK1} 1", P2PKH1, "EQUALVERIFY", "P2PKH with an extra item on top")
case("1 {SIG1} {PK1}", P2PKH1, "OK", "P2PKH with an extra item below (consensus)")
case(
    "1 {SIG1} {PK1}",
    P2PKH1,
    "CLEANSTACK",
    "P2PKH with an extra item below (policy)",
    flags="STANDARD",
)
case("{SIG1} {PK1} NOP", P2PKH1, "SIG_PUSHONLY", "P2PKH script_sig with a NOP", stage="script_sig")
case("{SIG1} {PK1} NOP", P2PKH1, "OK", "non-push script_sig without SIGPUSHONLY", flags="")

# ------------------------------------------------------------------ CHECKMULTISIG
MS23 = "2 {PK1} {PK2} {PK3} 3 CHECKMULTISIG"
case("{SIG1} 1", "{PK1} 1 CHECKMULTISIG", "OK", "1-of-1")
case("{SIG2} 1", "{PK1} {PK2} 2 CHECKMULTISIG", "OK", "1-of-2 with the second key")
case("{SIG1} {SIG2}", MS23, "OK", "2-of-3 with keys 1 and 2")
case("{SIG1} {SIG3}", MS23, "OK", "2-of-3 with keys 1 and 3")
case("{SIG2} {SIG3}", MS23, "OK", "2-of-3 with keys 2 and 3")
case("{SIG1} {SIG2}", MS23, "OK", "2-of-3 under policy", flags="STANDARD")
case("{SIG2} {SIG1}", MS23, "SIG_NULLFAIL", "2-of-3 signatures out of order")
case("{SIG2} {SIG1}", MS23, "EVAL_FALSE", "2-of-3 out of order without NULLFAIL", flags="")
case("{SIG1} {SIG1}", MS23, "SIG_NULLFAIL", "the same signature twice")
case("{SIG1}", MS23, "INVALID_STACK_OPERATION", "2-of-3 with one signature")
case("0 0", MS23, "EVAL_FALSE", "2-of-3 with empty signatures")
case("{SIG1} 0", MS23, "SIG_NULLFAIL", "2-of-3, one valid and one empty")
case("{SIG1} 0", MS23, "EVAL_FALSE", "2-of-3, one valid and one empty (no NULLFAIL)", flags="")
case("{SIG1} {SIG2} {SIG3}", "3 {PK1} {PK2} {PK3} 3 CHECKMULTISIG", "OK", "3-of-3")
case(
    "{SIG1:83} {SIG2:02} {SIG3:81}",
    "3 {PK1} {PK2} {PK3} 3 CHECKMULTISIG",
    "OK",
    "3-of-3 with mixed hash types",
)
case("", "0 0 CHECKMULTISIG", "OK", "0-of-0 is true")
case("", "0 {PK1} {PK2} 2 CHECKMULTISIG", "OK", "0-of-2 is true")
case("{SIG1} {SIG2} {SIG3}", "3 {PK1} {PK2} 2 CHECKMULTISIG", "SIG_COUNT", "m > n")
case("", "-1 0 CHECKMULTISIG", "SIG_COUNT", "negative m")
case("", "0 -1 CHECKMULTISIG", "PUBKEY_COUNT", "negative n")
case("", "0 " + "{PK1} " * 21 + "21 CHECKMULTISIG", "PUBKEY_COUNT", "21 keys")
case("", "0 " + "{PK1} " * 20 + "20 CHECKMULTISIG", "OK", "20 keys (the maximum), 0 signatures")
case("", "CHECKMULTISIG", "INVALID_STACK_OPERATION", "CHECKMULTISIG on an empty stack", pos=0)
case("", "{PK1} 1 CHECKMULTISIG", "INVALID_STACK_OPERATION", "CHECKMULTISIG without m")
case("", "0 0x01aa 1 CHECKMULTISIG", "PUBKEYTYPE", "1-byte key")
case(
    "0",
    "1 {PK1} <" + "02" * 33 + "> 2 CHECKMULTISIG",
    "PUBKEYTYPE",
    "every key is size-checked, even one never reached",
)
case("{SIG1} 1", "{PK1} 0x050100000000 CHECKMULTISIG", "SCRIPTNUM_OVERFLOW", "5-byte key count")
case("{SIG1} 1", "{PK1} 0x020100 CHECKMULTISIG", "SCRIPTNUM_MINIMAL", "non-minimal key count")
case("{SIG1} {SIG2}", "2 {PK1} {PK2} {PK3} 3 CHECKMULTISIGVERIFY 1", "OK", "CHECKMULTISIGVERIFY")
case(
    "0 0",
    "2 {PK1} {PK2} {PK3} 3 CHECKMULTISIGVERIFY 1",
    "CHECKMULTISIGVERIFY",
    "CHECKMULTISIGVERIFY failing",
)
case("1 {SIG1} {SIG2}", MS23 + " DEPTH 2 EQUAL", "OK", "no dummy element is consumed")
case("0 {SIG1} {SIG2}", MS23, "OK", "an extra item below the signatures is left alone")
case(
    "{SIG1}",
    "{PK1} 1 DUP CHECKMULTISIG",
    "SCRIPTNUM_OVERFLOW",
    "m read from the wrong place (a 32-byte key) overflows",
)
case(
    "",
    "0 " + "{PK1} " * 20 + "20 CHECKMULTISIG " + "NOP " * 180,
    "OK",
    "CHECKMULTISIG counts its 20 keys as ops (1 + 20 + 180 = 201)",
)
case(
    "",
    "0 " + "{PK1} " * 20 + "20 CHECKMULTISIG " + "NOP " * 181,
    "OP_COUNT",
    "CHECKMULTISIG keys push the op count to 202",
)
case(
    "",
    "NOP " * 181 + "0 " + "{PK1} " * 20 + "20 CHECKMULTISIG",
    "OP_COUNT",
    "op count exceeded inside CHECKMULTISIG",
)

# ------------------------------------------------------------------ limits
case("", "1 " + "NOP " * 201, "OK", "201 non-push ops")
case("", "1 " + "NOP " * 202, "OP_COUNT", "202 non-push ops", pos=202)
case("", "1 0 IF " + "NOP " * 199 + "ENDIF", "OK", "unexecuted ops count (IF + 199 + ENDIF)")
case("", "1 0 IF " + "NOP " * 200 + "ENDIF", "OP_COUNT", "unexecuted ops count toward the limit")
case("", "1 " + "16 " * 300, "OK", "small pushes do not count as ops")
case("NOP " * 201, "1", "OK", "op limit is per script (script_sig)", flags="")
case("NOP " * 201, "1 " + "NOP " * 201, "OK", "op limit is per script", flags="")
case("1 " * 1000, "", "OK", "1000 stack items")
case("1 " * 1001, "", "STACK_SIZE", "1001 stack items", pos=1000, stage="script_sig")
case("1 " * 999, "1 TOALTSTACK 1", "STACK_SIZE", "alt stack counts toward the limit")
case("1 " * 999, "1 TOALTSTACK DROP 1", "OK", "1000 items across both stacks")
case("1 " * 1000, "DUP", "STACK_SIZE", "DUP past 1000 items")
case("1 " * 998, "2DUP", "OK", "2DUP to exactly 1000 items")
case("1 " * 999, "2DUP", "STACK_SIZE", "2DUP to 1001 items")
case("1 " * 998, "3DUP", "STACK_SIZE", "3DUP to 1001 items")
case("1 " * 1000, "DEPTH", "STACK_SIZE", "DEPTH past 1000 items")
case("1 " * 1000, "DROP DROP DEPTH <" + enc(998) + "> EQUAL", "OK", "DEPTH of 998")
BIG = "0x4d0802" + "aa" * 520  # 523 bytes
# 19 * 523 = 9937 bytes; 9937 + 63 bytes = 10,000.
FILL = "0x3e" + "bb" * 62  # 63-byte push
case("", " ".join([BIG] * 19) + " " + FILL, "OK", "script of exactly 10,000 bytes")
case("", " ".join([BIG] * 19) + " " + FILL + " NOP", "SCRIPT_SIZE", "script of 10,001 bytes", pos=0)
case(
    " ".join([BIG] * 19) + " " + FILL + " 1",
    "",
    "SCRIPT_SIZE",
    "script_sig of 10,001 bytes",
    stage="script_sig",
    flags="",
)
case(
    "",
    "RETURN " + " ".join([BIG] * 19) + " " + FILL,
    "SCRIPT_SIZE",
    "size is checked before anything runs",
)

# ------------------------------------------------------------------ CHECKLOCKTIMEVERIFY
CLTV = "CHECKLOCKTIMEVERIFY"
case("", f"100 {CLTV}", "OK", "CLTV height <= lock_time", lock_time=100, sequence=0)
case("", f"99 {CLTV}", "OK", "CLTV height < lock_time", lock_time=100, sequence=0)
case(
    "",
    f"0 {CLTV}",
    "EVAL_FALSE",
    "CLTV leaves its argument (0 is false)",
    lock_time=100,
    sequence=0,
)
case(
    "",
    f"101 {CLTV}",
    "UNSATISFIED_LOCKTIME",
    "CLTV height > lock_time",
    lock_time=100,
    sequence=0,
    pos=2,
)
case(
    "",
    f"100 {CLTV}",
    "UNSATISFIED_LOCKTIME",
    "CLTV with a final sequence",
    lock_time=100,
    sequence=0xFFFFFFFF,
)
case("", f"100 {CLTV}", "OK", "CLTV with sequence 0xfffffffe", lock_time=100, sequence=0xFFFFFFFE)
case(
    "",
    f"<{enc(500_000_000)}> {CLTV}",
    "UNSATISFIED_LOCKTIME",
    "CLTV time vs height lock_time",
    lock_time=499_999_999,
    sequence=0,
)
case(
    "",
    f"<{enc(499_999_999)}> {CLTV}",
    "UNSATISFIED_LOCKTIME",
    "CLTV height vs time lock_time",
    lock_time=500_000_000,
    sequence=0,
)
case(
    "", f"<{enc(500_000_000)}> {CLTV}", "OK", "CLTV time <= time", lock_time=500_000_000, sequence=0
)
case(
    "",
    f"<{enc(0xFFFFFFFF)}> {CLTV}",
    "OK",
    "CLTV 5-byte operand 2^32-1",
    lock_time=0xFFFFFFFF,
    sequence=0,
)
case(
    "",
    f"<{enc(0x100000000)}> {CLTV}",
    "UNSATISFIED_LOCKTIME",
    "CLTV 2^32 exceeds any lock_time",
    lock_time=0xFFFFFFFF,
    sequence=0,
)
case(
    "",
    f"0x06000000000001 {CLTV}",
    "SCRIPTNUM_OVERFLOW",
    "CLTV 6-byte operand",
    lock_time=100,
    sequence=0,
)
case("", f"-1 {CLTV}", "NEGATIVE_LOCKTIME", "CLTV negative", lock_time=100, sequence=0)
case("", f"0x0180 {CLTV}", "SCRIPTNUM_MINIMAL", "CLTV negative zero", lock_time=100, sequence=0)
case("", f"0x026400 {CLTV}", "SCRIPTNUM_MINIMAL", "CLTV non-minimal 100", lock_time=100, sequence=0)
case("", CLTV, "INVALID_STACK_OPERATION", "CLTV on an empty stack", lock_time=100, sequence=0)
case("", f"0 {CLTV} NOT", "OK", "CLTV 0 against lock_time 0", lock_time=0, sequence=0)
case("", f"101 {CLTV}", "OK", "CLTV off: NOP2", flags="P2SH", lock_time=100, sequence=0)
case(
    "",
    f"1 {CLTV}",
    "DISCOURAGE_UPGRADABLE_NOPS",
    "CLTV off and NOPs discouraged",
    flags="DISCOURAGE_UPGRADABLE_NOPS",
)
case("", "101 NOP2", "UNSATISFIED_LOCKTIME", "NOP2 is CLTV", lock_time=100, sequence=0)
case("", f"0 IF {CLTV} ENDIF 1", "OK", "CLTV unexecuted", lock_time=100, sequence=0)

# ------------------------------------------------------------------ CHECKSEQUENCEVERIFY
CSV = "CHECKSEQUENCEVERIFY"
TYPE = 1 << 22
DISABLE = 1 << 31
case("", f"10 {CSV}", "OK", "CSV blocks <= sequence", sequence=10)
case("", f"9 {CSV}", "OK", "CSV blocks < sequence", sequence=10)
case("", f"11 {CSV}", "UNSATISFIED_LOCKTIME", "CSV blocks > sequence", sequence=10, pos=1)
case("", f"<{enc(TYPE | 10)}> {CSV}", "OK", "CSV time <= time", sequence=TYPE | 10)
case("", f"<{enc(TYPE | 11)}> {CSV}", "UNSATISFIED_LOCKTIME", "CSV time > time", sequence=TYPE | 10)
case(
    "",
    f"<{enc(TYPE | 1)}> {CSV}",
    "UNSATISFIED_LOCKTIME",
    "CSV time vs blocks sequence",
    sequence=10,
)
case("", f"1 {CSV}", "UNSATISFIED_LOCKTIME", "CSV blocks vs time sequence", sequence=TYPE | 10)
case(
    "",
    f"10 {CSV}",
    "UNSATISFIED_LOCKTIME",
    "CSV with the sequence's disable flag",
    sequence=DISABLE | 10,
)
case("", f"10 {CSV}", "UNSATISFIED_LOCKTIME", "CSV with a final sequence", sequence=0xFFFFFFFF)
case(
    "",
    f"<{enc(DISABLE)}> {CSV}",
    "OK",
    "CSV operand with the disable flag is a NOP",
    sequence=0xFFFFFFFF,
)
case("", f"<{enc(DISABLE | 0xFFFF)}> {CSV}", "OK", "CSV disabled operand, any sequence", sequence=0)
case("", f"<{enc(0x10000 | 5)}> {CSV}", "OK", "CSV bits outside the mask are ignored", sequence=5)
case(
    "", f"5 {CSV}", "OK", "CSV sequence bits outside the mask are ignored", sequence=0x003F0000 | 5
)
case("", f"-1 {CSV}", "NEGATIVE_LOCKTIME", "CSV negative", sequence=10)
case("", f"0x06000000000001 {CSV}", "SCRIPTNUM_OVERFLOW", "CSV 6-byte operand", sequence=10)
case(
    "",
    f"0x020a00 {CSV}",
    "OK",
    "CSV non-minimal allowed without MINIMALDATA",
    flags="CHECKSEQUENCEVERIFY",
    sequence=10,
)
case("", f"0x020a00 {CSV}", "SCRIPTNUM_MINIMAL", "CSV non-minimal operand", sequence=10)
case("", CSV, "INVALID_STACK_OPERATION", "CSV on an empty stack", sequence=10)
case("", f"0 {CSV}", "EVAL_FALSE", "CSV leaves its argument", sequence=10)
case("", f"11 {CSV}", "OK", "CSV off: NOP3", flags="P2SH", sequence=10)
case(
    "",
    f"1 {CSV}",
    "DISCOURAGE_UPGRADABLE_NOPS",
    "CSV off and NOPs discouraged",
    flags="DISCOURAGE_UPGRADABLE_NOPS",
    sequence=10,
)
case("", "11 NOP3", "UNSATISFIED_LOCKTIME", "NOP3 is CSV", sequence=10)

# ------------------------------------------------------------------ P2SH
case("", "", "OK", "P2SH redeem script 1", redeem="1")
case("", "", "EVAL_FALSE", "P2SH redeem script 0", redeem="0", stage="redeem_script", pos=1)
case("", "", "OK", "P2SH: without the P2SH flag the redeem script is not run", redeem="0", flags="")
case("1", "", "OK", "P2SH redeem script uses the script_sig's items", redeem="VERIFY 1")
case(
    "0",
    "",
    "VERIFY",
    "P2SH redeem script VERIFY fails",
    redeem="VERIFY 1",
    stage="redeem_script",
    pos=0,
)
case("2 3", "", "OK", "P2SH redeem arithmetic", redeem="ADD 5 NUMEQUAL")
case("{SIG1}", "", "OK", "P2SH CHECKSIG (signs the P2SH script_pubkey)", redeem="{PK1} CHECKSIG")
case("{SIG1}", "", "OK", "P2SH CHECKSIG under policy", redeem="{PK1} CHECKSIG", flags="STANDARD")
case(
    "{SIG2}",
    "",
    "SIG_NULLFAIL",
    "P2SH CHECKSIG wrong key",
    redeem="{PK1} CHECKSIG",
    stage="redeem_script",
)
case("{SIG1} {SIG3}", "", "OK", "P2SH 2-of-3 multisig", redeem=MS23)
case("{SIG3} {SIG1}", "", "SIG_NULLFAIL", "P2SH 2-of-3 multisig out of order", redeem=MS23)
case(
    "1 NOP",
    "",
    "SIG_PUSHONLY",
    "P2SH needs a push-only script_sig",
    redeem="1",
    flags="P2SH",
    stage="script_sig",
)
case("1 NOP", "", "SIG_PUSHONLY", "P2SH push-only under consensus", redeem="1", stage="script_sig")
case("1 NOP", "", "OK", "non-push script_sig fine without P2SH", redeem="1", flags="MINIMALDATA")
case("", "", "OK", "P2SH redeem leaving extra items (consensus)", redeem="1 1")
case(
    "",
    "",
    "CLEANSTACK",
    "P2SH redeem leaving extra items (policy)",
    redeem="1 1",
    flags="STANDARD",
    stage="redeem_script",
)
case(
    "1",
    "",
    "CLEANSTACK",
    "P2SH extra item below the redeem script (policy)",
    redeem="1",
    flags="STANDARD",
)
case(
    "",
    "BLAKE3 <" + "00" * 32 + "> EQUAL",
    "EVAL_FALSE",
    "P2SH hash mismatch",
    redeem="1",
    stage="script_pubkey",
)
case(
    "",
    "BLAKE3 <" + "00" * 32 + "> EQUAL",
    "INVALID_STACK_OPERATION",
    "P2SH with an empty script_sig",
    stage="script_pubkey",
    pos=0,
)
case(
    "",
    "",
    "BAD_OPCODE",
    "P2SH redeem script that does not parse",
    redeem="0x4c",
    stage="redeem_script",
)
case(
    "",
    "",
    "DISABLED_OPCODE",
    "P2SH redeem script with a disabled opcode",
    redeem="1 CAT",
    stage="redeem_script",
)
case("1", "", "OK", "P2SH with an empty redeem script leaves the item below", redeem="")
case("", "", "EVAL_FALSE", "P2SH with an empty redeem script and nothing else", redeem="")
case("", "", "OK", "P2SH redeem script with 201 ops", redeem="1 " + "NOP " * 201)
case(
    "",
    "",
    "OP_COUNT",
    "P2SH redeem script with 202 ops",
    redeem="1 " + "NOP " * 202,
    stage="redeem_script",
)
case("{SIG1:03}", "", "OK", "P2SH CHECKSIG with SINGLE", redeem="{PK1} CHECKSIG")
case("", "", "UNBALANCED_CONDITIONAL", "P2SH redeem script with an open IF", redeem="1 IF 1")

# ------------------------------------------------------------------ script_sig rules
case("1 DUP", "EQUAL", "SIG_PUSHONLY", "DUP in script_sig", stage="script_sig")
case("1 DUP", "EQUAL", "OK", "DUP in script_sig without SIGPUSHONLY", flags="P2SH")
case("NOP 1", "", "SIG_PUSHONLY", "NOP in script_sig")
case(
    "-1 1 16 0 <aa> 0x4c4c" + "aa" * 76,
    "DROP DROP DROP DROP DROP DROP 1",
    "OK",
    "all push kinds are push-only",
)
case("0x01", "1", "SIG_PUSHONLY", "an unparsable script_sig is not push-only")
case(
    "0x01",
    "1",
    "BAD_OPCODE",
    "an unparsable script_sig fails evaluation",
    flags="",
    stage="script_sig",
    pos=0,
)
case("1", "", "OK", "one item left: clean stack", flags="STANDARD")
case("1 1", "", "CLEANSTACK", "two items left", flags="STANDARD", stage="script_pubkey")
case("1 1", "", "OK", "two items left are fine under consensus")
case("0 1", "", "CLEANSTACK", "false item below the result", flags="STANDARD")
case("", "1 1", "CLEANSTACK", "script_pubkey leaving two items", flags="STANDARD")

# ------------------------------------------------------------------ HTLC (SHA-256 hashlock + CLTV)
PREIMAGE = b"rusty coin htlc preimage"
HTLC = (
    f"IF SHA256 <{hashlib.sha256(PREIMAGE).hexdigest()}> EQUALVERIFY {{PK1}} ELSE "
    f"<{enc(1000)}> {CLTV} DROP {{PK2}} ENDIF CHECKSIG"
)
CLAIM = f"{{SIG1}} <{PREIMAGE.hex()}> 1"
case(CLAIM, "", "OK", "HTLC claim with the preimage (P2SH)", redeem=HTLC, flags="STANDARD")
case(CLAIM, HTLC, "OK", "HTLC claim with the preimage (bare)", flags="STANDARD")
case(
    f"{{SIG1}} <{PREIMAGE[:-1].hex()}> 1",
    "",
    "EQUALVERIFY",
    "HTLC claim, wrong preimage",
    redeem=HTLC,
)
case(
    f"{{SIG2}} <{PREIMAGE.hex()}> 1",
    "",
    "SIG_NULLFAIL",
    "HTLC claim signed by the refund key",
    redeem=HTLC,
)
case(
    f"{{SIG1}} <{PREIMAGE.hex()}> 2", "", "MINIMALIF", "HTLC branch selector must be 1", redeem=HTLC
)
case(
    "{SIG2} 0",
    "",
    "OK",
    "HTLC refund after the lock time",
    redeem=HTLC,
    lock_time=1000,
    sequence=0,
    flags="STANDARD",
)
case(
    "{SIG2} 0",
    "",
    "OK",
    "HTLC refund well after the lock time",
    redeem=HTLC,
    lock_time=5000,
    sequence=0xFFFFFFFE,
)
case(
    "{SIG2} 0",
    "",
    "UNSATISFIED_LOCKTIME",
    "HTLC refund too early",
    redeem=HTLC,
    lock_time=999,
    sequence=0,
    stage="redeem_script",
)
case(
    "{SIG2} 0",
    "",
    "UNSATISFIED_LOCKTIME",
    "HTLC refund with a final sequence",
    redeem=HTLC,
    lock_time=1000,
)
case(
    "{SIG2} 0",
    "",
    "UNSATISFIED_LOCKTIME",
    "HTLC refund with a time lock_time",
    redeem=HTLC,
    lock_time=500_000_000,
    sequence=0,
)
case(
    "{SIG1} 0",
    "",
    "SIG_NULLFAIL",
    "HTLC refund signed by the recipient",
    redeem=HTLC,
    lock_time=1000,
    sequence=0,
)
