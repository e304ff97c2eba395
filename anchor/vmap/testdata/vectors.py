#!/usr/bin/env python3
"""Writes vectors.json: test vectors for package vmap, from this
independent implementation of the specification in the package comment
(../vmap.go) and docs/receipt.md §6.3.

Run from this folder: python3 vectors.py > vectors.json
TestVectors checks the Go implementation against the file, and, when
python3 is installed, that this script still writes the same bytes.
"""
import hashlib
import json

EMPTY = bytes(32)


def bit(k, i):
    return (k[i // 8] >> (7 - i % 8)) & 1


def leaf(k, v):
    return hashlib.sha256(b"\x00" + k + v).digest()


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def subtree(pairs, d):
    """Hash of the subtree at depth d holding pairs (a dict key -> value)."""
    if not pairs:
        return EMPTY
    if len(pairs) == 1:
        (k, v), = pairs.items()
        return leaf(k, v)
    left = {k: v for k, v in pairs.items() if bit(k, d) == 0}
    right = {k: v for k, v in pairs.items() if bit(k, d) == 1}
    return node(subtree(left, d + 1), subtree(right, d + 1))


def prove(pairs, key):
    """Walks key's path down to the first subtree with at most one key."""
    siblings = []
    d = 0
    while len(pairs) >= 2:
        same = {k: v for k, v in pairs.items() if bit(k, d) == bit(key, d)}
        other = {k: v for k, v in pairs.items() if bit(k, d) != bit(key, d)}
        siblings.append(subtree(other, d + 1).hex())
        pairs = same
        d += 1
    proof = {"key": key.hex(), "value": None, "other": None, "siblings": siblings}
    if pairs:
        (k, v), = pairs.items()
        if k == key:
            proof["value"] = v.hex()
        else:
            proof["other"] = {"key": k.hex(), "value": v.hex()}
    return proof


def key(first, last=0):
    return bytes([first]) + bytes(30) + bytes([last])


def val(i):
    return hashlib.sha256(b"value %d" % i).digest()


def case(name, keys, probes):
    pairs = {k: val(i) for i, k in enumerate(keys)}
    return {
        "name": name,
        "pairs": [{"key": k.hex(), "value": v.hex()} for k, v in pairs.items()],
        "root": subtree(pairs, 0).hex(),
        "proofs": [prove(pairs, k) for k in list(pairs) + probes],
    }


rand = [hashlib.sha256(b"key %d" % i).digest() for i in range(16)]
cases = [
    case("empty", [], [key(0)]),
    case("one key", [key(0x5a)], [key(0x5b)]),
    case("two keys, split at depth 0", [key(0x00), key(0x80)], [key(0x40), key(0xc0)]),
    case("two keys, split at depth 1", [key(0x00), key(0x40)], [key(0x80), key(0x20)]),
    case("three keys", [key(0x00), key(0x40), key(0x80)], [key(0x20), key(0xc0), key(0x60)]),
    case("last bit differs (depth 256)", [key(0, 0), key(0, 1)], [key(0, 2), key(0x80)]),
    case("sixteen keys", rand, [hashlib.sha256(b"absent %d" % i).digest() for i in range(4)]),
]
print(json.dumps({"vectors": cases}, indent=1))
