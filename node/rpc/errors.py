"""RPC errors: `RpcError` with bitcoind's numeric codes, and the code constants."""

from __future__ import annotations

from node.errors import RustyError

# Standard JSON-RPC 2.0 codes
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# bitcoind application codes (src/rpc/protocol.h)
MISC_ERROR = -1
TYPE_ERROR = -3
WALLET_ERROR = -4
INVALID_ADDRESS_OR_KEY = -5
WALLET_INSUFFICIENT_FUNDS = -6
INVALID_PARAMETER = -8
CLIENT_NOT_CONNECTED = -9
WALLET_UNLOCK_NEEDED = -13
WALLET_PASSPHRASE_INCORRECT = -14
WALLET_WRONG_ENC_STATE = -15
WALLET_NOT_FOUND = -18
WALLET_NOT_SPECIFIED = -19
DESERIALIZATION_ERROR = -22
VERIFY_ERROR = -25
VERIFY_REJECTED = -26
VERIFY_ALREADY_IN_CHAIN = -27
IN_WARMUP = -28
WALLET_ALREADY_LOADED = -35


class RpcError(RustyError):
    """A JSON-RPC error with a bitcoind-compatible numeric `code`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}
