"""Utility RPCs: validateaddress, estimatesmartfee, uptime, stop, help."""

from __future__ import annotations

from typing import Any

from node.crypto.address import AddressError, decode_address
from node.rpc.dispatch import Collector, Context
from node.rpc.errors import INVALID_PARAMETER, METHOD_NOT_FOUND, RpcError
from node.rpc.jsonfmt import Amount
from node.script.templates import script_for_address

method = Collector("util")

ESTIMATE_MODES = ("unset", "economical", "conservative")
MAX_TARGET = 1008


@method.nolock
def validateaddress(ctx: Context, address: str) -> dict[str, Any]:
    """Checks an address of this network.

    Result: {isvalid, address, scriptPubKey, isscript, witness_version} when valid, else
    {isvalid: false, error}."""
    hrp = ctx.node.params.bech32_hrp
    try:
        decoded = decode_address(address, hrp)
    except AddressError as exc:
        return {"isvalid": False, "error": str(exc)}
    return {
        "isvalid": True,
        "address": str(decoded),
        "scriptPubKey": script_for_address(decoded, hrp).hex(),
        "isscript": decoded.version == 1,
        "witness_version": decoded.version,
    }


@method.nolock
def estimatesmartfee(
    ctx: Context, conf_target: int, estimate_mode: str = "conservative"
) -> dict[str, Any]:
    """Estimates the feerate (RUST per kvB) for confirmation within conf_target blocks.

    Arguments: conf_target (numeric, 1..1008), estimate_mode ("unset" | "economical" |
    "conservative", default conservative)
    Result: {feerate, blocks} or {errors: [...], blocks}"""
    estimator = ctx.node.estimator
    if estimator is None:
        raise RpcError(METHOD_NOT_FOUND, "Method not found (no fee estimator in this build)")
    if not 1 <= conf_target <= MAX_TARGET:
        raise RpcError(
            INVALID_PARAMETER, f"Invalid conf_target, must be between 1 and {MAX_TARGET}"
        )
    mode = estimate_mode.lower()
    if mode not in ESTIMATE_MODES:
        raise RpcError(
            INVALID_PARAMETER,
            'Invalid estimate_mode parameter, must be one of: "unset", "economical", '
            '"conservative"',
        )
    feerate, blocks = estimator.estimate_smart_fee(
        conf_target, "conservative" if mode == "unset" else mode
    )
    if feerate is None:
        return {"errors": ["Insufficient data or no feerate found"], "blocks": blocks}
    return {"feerate": Amount(feerate), "blocks": blocks}


@method.nolock
def uptime(ctx: Context) -> int:
    """Seconds since the node started. Result: n (numeric)"""
    return ctx.node.uptime


@method.nolock
def stop(ctx: Context) -> str:
    """Requests a clean shutdown of the node. Result: "Rusty Coin server stopping\""""
    ctx.request_stop()
    return "Rusty Coin server stopping"


@method.nolock
def help(ctx: Context, command: str | None = None) -> str:
    """Lists all commands, or the help of one command.

    Arguments: command (string, optional)"""
    table = ctx.table
    if command is not None:
        found = table.get(command)
        if found is None:
            return f"help: unknown command: {command}"
        return found.help
    lines: list[str] = []
    category = None
    for m in sorted(table.methods.values(), key=lambda m: (m.category, m.name)):
        if m.category != category:
            if category is not None:
                lines.append("")
            category = m.category
            lines.append(f"== {category.capitalize()} ==")
        lines.append(m.usage)
    return "\n".join(lines)
