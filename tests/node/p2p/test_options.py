"""The daemon's P2P options: defaults, Core's --connect semantics, and clear errors."""

from __future__ import annotations

import pytest

from node.daemon import p2p_config, parse_args
from node.p2p.config import DEFAULT_BIND


def test_defaults() -> None:
    config = p2p_config(parse_args(["--network", "regtest"]))
    assert config.listen
    assert config.port is None  # the network's port (SPEC §12), resolved at listen time
    assert config.bind == DEFAULT_BIND
    assert (config.max_outbound, config.max_inbound) == (8, 125)
    assert (config.tx_trickle_outbound, config.tx_trickle_inbound) == (2.0, 5.0)


def test_connect_turns_off_listening_and_automatic_peers() -> None:
    config = p2p_config(parse_args(["--connect", "127.0.0.1:5", "--addnode", "[::1]"]))
    assert config.connect == ("127.0.0.1:5",)
    assert config.addnode == ("[::1]",)
    assert not config.listen
    assert config.max_outbound == 0
    assert p2p_config(parse_args(["--connect", "1.2.3.4", "--listen", "1"])).listen
    nothing = p2p_config(parse_args(["--connect", "0"]))
    assert nothing.connect == ()
    assert nothing.max_outbound == 0


def test_tuning_options() -> None:
    argv = "--port 0 --bind 127.0.0.1 --maxconnections 3 --maxoutbound 2 --txtrickle 0.1"
    args = parse_args([*argv.split(), "--peertimeout", "30"])
    config = p2p_config(args)
    assert (config.port, config.bind, config.max_inbound) == (0, ("127.0.0.1",), 3)
    assert config.max_outbound == 2
    assert config.tx_trickle_inbound == config.tx_trickle_outbound == 0.1
    assert config.timeout == 30


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--maxconnections", "-1"], "must not be negative"),
        (["--txtrickle", "-1"], "--txtrickle must be between"),
        (["--peertimeout", "0"], "--peertimeout must be at least"),
        (["--addnode", "example.com"], "is not an IP address"),
        (["--connect", "1.2.3.4:99999"], "port must be 1..65535"),
        (["--bind", "nowhere"], "--bind"),
        (["--listen", "2"], "invalid choice"),
    ],
)
def test_bad_options_are_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert message in capsys.readouterr().err
