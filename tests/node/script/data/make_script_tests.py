"""Write script_tests.json, the FerrisScript known-answer table (run once; output checked in).

Expectations are written by hand from the rules (docs/protocol/script.md); where a value is
computed (arithmetic results, hash digests, number encodings) it comes from plain Python
integers, hashlib and the blake3 package, never from node.script.

Case fields: sig / pub (asm, see node.script.asm; tokens {PKn} {PKHn} {SIGn} {SIGn:hh}
{BADSIGn} are resolved by the test), flags, expect ("OK" or an error code), comment, and
optionally redeem (P2SH: pub = P2SH(redeem), the redeem script is pushed after sig), pos
(byte offset of the failing opcode), stage, lock_time, sequence, inputs, outputs, index.

Usage: python tests/node/script/data/make_script_tests.py
"""

from __future__ import annotations

import json
from pathlib import Path

import script_cases_basic
import script_cases_tx  # noqa: F401 - importing it registers its cases

OUT = Path(__file__).with_name("script_tests.json")


def main() -> None:
    cases = script_cases_basic.CASES
    OUT.write_text(json.dumps(cases, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
