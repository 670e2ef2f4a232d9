"""`rustycoin-cli` (also `python -m node.rpc.cli`), modelled on bitcoin-cli.

    rustycoin-cli [options] <command> [params]      positional parameters
    rustycoin-cli [options] -named <command> [name=value ...]

Options: -network=NAME | -regtest | -testnet | -devnet, -datadir=DIR, -rpcconnect=HOST,
-rpcport=PORT, -rpcuser=USER -rpcpassword=PW (default: the cookie file), -rpcwallet=NAME,
-rpcclienttimeout=SECONDS. Arguments are parsed as JSON unless the method's parameter is a
string. Output: strings raw, null as nothing, anything else as indented JSON. Exit code 0 on
success, |error code| on an RPC error (as bitcoin-cli), 1 for connection/usage failures.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from node.rpc.client import DEFAULT_PORTS, RpcClient, RpcTransportError
from node.rpc.errors import RpcError
from node.rpc.jsonfmt import dumps

NETWORK_FLAGS = {"-regtest": "regtest", "-testnet": "testnet", "-devnet": "devnet"}
DEFAULT_DATADIR = Path.home() / ".rustycoin"


class UsageError(Exception):
    pass


@functools.cache
def _string_params() -> dict[str, dict[str, bool]]:
    """method -> {param name: passed as a plain string} from the server's method table."""
    from node.rpc.methods import build_table

    return {
        name: {p.name: p.is_string for p in m.params} for name, m in build_table().methods.items()
    }


def convert(method: str, name: str | None, index: int, text: str) -> Any:
    """A CLI argument as the JSON value the method expects."""
    try:
        specs = _string_params().get(method)
    except Exception:  # pragma: no cover - the table is always importable in a full build
        specs = None
    if specs is not None:
        names = list(specs)
        key = name if name is not None else (names[index] if index < len(names) else None)
        if key is not None and specs.get(key):
            return text
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        return text


def parse(argv: Sequence[str]) -> tuple[dict[str, str], str, list[str]]:
    options: dict[str, str] = {}
    rest = list(argv)
    while rest and rest[0].startswith("-"):
        arg = rest.pop(0)
        key, sep, value = arg.partition("=")
        key = "-" + key.lstrip("-")
        options[key] = value if sep else "1"
    if "-help" in options or "-h" in options or "-?" in options:
        raise UsageError("usage:\n" + (__doc__ or ""))
    if not rest:
        raise UsageError("too few parameters (need at least command)")
    return options, rest[0], rest[1:]


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        options, method, args = parse(argv)
    except UsageError as exc:
        text = str(exc)
        print(text if text.startswith("usage:") else f"error: {text}", file=sys.stderr)
        return 1
    network = options.get("-network", "mainnet")
    for flag, net in NETWORK_FLAGS.items():
        if flag in options:
            network = net
    if network not in DEFAULT_PORTS:
        print(f"error: unknown network {network!r}", file=sys.stderr)
        return 1
    host = options.get("-rpcconnect", "127.0.0.1")
    try:
        port = int(options.get("-rpcport", DEFAULT_PORTS[network]))
        timeout = float(options.get("-rpcclienttimeout", "900"))
    except ValueError:
        print("error: -rpcport and -rpcclienttimeout must be numbers", file=sys.stderr)
        return 1
    wallet = options.get("-rpcwallet")
    named = "-named" in options
    try:
        if named:
            params: Any = {}
            for arg in args:
                key, sep, value = arg.partition("=")
                if not sep or not key:
                    print(f"error: No '=' in named argument '{arg}'", file=sys.stderr)
                    return 1
                params[key] = convert(method, key, 0, value)
        else:
            params = [convert(method, None, i, a) for i, a in enumerate(args)]
        if "-rpcpassword" in options:
            path = "/" if wallet is None else f"/wallet/{wallet}"
            client = RpcClient(f"http://{host}:{port}{path}", options.get("-rpcuser", ""),
                               options["-rpcpassword"], timeout)  # fmt: skip
        else:
            datadir = Path(options.get("-datadir", str(DEFAULT_DATADIR))).expanduser()
            client = RpcClient.from_datadir(datadir, network, host, port, wallet=wallet,
                                            timeout=timeout)  # fmt: skip
        with client:
            result = client.call(method, **params) if named else client.call(method, *params)
    except RpcTransportError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except RpcError as exc:
        print(f"error code: {exc.code}\nerror message:\n{exc.message}", file=sys.stderr)
        return abs(exc.code) if exc.code else 1
    if result is None:
        return 0
    print(result if isinstance(result, str) else dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
