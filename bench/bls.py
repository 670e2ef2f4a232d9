"""BLS12-381 benchmark: signature verifications per second on each backend, and their ratio.

``run()`` returns a JSON-ready dict; it takes about 10 s (py_ecc needs ~0.25 s per
verification, so its loop is time-boxed). Also measures, on the fast backend, the quorum-sized
operations the node runs per block: a 50-key fast_aggregate_verify and a 30-of-50 threshold
signature recovery.
"""

import json
import time
from collections.abc import Callable
from typing import Any

from node.crypto.bls import BackendUnavailable, BLSBackend, get_backend

_MSG = b"\x5a" * 32


def _rate(fn: Callable[[], object], min_seconds: float, min_runs: int = 3) -> float:
    """Calls per second of ``fn``, running it for at least ``min_seconds`` and ``min_runs``."""
    runs = 0
    start = time.perf_counter()
    elapsed = 0.0
    while runs < min_runs or elapsed < min_seconds:
        fn()
        runs += 1
        elapsed = time.perf_counter() - start
    return runs / elapsed


def _verify_rate(backend: BLSBackend, seconds: float) -> float:
    sk = backend.keygen(b"bench-bls-verify-key-material-32")
    pk = backend.sk_to_pk(sk)
    sig = backend.sign(sk, _MSG)
    assert backend.verify(pk, _MSG, sig)
    return _rate(lambda: backend.verify(pk, _MSG, sig), seconds)


def _quorum_figures(backend: BLSBackend, size: int = 50, threshold: int = 30) -> dict[str, float]:
    sks = [backend.keygen(i.to_bytes(32, "big")) for i in range(1, size + 1)]
    pks = [backend.sk_to_pk(sk) for sk in sks]
    agg = backend.aggregate([backend.sign(sk, _MSG) for sk in sks])
    assert backend.fast_aggregate_verify(pks, _MSG, agg)
    # a threshold polynomial: shares at ids 1..size of a degree threshold-1 polynomial
    coeffs = sks[:threshold]
    shares = [
        (i, backend.sign(backend.poly_eval_scalar(coeffs, i), _MSG)) for i in range(1, size + 1)
    ]
    assert backend.recover_g2(shares[:threshold]) == backend.sign(coeffs[0], _MSG)
    return {
        f"fast_aggregate_verify_{size}_per_s": round(
            _rate(lambda: backend.fast_aggregate_verify(pks, _MSG, agg), 0.5), 1
        ),
        f"recover_g2_{threshold}_of_{size}_per_s": round(
            _rate(lambda: backend.recover_g2(shares[:threshold]), 0.5), 1
        ),
    }


def run() -> dict[str, Any]:
    """Measure verify/s per installed backend; ``ratio`` = fast / reference when both exist."""
    out: dict[str, Any] = {"ciphersuite": "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"}
    rates: dict[str, float] = {}
    for name, seconds in (("arkworks", 2.0), ("py_ecc", 3.0)):
        try:
            backend = get_backend(name)
        except BackendUnavailable:
            out[f"{name}_verify_per_s"] = None
            continue
        rates[name] = _verify_rate(backend, seconds)
        out[f"{name}_verify_per_s"] = round(rates[name], 2)
    if "arkworks" in rates and "py_ecc" in rates:
        out["ratio_arkworks_over_py_ecc"] = round(rates["arkworks"] / rates["py_ecc"], 1)
    default = get_backend()
    out["default_backend"] = default.name
    out.update({f"{default.name}_{k}": v for k, v in _quorum_figures(default).items()})
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
