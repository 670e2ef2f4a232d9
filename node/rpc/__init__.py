"""JSON-RPC interface of the node (SPEC §9): HTTP server, dispatcher, methods, client and CLI.

`node.rpc.client.RpcClient` is the only piece the web side may import (stdlib only).
"""
