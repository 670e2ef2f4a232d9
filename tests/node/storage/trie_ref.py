"""A naive reference of the state trie, written from docs/protocol/trie.md only.

Nothing here imports node.storage.trie*: the root of a key -> value map is computed by a
straightforward recursion over the sorted paths, nibbles are lists of ints, and the node
encodings are assembled byte by byte, so the optimised implementation is checked against an
independent reading of the documented format. Also: a dict-backed store and a walker that
lists every node reachable from a root (for the pruning tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import blake3


def H(data: bytes) -> bytes:
    return blake3.blake3(data).digest()


EMPTY = bytes(32)


def ref_path(key: bytes) -> list[int]:
    """The 64 nibbles of BLAKE3(key), high nibble of each byte first."""
    nibbles: list[int] = []
    for byte in H(key):
        nibbles += [byte >> 4, byte & 0x0F]
    return nibbles


def hex_path(path_hex: str) -> list[int]:
    return [int(c, 16) for c in path_hex]


def pack(nibbles: list[int]) -> bytes:
    """Nibble count u8, then the nibbles two per byte, high first, odd tail padded with 0."""
    out = bytearray([len(nibbles)])
    for i in range(0, len(nibbles), 2):
        high = nibbles[i]
        low = nibbles[i + 1] if i + 1 < len(nibbles) else 0
        out.append(high << 4 | low)
    return bytes(out)


def compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def leaf(rest: list[int], value: bytes) -> bytes:
    return b"\x00" + pack(rest) + compact_size(len(value)) + value


def extension(nibbles: list[int], child: bytes) -> bytes:
    return b"\x01" + pack(nibbles) + child


def branch(children: dict[int, bytes]) -> bytes:
    bitmap = 0
    for nibble in children:
        bitmap |= 1 << nibble
    return b"\x02" + bitmap.to_bytes(2, "little") + b"".join(children[n] for n in sorted(children))


def _node(entries: list[tuple[list[int], bytes]], depth: int) -> bytes:
    """Encoding of the subtree holding ``entries`` (paths all equal before ``depth``)."""
    if len(entries) == 1:
        path, value = entries[0]
        return leaf(path[depth:], value)
    fork = depth
    while len({tuple(path[: fork + 1]) for path, _ in entries}) == 1:
        fork += 1
    groups: dict[int, list[tuple[list[int], bytes]]] = {}
    for path, value in entries:
        groups.setdefault(path[fork], []).append((path, value))
    node = branch({n: H(_node(group, fork + 1)) for n, group in groups.items()})
    if fork > depth:
        return extension(entries[0][0][depth:fork], H(node))
    return node


def ref_root_of_paths(entries: Iterable[tuple[list[int], bytes]]) -> bytes:
    items = list(entries)
    if not items:
        return EMPTY
    return H(_node(items, 0))


def ref_root(state: dict[bytes, bytes], path: Callable[[bytes], list[int]] = ref_path) -> bytes:
    """The documented root of ``state`` (32 zero bytes when empty)."""
    return ref_root_of_paths((path(k), v) for k, v in state.items())


class DictStore(dict[bytes, bytes]):
    """The trie's KVStore over a dict."""

    def put(self, key: bytes, value: bytes) -> None:
        assert isinstance(key, bytes)
        assert isinstance(value, bytes)
        self[key] = value

    def delete(self, key: bytes) -> None:
        del self[key]


def node_hashes(store: dict[bytes, bytes]) -> set[bytes]:
    """Hashes of every node in the store (keys b"n" + hash)."""
    return {k[1:] for k in store if k[:1] == b"n"}


def reachable(store: dict[bytes, bytes], root: bytes) -> list[bytes]:
    """Every node hash reachable from ``root`` (with multiplicity), decoding per the docs."""
    if root == EMPTY:
        return []
    out: list[bytes] = []
    todo = [root]
    while todo:
        h = todo.pop()
        out.append(h)
        enc = store[b"n" + h][4:]
        assert H(enc) == h, "stored node does not hash to its key"
        tag = enc[0]
        if tag == 1:
            todo.append(enc[-32:])
        elif tag == 2:
            count = int.from_bytes(enc[1:3], "little").bit_count()
            todo += [enc[3 + 32 * i : 35 + 32 * i] for i in range(count)]
    return out


def ref_proof(state: dict[bytes, bytes], key: bytes) -> list[bytes]:
    """The documented proof of ``key``: node encodings from the root down its path."""
    entries = [(ref_path(k), v) for k, v in state.items()]
    target = ref_path(key)
    proof: list[bytes] = []
    depth = 0
    while entries:
        if len(entries) == 1:
            proof.append(_node(entries, depth))
            break
        fork = depth
        while len({tuple(path[: fork + 1]) for path, _ in entries}) == 1:
            fork += 1
        node = _node(entries, depth)
        if fork > depth:
            proof.append(node)
            if target[depth:fork] != entries[0][0][depth:fork]:
                break
            node = _node(entries, fork)
        proof.append(node)
        entries = [(path, value) for path, value in entries if path[fork] == target[fork]]
        depth = fork + 1
    return proof
