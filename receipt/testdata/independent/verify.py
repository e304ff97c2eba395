#!/usr/bin/env python3
"""An independent verifier of Custos receipts, written from docs/receipt.md,
docs/custody-events.md and docs/evidence-records.md alone (not from the Go code).

    verify.py VECTORS_DIR [TRANSITIONS_DIR]
        run every vector of VECTORS_DIR/vectors.json (receipt.md §7), and the
        cases of TRANSITIONS_DIR/cases.json and its receipts (§8.4)
    verify.py --receipt R --trust T [--file F] [--transitions COMPANION]
        verify one receipt

Standard library plus the `cryptography` package (Ed25519, ECDSA, RSA; any
version from 38 on). Receipts and bundles this verifier cannot check (the `sm`
suite: SM2 signatures) are reported as SKIP, never as valid.
"""

import base64
import binascii
import datetime
import hashlib
import json
import re
import struct
import sys
import warnings

warnings.filterwarnings("ignore")  # cryptography's deprecation warnings (naive datetimes)

from cryptography import x509  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa  # noqa: E402


class Fail(Exception):
    """Verification failed at a step."""

    def __init__(self, step, msg):
        super().__init__("%s: %s" % (step, msg))
        self.step = step
        self.msg = msg


class Skip(Exception):
    """This verifier cannot check the receipt (and says why)."""


MAX_RECEIPT = 64 << 20
MAX_TRANSITIONS = 1000
HEX64 = re.compile(r"[0-9a-f]{64}")
EVID = re.compile(r"[a-z2-7]{26}")
TYPE_RE = re.compile(r"[a-z][a-z_.]{0,31}")
ACTOR_RE = re.compile(r"[A-Za-z0-9:._@-]{1,128}")
TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{9})Z")
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1


def sha256(b):
    return hashlib.sha256(b).digest()


def is_int(v):
    return type(v) is int


# ---------------------------------------------------------------- JSON (Go encoding/json spelling)

def go_str(s):
    """A JSON string as Go's encoding/json writes it (HTML-safe), UTF-8 bytes."""
    out = json.dumps(s, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        out = out.replace(ch, esc)
    return out.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate


def _no_dups(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("member %r repeated" % k)
        d[k] = v
    return d


def _no_float(s):
    raise ValueError("number %s is not an integer" % s)


def _no_const(s):
    raise ValueError("%s is not JSON" % s)


def strict_json(b):
    """Parse JSON bytes: UTF-8, no repeated member, integers only."""
    text = b.decode("utf-8")  # strict: invalid UTF-8 raises
    return json.loads(text, object_pairs_hook=_no_dups, parse_float=_no_float,
                      parse_constant=_no_const)


def enc_obj(members):
    """members: list of (name, bytes of value); writes {"a":v,...}."""
    return b"{" + b",".join(go_str(k) + b":" + v for k, v in members) + b"}"


def enc_int(v):
    return str(v).encode()


def enc_strs(lst):
    return b"[" + b",".join(go_str(s) for s in lst) + b"]"


def canonical_b64(s):
    """Decode canonical standard padded base64 (RFC 4648 §4), non-empty; None if not canonical."""
    if not isinstance(s, str) or s == "":
        return None
    try:
        raw = base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    if base64.b64encode(raw).decode() != s:
        return None
    return raw


# ---------------------------------------------------------------- custody events (custody-events.md)

EVENT_ORDER = ["v", "evidence", "seq", "type", "time", "actor", "prev", "sha256", "sm3", "size",
               "media_type", "tokens", "subject", "reads", "since"]
AUDIT_PREFIXES = ("org.", "key.", "webhook.", "copyright.offer_")


def is_audit_type(t):
    return t.startswith(AUDIT_PREFIXES)


def check_time(s):
    m = TIME_RE.fullmatch(s) if isinstance(s, str) else None
    if not m:
        raise ValueError("time %r is not of the form 2006-01-02T15:04:05.000000000Z" % s)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    try:
        datetime.datetime(max(y, 1), mo, d, h, mi, se)
    except ValueError:
        raise ValueError("time %r is not a real date and time" % s)


def encode_event(ev):
    parts = []
    for k in EVENT_ORDER:
        if k not in ev:
            continue
        v = ev[k]
        if k in ("v", "seq", "size", "reads"):
            parts.append((k, enc_int(v)))
        elif k == "tokens":
            parts.append((k, enc_strs(v)))
        else:
            parts.append((k, go_str(v)))
    return enc_obj(parts)


def decode_event(b):
    """Strict parsing of custody-events.md; returns the event dict or raises ValueError."""
    if len(b) > 64 << 10:
        raise ValueError("event over 64 KiB")
    ev = strict_json(b)
    if not isinstance(ev, dict):
        raise ValueError("not a JSON object")
    extra = set(ev) - set(EVENT_ORDER)
    if extra:
        raise ValueError("unknown member(s) %s" % sorted(extra))
    for k in ("v", "evidence", "seq", "type", "time", "actor"):
        if k not in ev:
            raise ValueError("member %s missing" % k)
    v, seq, typ = ev["v"], ev["seq"], ev["type"]
    if not is_int(v) or v not in (1, 2):
        raise ValueError("v %r" % v)
    if not isinstance(ev["evidence"], str) or not EVID.fullmatch(ev["evidence"]):
        raise ValueError("evidence %r" % ev["evidence"])
    if not is_int(seq) or not 0 <= seq < 1 << 32:
        raise ValueError("seq %r" % seq)
    if not isinstance(typ, str) or not TYPE_RE.fullmatch(typ):
        raise ValueError("type %r" % typ)
    if (typ in ("created", "org.created")) != (seq == 0):
        raise ValueError("type %s at seq %d" % (typ, seq))
    check_time(ev["time"])
    if not isinstance(ev["actor"], str) or not ACTOR_RE.fullmatch(ev["actor"]):
        raise ValueError("actor %r" % ev["actor"])
    if ("prev" in ev) != (seq > 0):
        raise ValueError("prev present if and only if seq > 0")
    if "prev" in ev and not (isinstance(ev["prev"], str) and HEX64.fullmatch(ev["prev"])):
        raise ValueError("prev %r" % ev["prev"])
    digest_members = ("sha256", "sm3", "size", "media_type", "tokens")
    if typ == "created":
        for k in ("sha256", "size", "media_type", "tokens"):
            if k not in ev:
                raise ValueError("created event without %s" % k)
        for k in ("sha256", "sm3"):
            if k in ev and not (isinstance(ev[k], str) and HEX64.fullmatch(ev[k])):
                raise ValueError("%s %r" % (k, ev[k]))
        if not is_int(ev["size"]) or not 0 < ev["size"] <= INT64_MAX:
            raise ValueError("size %r" % ev["size"])
        mt = ev["media_type"]
        if not isinstance(mt, str) or not 1 <= len(mt.encode("utf-8", "surrogatepass")) <= 255:
            raise ValueError("media_type")
        toks = ev["tokens"]
        if not isinstance(toks, list) or not toks or not all(
                isinstance(t, str) and HEX64.fullmatch(t) for t in toks):
            raise ValueError("tokens")
    else:
        for k in digest_members:
            if k in ev:
                raise ValueError("%s on a %s event" % (k, typ))
    if "subject" in ev and not isinstance(ev["subject"], str):
        raise ValueError("subject")
    if (v == 2) != ("reads" in ev) or ("since" in ev) != ("reads" in ev):
        raise ValueError("v 2 if and only if reads and since")
    if v == 2:
        if typ not in ("viewed", "downloaded", "listed"):
            raise ValueError("folded read of type %s" % typ)
        if not is_int(ev["reads"]) or not 2 <= ev["reads"] <= INT64_MAX:
            raise ValueError("reads %r" % ev["reads"])
        check_time(ev["since"])
        if ev["since"] > ev["time"]:
            raise ValueError("since after time")
    if encode_event(ev) != b:
        raise ValueError("not the canonical encoding")
    return ev


HEAD_ORDER = ["v", "evidence", "count", "root", "types"]


def decode_head(b):
    """custody-events.md § Custody heads."""
    h = strict_json(b)
    if not isinstance(h, dict) or set(h) != set(HEAD_ORDER):
        raise ValueError("not a custody head's members")
    if not is_int(h["v"]) or h["v"] != 1:
        raise ValueError("v")
    if not isinstance(h["evidence"], str) or not EVID.fullmatch(h["evidence"]):
        raise ValueError("evidence")
    if not is_int(h["count"]) or h["count"] < 1:
        raise ValueError("count")
    if not isinstance(h["root"], str) or not HEX64.fullmatch(h["root"]):
        raise ValueError("root")
    types = h["types"]
    if not isinstance(types, dict):
        raise ValueError("types")
    for k, n in types.items():
        if not TYPE_RE.fullmatch(k) or not is_int(n) or n < 1:
            raise ValueError("types[%s]" % k)
    if sum(types.values()) != h["count"]:
        raise ValueError("types do not add up to count")
    keys = sorted(types, key=lambda k: k.encode())
    enc = enc_obj([("v", b"1"), ("evidence", go_str(h["evidence"])), ("count", enc_int(h["count"])),
                   ("root", go_str(h["root"])),
                   ("types", enc_obj([(k, enc_int(types[k])) for k in keys]))])
    if enc != b:
        raise ValueError("not the canonical encoding")
    return h


# ---------------------------------------------------------------- step format (receipt.md §1, §3.1 checks 1-5, §6, §8.2, §9)

def _fmt(cond, msg):
    if not cond:
        raise Fail("format", "malformed receipt: " + msg)


def _members(obj, allowed, required, where):
    _fmt(isinstance(obj, dict), "%s is not an object" % where)
    extra = set(obj) - set(allowed)
    _fmt(not extra, "unknown member(s) %s in %s" % (sorted(extra), where))
    for k in required:
        _fmt(k in obj, "%s.%s missing" % (where, k))


def _hexlist(v, where):
    _fmt(isinstance(v, list), "%s is not an array" % where)
    for h in v:
        _fmt(isinstance(h, str) and HEX64.fullmatch(h) is not None, "%s: %r is not 64 lowercase hex digits" % (where, h))


def _uint(v, where, lo=0, hi=UINT64_MAX):
    _fmt(is_int(v) and lo <= v <= hi, "%s = %r" % (where, v))


def _b64(v, where):
    raw = canonical_b64(v)
    _fmt(raw is not None, "%s is not canonical standard base64" % where)
    return raw


def parse_receipt(b):
    """Checks 1-5: returns the decoded receipt (a dict) or raises Fail('format')."""
    _fmt(len(b) <= MAX_RECEIPT, "over 64 MiB")
    try:
        r = strict_json(b)
    except (ValueError, UnicodeDecodeError) as e:
        raise Fail("format", "malformed receipt: %s" % e)
    _members(r, ["version", "evidence", "timestamps", "events", "custody", "checkpoint", "evidence_record"],
             ["version", "evidence", "timestamps", "events", "checkpoint"], "receipt")
    ver = r["version"]
    _fmt(is_int(ver) and 1 <= ver <= 5, "version %r" % ver)
    ev = r["evidence"]
    _members(ev, ["id", "sha256", "sm3", "size", "media_type"], ["id", "sha256", "size", "media_type"], "evidence")
    _fmt(isinstance(ev["id"], str) and EVID.fullmatch(ev["id"]) is not None, "evidence.id")
    _fmt(isinstance(ev["sha256"], str) and HEX64.fullmatch(ev["sha256"]) is not None, "evidence.sha256")
    if "sm3" in ev:
        _fmt(isinstance(ev["sm3"], str) and HEX64.fullmatch(ev["sm3"]) is not None, "evidence.sm3")
    _uint(ev["size"], "evidence.size", 1, INT64_MAX)
    _fmt(isinstance(ev["media_type"], str) and 1 <= len(ev["media_type"].encode("utf-8", "surrogatepass")) <= 255,
         "evidence.media_type")
    _fmt(isinstance(r["timestamps"], list) and r["timestamps"], "timestamps empty")
    r["_tokens"] = [_b64(t, "timestamps[%d]" % i) for i, t in enumerate(r["timestamps"])]
    _fmt(isinstance(r["events"], list) and r["events"], "events empty")
    for i, e in enumerate(r["events"]):
        _members(e, ["event", "leaf_index", "proof", "item_proof"], ["event", "leaf_index", "proof"], "events[%d]" % i)
        _fmt(isinstance(e["event"], str) and e["event"] != "", "events[%d].event empty" % i)
        _uint(e["leaf_index"], "events[%d].leaf_index" % i)
        _hexlist(e["proof"], "events[%d].proof" % i)
        if "item_proof" in e:
            _fmt(ver >= 2, "item_proof in version 1")
            _hexlist(e["item_proof"], "events[%d].item_proof" % i)
    cp = r["checkpoint"]
    _members(cp, ["chain_id", "height", "tree_size", "root", "state_root", "heads_since", "signed_header",
                  "validator_set", "transitions"],
             ["chain_id", "height", "tree_size", "root", "signed_header", "validator_set"], "checkpoint")
    _fmt(isinstance(cp["chain_id"], str) and cp["chain_id"] != "", "checkpoint.chain_id empty")
    _uint(cp["height"], "checkpoint.height", 2, INT64_MAX)
    _uint(cp["tree_size"], "checkpoint.tree_size", 1)
    _fmt(isinstance(cp["root"], str) and HEX64.fullmatch(cp["root"]) is not None, "checkpoint.root")
    r["_signed_header"] = _b64(cp["signed_header"], "checkpoint.signed_header")
    r["_validator_set"] = _b64(cp["validator_set"], "checkpoint.validator_set")
    # version rules (check 3)
    if ver == 1:
        _fmt("custody" not in r and "state_root" not in cp, "version 1 with custody or state_root")
    else:
        _fmt("custody" in r and "state_root" in cp, "version %d without custody or state_root" % ver)
        _fmt(isinstance(cp["state_root"], str) and HEX64.fullmatch(cp["state_root"]) is not None,
             "checkpoint.state_root")
        cu = r["custody"]
        _members(cu, ["head", "proof", "other"], ["head", "proof"], "custody")
        _fmt(isinstance(cu["head"], str), "custody.head")
        _hexlist(cu["proof"], "custody.proof")
        if ver == 2:
            _fmt(cu["head"] != "", "version 2 without a head")
        if "other" in cu:
            _fmt(ver >= 3 and cu["head"] == "", "custody.other beside a head or in version 2")
            _hexlist(cu["other"], "custody.other")
            _fmt(len(cu["other"]) == 2, "custody.other is not [key, value]")
    _fmt(("heads_since" in cp) == (ver >= 3), "heads_since present if and only if version >= 3")
    if "heads_since" in cp:
        _uint(cp["heads_since"], "checkpoint.heads_since")
    if ver == 4:
        _fmt("transitions" in cp, "version 4 without transitions")
    if "transitions" in cp:
        _fmt(ver in (4, 5), "transitions in version %d" % ver)
        tr = cp["transitions"]
        _fmt(isinstance(tr, list) and tr, "transitions empty")
        _fmt(len(tr) <= MAX_TRANSITIONS, "more than %d transitions" % MAX_TRANSITIONS)
        for i, t in enumerate(tr):
            _members(t, ["height", "signed_header", "next_validator_set", "validator_set"],
                     ["height", "signed_header", "next_validator_set"], "transitions[%d]" % i)
            _uint(t["height"], "transitions[%d].height" % i, 1, INT64_MAX)
            for k in ("signed_header", "next_validator_set", "validator_set"):
                if k in t:
                    _b64(t[k], "transitions[%d].%s" % (i, k))
    _fmt(("evidence_record" in r) == (ver == 5), "evidence_record present if and only if version 5")
    if ver == 5:
        raw = _b64(r["evidence_record"], "evidence_record")
        _fmt(len(raw) <= 4 << 20, "evidence_record over 4 MiB")
        r["_evidence_record"] = raw
    # check 5: the one spelling
    try:
        enc = encode_receipt(r)
    except UnicodeEncodeError:
        raise Fail("format", "malformed receipt: a string is not valid Unicode")
    _fmt(enc == b, "not the canonical encoding of the receipt")
    return r


def encode_receipt(r):
    ev = r["evidence"]
    evm = [("id", go_str(ev["id"])), ("sha256", go_str(ev["sha256"]))]
    if ev.get("sm3"):
        evm.append(("sm3", go_str(ev["sm3"])))
    evm += [("size", enc_int(ev["size"])), ("media_type", go_str(ev["media_type"]))]
    events = []
    for e in r["events"]:
        m = [("event", go_str(e["event"])), ("leaf_index", enc_int(e["leaf_index"])), ("proof", enc_strs(e["proof"]))]
        if e.get("item_proof"):
            m.append(("item_proof", enc_strs(e["item_proof"])))
        events.append(enc_obj(m))
    top = [("version", enc_int(r["version"])), ("evidence", enc_obj(evm)),
           ("timestamps", enc_strs(r["timestamps"])), ("events", b"[" + b",".join(events) + b"]")]
    if "custody" in r:
        cu = r["custody"]
        m = [("head", go_str(cu["head"])), ("proof", enc_strs(cu["proof"]))]
        if cu.get("other"):
            m.append(("other", enc_strs(cu["other"])))
        top.append(("custody", enc_obj(m)))
    cp = r["checkpoint"]
    m = [("chain_id", go_str(cp["chain_id"])), ("height", enc_int(cp["height"])),
         ("tree_size", enc_int(cp["tree_size"])), ("root", go_str(cp["root"]))]
    if cp.get("state_root"):
        m.append(("state_root", go_str(cp["state_root"])))
    if "heads_since" in cp:
        m.append(("heads_since", enc_int(cp["heads_since"])))
    m += [("signed_header", go_str(cp["signed_header"])), ("validator_set", go_str(cp["validator_set"]))]
    if cp.get("transitions"):
        ts = []
        for t in cp["transitions"]:
            tm = [("height", enc_int(t["height"])), ("signed_header", go_str(t["signed_header"])),
                  ("next_validator_set", go_str(t["next_validator_set"]))]
            if t.get("validator_set"):
                tm.append(("validator_set", go_str(t["validator_set"])))
            ts.append(enc_obj(tm))
        m.append(("transitions", b"[" + b",".join(ts) + b"]"))
    top.append(("checkpoint", enc_obj(m)))
    if r.get("evidence_record"):
        top.append(("evidence_record", go_str(r["evidence_record"])))
    return enc_obj(top)


# ---------------------------------------------------------------- step digest (checks 6-8)

def sm3_hex(data):
    try:
        return hashlib.new("sm3", data).hexdigest()
    except ValueError:
        raise Skip("this Python's OpenSSL has no SM3 (needed for evidence.sm3)")


def check_digest(r, data):
    ev = r["evidence"]
    if hashlib.sha256(data).hexdigest() != ev["sha256"]:
        raise Fail("digest", "the file's SHA-256 digest differs from the receipt's")
    if "sm3" in ev and sm3_hex(data) != ev["sm3"]:
        raise Fail("digest", "the file's SM3 digest differs from the receipt's")
    if len(data) != ev["size"]:
        raise Fail("digest", "the file's size differs from the receipt's")


# ---------------------------------------------------------------- step custody (checks 9-11, §6.4)

def check_custody(r):
    evs = []
    for i, e in enumerate(r["events"]):
        b = e["event"].encode("utf-8")
        try:
            evs.append(decode_event(b))
        except (ValueError, UnicodeDecodeError) as err:
            raise Fail("custody", "event %d: malformed custody event: %s" % (i, err))
        e["_bytes"] = b
        e["_ev"] = evs[-1]
    first = evs[0]
    audit = is_audit_type(first["type"])
    for i, ev in enumerate(evs):
        broken = "the events are not one unbroken chain at event %d" % i
        if r["version"] == 1:
            if ev["seq"] != i:
                raise Fail("custody", broken + ": seq %d, expected %d" % (ev["seq"], i))
        else:
            if i == 0 and ev["seq"] != 0:
                raise Fail("custody", broken + ": the first listed event is not seq 0")
            if i > 0 and ev["seq"] <= evs[i - 1]["seq"]:
                raise Fail("custody", broken + ": seqs do not increase")
        if ev["evidence"] != first["evidence"]:
            raise Fail("custody", broken + ": evidence %s, expected %s" % (ev["evidence"], first["evidence"]))
        if is_audit_type(ev["type"]) != audit:
            raise Fail("custody", broken + ": an event of another kind of chain")
        if i > 0 and ev["seq"] == evs[i - 1]["seq"] + 1:
            want = hashlib.sha256(r["events"][i - 1]["_bytes"]).hexdigest()
            if ev["prev"] != want:
                raise Fail("custody", broken + ": prev %s, expected %s" % (ev["prev"], want))
    if first["type"] != "created":
        raise Fail("custody", "the created event's type differs from the receipt's")
    rev = r["evidence"]
    for name, got, want in (("evidence", first["evidence"], rev["id"]), ("sha256", first["sha256"], rev["sha256"]),
                            ("sm3", first.get("sm3", ""), rev.get("sm3", "")), ("size", first["size"], rev["size"]),
                            ("media_type", first["media_type"], rev["media_type"]),
                            ("number of tokens", len(first["tokens"]), len(r["timestamps"]))):
        if got != want:
            raise Fail("custody", "the created event's %s differs from the receipt's" % name)
    return evs


# ---------------------------------------------------------------- RFC 6962 / RFC 9162

def leaf_hash(b):
    return sha256(b"\x00" + b)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def mth(leaves_hashes):
    """RFC 6962 §2.1 over leaf hashes; SHA-256('') for none."""
    n = len(leaves_hashes)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves_hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves_hashes[:k]), mth(leaves_hashes[k:]))


def proof_length(index, size):
    """The length of an RFC 6962 §2.1.1 audit path for leaf index in a tree of size leaves."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner + border


def root_from_proof(index, size, leaf, proof):
    """RFC 9162 §2.1.3.2; None when the path does not fit."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


# ---------------------------------------------------------------- step inclusion (checks 17-20)

def check_inclusion(r):
    cp = r["checkpoint"]
    root = bytes.fromhex(cp["root"])
    size = cp["tree_size"]
    for i, e in enumerate(r["events"]):
        idx = e["leaf_index"]
        if i > 0 and idx <= r["events"][i - 1]["leaf_index"]:
            raise Fail("inclusion", "event %d is not after event %d in the log" % (i, i - 1))
        if idx >= size:
            raise Fail("inclusion", "event %d lies beyond the checkpoint's log" % i)
        if len(e["proof"]) != proof_length(idx, size):
            raise Fail("inclusion", "event %d: expected an audit path for leaf %d of %d" % (i, idx, size))
        got = root_from_proof(idx, size, leaf_hash(e["_bytes"]), [bytes.fromhex(p) for p in e["proof"]])
        if got != root:
            raise Fail("inclusion", "event %d and its audit path lead to another root than the checkpoint's" % i)


# ---------------------------------------------------------------- step completeness (§6.3, §6.4, §6.6)

EMPTY32 = bytes(32)


def smt_leaf(k, v):
    return sha256(b"\x00" + k + v)


def bit(key, i):
    return (key[i // 8] >> (7 - i % 8)) & 1


def smt_fold(key, h, siblings):
    for i in range(len(siblings) - 1, -1, -1):
        h = node_hash(h, siblings[i]) if bit(key, i) == 0 else node_hash(siblings[i], h)
    return h


def head_key(evid):
    return sha256(b"custos custody head v1\x00" + evid.encode())


def bound_head_key(hk, first):
    return sha256(b"custos custody head v3\x00" + hk + struct.pack(">Q", first))


def _cmpl(cond, msg):
    if not cond:
        raise Fail("completeness", msg)


def check_completeness(r, evs):
    cu, cp = r["custody"], r["checkpoint"]
    state_root = bytes.fromhex(cp["state_root"])
    siblings = [bytes.fromhex(p) for p in cu["proof"]]
    key = head_key(r["evidence"]["id"])
    if r["version"] >= 3:
        key = bound_head_key(key, r["events"][0]["leaf_index"])
    _cmpl(len(siblings) <= 256, "the state proof has more than 256 siblings")
    if cu["head"] == "":
        # §6.6: non-membership
        _cmpl(not siblings or siblings[-1] != EMPTY32, "the non-membership proof's last sibling is empty")
        if "other" in cu:
            ok, ov = bytes.fromhex(cu["other"][0]), bytes.fromhex(cu["other"][1])
            _cmpl(ok != key, "custody.other names the item's own key")
            _cmpl(all(bit(ok, i) == bit(key, i) for i in range(len(siblings))),
                  "custody.other is not on the key's path")
            h = smt_leaf(ok, ov)
        else:
            h = EMPTY32
        _cmpl(smt_fold(key, h, siblings) == state_root,
              "the non-membership proof does not lead to the state root")
        _cmpl(r["events"][0]["leaf_index"] >= cp["heads_since"],
              "no head for an item anchored before state version 3 began")
        _cmpl(len(evs) == 1, "the receipt lists %d events under an absent head" % len(evs))
        _cmpl("item_proof" not in r["events"][0], "an item proof under an absent head")
        return
    hb = cu["head"].encode("utf-8")
    try:
        head = decode_head(hb)
    except (ValueError, UnicodeDecodeError) as e:
        raise Fail("completeness", "the custody head is malformed: %s" % e)
    _cmpl(head["evidence"] == r["evidence"]["id"], "the custody head is another item's")
    _cmpl(not siblings or siblings[-1] != EMPTY32, "the membership proof's last sibling is empty")
    _cmpl(smt_fold(key, smt_leaf(key, sha256(hb)), siblings) == state_root,
          "the custody head's proof does not lead to the state root")
    count = head["count"]
    _cmpl(evs[-1]["seq"] < count, "event seq %d lies beyond the head's %d events" % (evs[-1]["seq"], count))
    listed = {}
    for ev in evs:
        listed[ev["type"]] = listed.get(ev["type"], 0) + 1
    if len(evs) == count:
        # §6.4 check 4: a complete list has one spelling, without item proofs; reported as step format
        for i, e in enumerate(r["events"]):
            if "item_proof" in e:
                raise Fail("format", "malformed receipt: events[%d].item_proof: a receipt that lists all of an "
                                     "item's events carries no item proofs" % i)
        _cmpl(mth([leaf_hash(e["_bytes"]) for e in r["events"]]) == bytes.fromhex(head["root"]),
              "the events' root is not the head's")
        for t in sorted(set(listed) | set(head["types"]), key=lambda k: k.encode()):
            _cmpl(listed.get(t, 0) == head["types"].get(t, 0), "the events' count of %s differs from the head's" % t)
        return
    root = bytes.fromhex(head["root"])
    for e, ev in zip(r["events"], evs):
        _cmpl("item_proof" in e, "the receipt's events stop short of the chain's custody head and do not "
                                 "prove what they leave out")
        p = [bytes.fromhex(x) for x in e["item_proof"]]
        _cmpl(len(p) == proof_length(ev["seq"], count) and
              root_from_proof(ev["seq"], count, leaf_hash(e["_bytes"]), p) == root,
              "event seq %d: its item proof does not lead to the head's root" % ev["seq"])
    for t in sorted(listed, key=lambda k: k.encode()):
        _cmpl(listed[t] <= head["types"].get(t, 0), "the receipt lists more %s events than the head counts" % t)


# ---------------------------------------------------------------- DER (X.690 §10)

class DERError(ValueError):
    pass


class TLV:
    __slots__ = ("tag", "raw", "content", "start")

    def __init__(self, tag, raw, content):
        self.tag, self.raw, self.content = tag, raw, content

    @property
    def constructed(self):
        return bool(self.tag & 0x20)

    def children(self):
        return der_list(self.content)


def der_read(b, pos=0):
    """One DER TLV at pos: (TLV, next pos). Definite, minimal lengths; low tag numbers only."""
    if pos + 2 > len(b):
        raise DERError("truncated")
    tag = b[pos]
    if tag & 0x1F == 0x1F:
        raise DERError("high tag number")
    n = b[pos + 1]
    p = pos + 2
    if n < 0x80:
        length = n
    else:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise DERError("indefinite or too long length")
        if p + k > len(b):
            raise DERError("truncated length")
        length = int.from_bytes(b[p:p + k], "big")
        if length < 0x80 or b[p] == 0:
            raise DERError("non-minimal length")
        p += k
    if p + length > len(b):
        raise DERError("truncated content")
    return TLV(tag, b[pos:p + length], b[p:p + length]), p + length


def der_one(b, tag=None):
    t, end = der_read(b, 0)
    if end != len(b):
        raise DERError("trailing bytes")
    if tag is not None and t.tag != tag:
        raise DERError("tag 0x%02x, expected 0x%02x" % (t.tag, tag))
    return t


def der_list(b):
    out, pos = [], 0
    while pos < len(b):
        t, pos = der_read(b, pos)
        out.append(t)
    return out


def der_int(t):
    if t.tag != 0x02 or not t.content:
        raise DERError("not an INTEGER")
    c = t.content
    if len(c) > 1 and ((c[0] == 0 and c[1] < 0x80) or (c[0] == 0xFF and c[1] >= 0x80)):
        raise DERError("non-minimal INTEGER")
    return int.from_bytes(c, "big", signed=True)


def der_oid(t):
    if t.tag != 0x06 or not t.content:
        raise DERError("not an OID")
    parts, v = [], 0
    for i, byte in enumerate(t.content):
        if v == 0 and byte == 0x80:
            raise DERError("non-minimal OID")
        v = (v << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(v)
            v = 0
    first = parts[0]
    a = min(first // 40, 2)
    return ".".join(str(x) for x in [a, first - 40 * a] + parts[1:])


def der_time(t):
    s = t.content.decode("ascii")
    if t.tag == 0x18:  # GeneralizedTime
        m = re.fullmatch(r"(\d{14})(?:\.(\d*[1-9]))?Z", s)
        if not m:
            raise DERError("GeneralizedTime %r" % s)
        dt = datetime.datetime.strptime(m.group(1), "%Y%m%d%H%M%S")
        if m.group(2):
            dt += datetime.timedelta(microseconds=int((m.group(2) + "000000")[:6]))
        return dt
    if t.tag == 0x17:  # UTCTime
        m = re.fullmatch(r"(\d{12})Z", s)
        if not m:
            raise DERError("UTCTime %r" % s)
        y = int(s[:2])
        return datetime.datetime.strptime(("19" if y >= 50 else "20") + m.group(1), "%Y%m%d%H%M%S")
    raise DERError("not a time")


def der_alg(t):
    """AlgorithmIdentifier: (oid, raw parameters or None)."""
    c = t.children()
    if t.tag != 0x30 or not 1 <= len(c) <= 2:
        raise DERError("not an AlgorithmIdentifier")
    return der_oid(c[0]), (c[1].raw if len(c) == 2 else None)


OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_TSTINFO = "1.2.840.113549.1.9.16.1.4"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
OID_SIGNING_CERT = "1.2.840.113549.1.9.16.2.12"
OID_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"
OID_KP_TIMESTAMPING = "1.3.6.1.5.5.7.3.8"
OID_EKU = "2.5.29.37"
HASHES = {
    "2.16.840.1.101.3.4.2.1": hashlib.sha256,
    "2.16.840.1.101.3.4.2.2": hashlib.sha384,
    "2.16.840.1.101.3.4.2.3": hashlib.sha512,
    "1.3.14.3.2.26": hashlib.sha1,
}
CRYPTO_HASHES = {"2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
                 "2.16.840.1.101.3.4.2.3": hashes.SHA512, "1.3.14.3.2.26": hashes.SHA1}
OID_SM3 = "1.2.156.10197.1.401"
OID_SM2_SIG = "1.2.156.10197.1.501"


# ---------------------------------------------------------------- certificates

class Cert:
    """An X.509 certificate: cryptography's parse plus the raw names."""

    def __init__(self, der):
        self.der = der
        try:
            self.c = x509.load_der_x509_certificate(der)
        except Exception as e:  # ValueError, InvalidVersion
            raise DERError("certificate: %s" % e)
        outer = der_one(der, 0x30).children()
        tbs = outer[0].children()
        i = 1 if tbs[0].tag == 0xA0 else 0
        if tbs[i + 1].raw != outer[1].raw:  # RFC 5280 §4.1.1.2
            raise DERError("certificate: signatureAlgorithm differs from tbsCertificate.signature")
        self.serial = der_int(tbs[i])
        self.raw_issuer = tbs[i + 2].raw
        self.raw_subject = tbs[i + 4].raw
        spki = tbs[i + 5]
        self.spki_alg = der_oid(spki.children()[0].children()[0])
        if self.spki_alg in ("1.2.840.10045.2.1", "1.2.840.113549.1.1.1", "1.3.101.112"):
            try:  # a key of a known algorithm is parsed now (an EC point off its curve fails); others stay opaque
                self.public_key()
            except Skip:
                pass
        try:
            self.c.subject.rfc4514_string(), self.c.issuer.rfc4514_string()
            len(self.c.extensions)  # parses every extension it knows
        except Exception as e:  # ValueError, or a parse error of another kind
            raise DERError("certificate name or extension: %s" % e)

    def not_before(self):
        return self.c.not_valid_before

    def not_after(self):
        return self.c.not_valid_after

    def valid_at(self, t):
        return self.not_before() <= t <= self.not_after()

    def ext(self, oid):
        try:
            return self.c.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid))
        except x509.ExtensionNotFound:
            return None

    def public_key(self):
        if self.spki_alg == "1.2.840.10045.2.1":
            # an SM2 key is an id-ecPublicKey on the SM2 curve
            spki = der_one(self.der).children()[0].children()
            i = 1 if spki[0].tag == 0xA0 else 0
            params = spki[i + 5].children()[0].children()
            if len(params) > 1 and params[1].tag == 0x06 and der_oid(params[1]) == "1.2.156.10197.1.301":
                raise Skip("an SM2 certificate (sm suite): SM2 signatures are not implemented here")
        try:
            return self.c.public_key()
        except Exception as e:  # an unsupported or malformed key
            raise DERError("certificate public key: %s" % e)

    def cn(self):
        a = self.c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return a[0].value if a else ""


def load_pem_certs(pem):
    if not pem:
        return []
    out = []
    for m in re.finditer(r"-----BEGIN CERTIFICATE-----\s*(.*?)-----END CERTIFICATE-----", pem, re.S):
        out.append(Cert(base64.b64decode("".join(m.group(1).split()))))
    return out


def verify_sig(pub, sig, data, hash_oid):
    """True when sig is pub's signature over data with the digest hash_oid (ECDSA, RSA PKCS#1 v1.5, Ed25519)."""
    try:
        if isinstance(pub, ed25519.Ed25519PublicKey):
            pub.verify(sig, data)
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(sig, data, ec.ECDSA(CRYPTO_HASHES[hash_oid]()))
        elif isinstance(pub, rsa.RSAPublicKey):
            pub.verify(sig, data, padding.PKCS1v15(), CRYPTO_HASHES[hash_oid]())
        else:
            return False
        return True
    except (InvalidSignature, KeyError, ValueError):
        return False


# SignerInfo signature algorithms: the hash of the signature over the signed attributes
CMS_SIG_ALGS = {
    "1.2.840.10045.4.3.2": "2.16.840.1.101.3.4.2.1", "1.2.840.10045.4.3.3": "2.16.840.1.101.3.4.2.2",
    "1.2.840.10045.4.3.4": "2.16.840.1.101.3.4.2.3", "1.2.840.113549.1.1.11": "2.16.840.1.101.3.4.2.1",
}
SIG_ALG_HASH = {
    "1.2.840.10045.4.3.2": "2.16.840.1.101.3.4.2.1", "1.2.840.10045.4.3.3": "2.16.840.1.101.3.4.2.2",
    "1.2.840.10045.4.3.4": "2.16.840.1.101.3.4.2.3", "1.2.840.113549.1.1.11": "2.16.840.1.101.3.4.2.1",
    "1.2.840.113549.1.1.12": "2.16.840.1.101.3.4.2.2", "1.2.840.113549.1.1.13": "2.16.840.1.101.3.4.2.3",
    "1.3.101.112": None,
}


def cert_signed_by(child, parent):
    oid = child.c.signature_algorithm_oid.dotted_string
    if oid == OID_SM2_SIG:
        raise Skip("an SM2-signed certificate (sm suite): SM2 signatures are not implemented here")
    if oid not in SIG_ALG_HASH:
        return False
    try:
        pub = parent.public_key()
    except DERError:
        return False
    return verify_sig(pub, child.c.signature, child.c.tbs_certificate_bytes, SIG_ALG_HASH[oid])


def eku_oids(cert):
    e = cert.ext(OID_EKU)
    return None if e is None else [o.dotted_string for o in e.value]


def build_chain(leaf, intermediates, roots, at):
    """RFC 5280 §6.1 path validation (the parts a Go x509.Verify makes) at time `at`, for time-stamping.
    Returns the chain [leaf, ..., root] or raises ValueError naming why none fits."""
    reasons = []

    def ok_ca(c, depth_below):
        bc = c.ext("2.5.29.19")
        if bc is None or not bc.value.ca:
            return "not a CA"
        if bc.value.path_length is not None and depth_below > bc.value.path_length:
            return "path too long"
        ku = c.ext("2.5.29.15")
        if ku is not None and not ku.value.key_cert_sign:
            return "no keyCertSign"
        return None

    def eku_ok(chain):
        for c in chain:
            e = eku_oids(c)
            if e is not None and OID_KP_TIMESTAMPING not in e and "2.5.29.37.0" not in e:
                return False
        return True

    def walk(chain):
        cur = chain[-1]
        if not cur.valid_at(at):
            reasons.append("%s not valid at %s" % (cur.cn(), at))
            return None
        for root in roots:
            if root.raw_subject == cur.raw_issuer and cert_signed_by(cur, root):
                if not root.valid_at(at):
                    reasons.append("root not valid at %s" % at)
                    continue
                full = chain + [root]
                if eku_ok(full):
                    return full
                reasons.append("extended key usage")
        if len(chain) > 8:
            return None
        for im in intermediates:
            if im.raw_subject != cur.raw_issuer or any(im.der == c.der for c in chain):
                continue
            why = ok_ca(im, len(chain) - 1)
            if why:
                reasons.append(why)
                continue
            if not cert_signed_by(cur, im):
                continue
            got = walk(chain + [im])
            if got:
                return got
        return None

    got = walk([leaf])
    if got is None:
        raise ValueError("; ".join(reasons) or "chains to no root in the trust bundle")
    return got


def check_tsa_usage(cert):
    """RFC 3161 §2.3: exactly the critical extended key usage id-kp-timeStamping."""
    e = cert.ext(OID_EKU)
    if e is None:
        return "its certificate has no extended key usage"
    if not e.critical:
        return "its certificate's time-stamping usage is not critical"
    if [o.dotted_string for o in e.value] != [OID_KP_TIMESTAMPING]:
        return "its certificate's extended key usage is not exactly id-kp-timeStamping"
    return None


# ---------------------------------------------------------------- RFC 3161 tokens (CMS, RFC 5652)

class TokenError(Exception):
    """A token check failed; check is the receipt.md §3.1 number (13-16)."""

    def __init__(self, check, msg):
        super().__init__(msg)
        self.check = check


def parse_reply(reply):
    """Check 13: a granted DER TimeStampResp with a token; returns the token's DER ContentInfo."""
    try:
        resp = der_one(reply, 0x30)
        c = resp.children()
        if not 1 <= len(c) <= 2 or c[0].tag != 0x30:
            raise DERError("not a TimeStampResp")
        status = c[0].children()
        code = der_int(status[0])
        # PKIStatusInfo ::= SEQUENCE { status, statusString PKIFreeText OPTIONAL, failInfo BIT STRING OPTIONAL }
        rest = status[1:]
        if rest and rest[0].tag == 0x30:
            if not all(x.tag == 0x0C for x in rest[0].children()):
                raise DERError("statusString is not a SEQUENCE OF UTF8String")
            rest = rest[1:]
        if rest and rest[0].tag == 0x03:
            rest = rest[1:]
        if rest:
            raise DERError("malformed PKIStatusInfo")
    except (DERError, IndexError) as e:
        raise TokenError(13, "not a DER TimeStampResp: %s" % e)
    if code not in (0, 1):
        raise TokenError(13, "status %d: not granted" % code)
    if len(c) != 2:
        raise TokenError(13, "granted without a token")
    return c[1].raw


def parse_token(ci, extra_certs):
    """Check 14: the token's CMS structure and signature. Returns a dict with the TSTInfo's members
    (imprint_alg, imprint, gen_time), the signer certificate and the token's certificates."""
    try:
        return _parse_token(ci, extra_certs)
    except (TokenError, Skip):
        raise
    except Exception as e:  # DERError, IndexError, a parse error of cryptography's
        raise TokenError(14, "malformed token: %s" % e)


def _parse_token(ci, extra_certs):
    top = der_one(ci, 0x30).children()
    if der_oid(top[0]) != OID_SIGNED_DATA or top[1].tag != 0xA0:
        raise TokenError(14, "not a CMS SignedData")
    sd = der_one(top[1].content, 0x30).children()
    i = 3
    der_int(sd[0])
    if sd[1].tag != 0x31 or sd[2].tag != 0x30:
        raise TokenError(14, "malformed SignedData")
    econtent_info = sd[2].children()
    if len(econtent_info) != 2 or econtent_info[1].tag != 0xA0:
        raise TokenError(14, "malformed encapContentInfo")
    certs = []
    if sd[i].tag == 0xA0:
        certs = [Cert(c.raw) for c in sd[i].children()]
        i += 1
    if sd[i].tag == 0xA1:
        i += 1
    if sd[i].tag != 0x31 or i + 1 != len(sd):
        raise TokenError(14, "malformed SignedData")
    signers = sd[i].children()
    if len(signers) != 1:
        raise TokenError(14, "%d signers, expected exactly one" % len(signers))
    if der_oid(econtent_info[0]) != OID_TSTINFO:
        raise TokenError(14, "content type is not id-ct-TSTInfo")
    tst_der = der_one(econtent_info[1].content, 0x04).content
    si = signers[0].children()
    sid = si[1]
    if sid.tag != 0x30:
        raise TokenError(14, "signer not identified by issuer and serial number")
    sid_issuer, sid_serial = sid.children()[0].raw, der_int(sid.children()[1])
    digest_oid, _ = der_alg(si[2])
    if digest_oid == OID_SM3:
        raise Skip("an SM3/SM2 token (sm suite): SM2 signatures are not implemented here")
    if digest_oid not in HASHES:
        raise TokenError(14, "digest algorithm %s" % digest_oid)
    if si[3].tag != 0xA0:
        raise TokenError(14, "no signed attributes")
    attrs = {}
    for a in si[3].children():
        ac = a.children()
        oid = der_oid(ac[0])
        if oid in attrs:
            raise TokenError(14, "attribute %s repeated" % oid)
        vals = ac[1].children()
        if ac[1].tag != 0x31 or len(vals) != 1:
            raise TokenError(14, "attribute %s has not one value" % oid)
        attrs[oid] = vals[0]
    sig_alg = der_alg(si[4])[0]
    signature = der_one(si[5].raw, 0x04).content
    if sig_alg == OID_SM2_SIG:
        raise Skip("an SM2 token (sm suite): SM2 signatures are not implemented here")
    if sig_alg not in CMS_SIG_ALGS:
        raise TokenError(14, "signature algorithm %s" % sig_alg)
    if OID_CONTENT_TYPE not in attrs or der_oid(attrs[OID_CONTENT_TYPE]) != OID_TSTINFO:
        raise TokenError(14, "the signed contentType attribute is not id-ct-TSTInfo")
    if OID_MESSAGE_DIGEST not in attrs or der_one(attrs[OID_MESSAGE_DIGEST].raw, 0x04).content != \
            HASHES[digest_oid](tst_der).digest():
        raise TokenError(14, "the signed messageDigest attribute is not the TSTInfo's digest")
    pool = certs if certs else list(extra_certs)  # the token's own certificates; only without any, the bundle's
    signer = None
    for c in pool:
        if c.raw_issuer == sid_issuer and c.serial == sid_serial:
            signer = c
            break
    if signer is None:
        raise TokenError(14, "the signer certificate is not found")
    signed = b"\x31" + si[3].raw[1:]  # RFC 5652 §5.4: the signed attributes as a SET OF
    if not verify_sig(signer.public_key(), signature, signed, CMS_SIG_ALGS[sig_alg]):
        raise TokenError(14, "the signature does not verify")
    if OID_SIGNING_TIME in attrs:
        st = der_time(attrs[OID_SIGNING_TIME])
        if not signer.valid_at(st):
            raise TokenError(14, "the signingTime attribute lies outside the signer certificate's validity")
    check_ess(attrs, signer)
    tst = der_one(tst_der, 0x30).children()
    mi = tst[2].children()
    imprint_alg, _ = der_alg(mi[0])
    imprint = der_one(mi[1].raw, 0x04).content
    der_int(tst[3])
    gen_time = der_time(tst[4])
    if tst[4].tag != 0x18:
        raise TokenError(14, "genTime is not a GeneralizedTime")
    return {"imprint_alg": imprint_alg, "imprint": imprint, "gen_time": gen_time, "signer": signer,
            "certs": certs, "der": ci}


def check_ess(attrs, signer):
    """RFC 3161 §2.4.1, RFC 5035: the ESS signing-certificate(-v2) attribute names the signer."""
    if OID_SIGNING_CERT_V2 in attrs:
        ids = attrs[OID_SIGNING_CERT_V2].children()[0].children()
        first = ids[0].children()
        if first[0].tag == 0x30:
            alg = der_alg(first[0])[0]
            first = first[1:]
        else:
            alg = "2.16.840.1.101.3.4.2.1"
        if alg not in HASHES:
            raise TokenError(14, "ESS hash algorithm %s" % alg)
    elif OID_SIGNING_CERT in attrs:
        ids = attrs[OID_SIGNING_CERT].children()[0].children()
        first = ids[0].children()
        alg = "1.3.14.3.2.26"
    else:
        raise TokenError(14, "no ESS signing-certificate attribute")
    if der_one(first[0].raw, 0x04).content != HASHES[alg](signer.der).digest():
        raise TokenError(14, "the ESS signing-certificate attribute names another certificate")
    if len(first) > 1:
        serial = der_int(first[1].children()[1])
        if serial != signer.serial:
            raise TokenError(14, "the ESS signing-certificate attribute names another serial number")


# ---------------------------------------------------------------- step timestamp (checks 12-16)

def check_timestamps(r, evs, trust):
    tokens = evs[0]["tokens"]
    want = bytes.fromhex(r["evidence"]["sha256"])
    report = []
    for i, reply in enumerate(r["_tokens"]):
        if hashlib.sha256(reply).hexdigest() != tokens[i]:
            raise Fail("timestamp", "token %d is not the token recorded in the custody chain" % i)
        try:
            tok = parse_token(parse_reply(reply), trust["tsa_chain"])
            if tok["imprint_alg"] != "2.16.840.1.101.3.4.2.1" or tok["imprint"] != want:
                raise TokenError(15, "the message imprint is not the SHA-256 of the evidence")
        except TokenError as e:
            raise Fail("timestamp", "token %d: %s (check %d)" % (i, e, e.check))
        why = check_tsa_usage(tok["signer"])
        if why is None:
            try:
                build_chain(tok["signer"], tok["certs"] + trust["tsa_chain"], trust["tsa_roots"], tok["gen_time"])
            except ValueError as e:
                why = "its TSA certificate does not check at the token's time under the trust bundle: %s" % e
        if why is not None:
            if i == 0:
                raise Fail("timestamp", "token 0: %s (check 16)" % why)
            report.append("token %d not checked: %s" % (i, why))
        else:
            report.append("token %d: %s by %s" % (i, tok["gen_time"].isoformat() + "Z", tok["signer"].cn()))
    return report


# ---------------------------------------------------------------- protobuf (receipt.md §3.2)

class PBError(ValueError):
    pass


def uvarint(v):
    v &= UINT64_MAX
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_uvarint(b, pos):
    v, shift = 0, 0
    for i in range(10):
        if pos + i >= len(b):
            raise PBError("truncated varint")
        byte = b[pos + i]
        v |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return v & UINT64_MAX, pos + i + 1
    raise PBError("varint over 10 bytes")


def s64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


# message schemas: field number -> (name, kind, submessage, mode); mode: "" scalar, "rep" repeated,
# "nonnull" non-nullable message, "null" nullable message, "oneof" a oneof member
TIMESTAMP = {1: ("seconds", "int64", None, ""), 2: ("nanos", "int32", None, "")}
CONSENSUS = {1: ("block", "uint64", None, ""), 2: ("app", "uint64", None, "")}
PART_SET_HEADER = {1: ("total", "uint32", None, ""), 2: ("hash", "bytes", None, "")}
BLOCK_ID = {1: ("hash", "bytes", None, ""), 2: ("part_set_header", "msg", PART_SET_HEADER, "nonnull")}
HEADER = {1: ("version", "msg", CONSENSUS, "nonnull"), 2: ("chain_id", "string", None, ""),
          3: ("height", "int64", None, ""), 4: ("time", "msg", TIMESTAMP, "nonnull"),
          5: ("last_block_id", "msg", BLOCK_ID, "nonnull")}
for _n, _name in enumerate(["last_commit_hash", "data_hash", "validators_hash", "next_validators_hash",
                            "consensus_hash", "app_hash", "last_results_hash", "evidence_hash",
                            "proposer_address"], 6):
    HEADER[_n] = (_name, "bytes", None, "")
COMMIT_SIG = {1: ("block_id_flag", "int32", None, ""), 2: ("validator_address", "bytes", None, ""),
              3: ("timestamp", "msg", TIMESTAMP, "nonnull"), 4: ("signature", "bytes", None, "")}
COMMIT = {1: ("height", "int64", None, ""), 2: ("round", "int32", None, ""),
          3: ("block_id", "msg", BLOCK_ID, "nonnull"), 4: ("signatures", "msg", COMMIT_SIG, "rep")}
SIGNED_HEADER = {1: ("header", "msg", HEADER, "null"), 2: ("commit", "msg", COMMIT, "null")}
PUBLIC_KEY = {1: ("ed25519", "bytes", None, "oneof"), 2: ("secp256k1", "bytes", None, "oneof")}
VALIDATOR = {1: ("address", "bytes", None, ""), 2: ("pub_key", "msg", PUBLIC_KEY, "nonnull"),
             3: ("voting_power", "int64", None, ""), 4: ("proposer_priority", "int64", None, "")}
VALIDATOR_SET = {1: ("validators", "msg", VALIDATOR, "rep"), 2: ("proposer", "msg", VALIDATOR, "null"),
                 3: ("total_voting_power", "int64", None, "")}

ZERO = {"int64": 0, "int32": 0, "uint64": 0, "uint32": 0, "bytes": b"", "string": b""}


def pb_default(schema):
    d = {}
    for num, (name, kind, sub, mode) in schema.items():
        if mode == "rep":
            d[name] = []
        elif mode == "null":
            d[name] = None
        elif mode == "nonnull":
            d[name] = pb_default(sub)
        elif mode == "oneof":
            d.setdefault("_oneof", None)
        else:
            d[name] = ZERO[kind]
    return d


def pb_decode(schema, b):
    """Decode as gogoproto does (last value of a repeated scalar wins); unknown fields and wrong wire
    types are refused. The one-encoding check is pb_encode(...) == b."""
    d = pb_default(schema)
    pos = 0
    while pos < len(b):
        key, pos = read_uvarint(b, pos)
        num, wt = key >> 3, key & 7
        if num not in schema:
            raise PBError("unknown field %d" % num)
        name, kind, sub, mode = schema[num]
        if kind in ("bytes", "string", "msg"):
            if wt != 2:
                raise PBError("field %s: wire type %d" % (name, wt))
            n, pos = read_uvarint(b, pos)
            if pos + n > len(b):
                raise PBError("field %s: truncated" % name)
            val = b[pos:pos + n]
            pos += n
            if kind == "msg":
                val = pb_decode(sub, val)
        else:
            if wt != 0:
                raise PBError("field %s: wire type %d" % (name, wt))
            v, pos = read_uvarint(b, pos)
            val = {"int64": s64, "int32": s32, "uint64": lambda x: x, "uint32": lambda x: x & 0xFFFFFFFF}[kind](v)
        if mode == "rep":
            d[name].append(val)
        elif mode == "oneof":
            d["_oneof"] = (name, val)
        else:
            d[name] = val
    if schema is TIMESTAMP:
        if not -62135596800 <= d["seconds"] <= 253402300799 or not 0 <= d["nanos"] < 10 ** 9:
            raise PBError("timestamp out of range")
    return d


def pb_encode(schema, d):
    out = bytearray()
    for num in sorted(schema):
        name, kind, sub, mode = schema[num]
        if mode == "oneof":
            if d.get("_oneof") and d["_oneof"][0] == name:
                v = d["_oneof"][1]
                out += uvarint(num << 3 | 2) + uvarint(len(v)) + v
            continue
        vals = d[name] if mode == "rep" else [d[name]]
        for v in vals:
            if kind == "msg":
                if v is None:
                    continue
                m = pb_encode(sub, v)
                out += uvarint(num << 3 | 2) + uvarint(len(m)) + m
            elif kind in ("bytes", "string"):
                if v:
                    out += uvarint(num << 3 | 2) + uvarint(len(v)) + v
            elif v:
                out += uvarint(num << 3) + uvarint(v)
    return bytes(out)


def pb_field_bytes(num, v):
    return uvarint(num << 3 | 2) + uvarint(len(v)) + v if v else b""


def pb_field_varint(num, v):
    return uvarint(num << 3) + uvarint(v) if v else b""


# ---------------------------------------------------------------- CometBFT hashing and sign bytes (§3.1)

GO_ZERO_SECONDS = -62135596800
MAX_TOTAL_POWER = INT64_MAX // 8


def address(pub):
    return sha256(pub)[:20]


def header_hash(h):
    items = [pb_encode(CONSENSUS, h["version"]), pb_field_bytes(1, h["chain_id"]),
             pb_field_varint(1, h["height"]), pb_encode(TIMESTAMP, h["time"]),
             pb_encode(BLOCK_ID, h["last_block_id"])]
    for name in ("last_commit_hash", "data_hash", "validators_hash", "next_validators_hash", "consensus_hash",
                 "app_hash", "last_results_hash", "evidence_hash", "proposer_address"):
        items.append(pb_field_bytes(1, h[name]))
    return mth([leaf_hash(x) for x in items])


def valset_hash(vals):
    """vals: [(pub, power)] in order; Merkle root over SimpleValidator."""
    items = []
    for pub, power in vals:
        pk = pb_field_bytes(1, pub) if pub else uvarint(1 << 3 | 2) + b"\x00"
        items.append(uvarint(1 << 3 | 2) + uvarint(len(pk)) + pk + pb_field_varint(2, power))
    return mth([leaf_hash(x) for x in items])


def vote_sign_bytes(commit, sig, chain_id, for_block):
    m = b"\x08\x02"
    if commit["height"]:
        m += b"\x11" + struct.pack("<q", commit["height"])
    if commit["round"]:
        m += b"\x19" + struct.pack("<q", commit["round"])
    if for_block:
        bid = commit["block_id"]
        psh = pb_field_varint(1, bid["part_set_header"]["total"]) + pb_field_bytes(2, bid["part_set_header"]["hash"])
        cb = pb_field_bytes(1, bid["hash"]) + uvarint(2 << 3 | 2) + uvarint(len(psh)) + psh
        m += uvarint(4 << 3 | 2) + uvarint(len(cb)) + cb
    ts = pb_encode(TIMESTAMP, sig["timestamp"])
    m += uvarint(5 << 3 | 2) + uvarint(len(ts)) + ts
    m += pb_field_bytes(6, chain_id)
    return uvarint(len(m)) + m


def ed25519_ok(pub, sig, msg):
    if len(sig) != 64 or len(pub) != 32:
        return False
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


# ---------------------------------------------------------------- step checkpoint (checks 21-43)

def _cp(cond, msg):
    if not cond:
        raise Fail("checkpoint", msg)


def _len_ok(b, n=32):
    return len(b) in (0, n)


def check_block_id(bid, where):
    _cp(_len_ok(bid["hash"]) and _len_ok(bid["part_set_header"]["hash"]), "%s: a hash is not empty or 32 bytes" % where)


def is_zero_block_id(bid):
    return not bid["hash"] and not bid["part_set_header"]["hash"] and bid["part_set_header"]["total"] == 0


def check_header_basic(h):
    """Check 24 (CometBFT HeaderFromProto, Header.ValidateBasic)."""
    check_block_id(h["last_block_id"], "the header's last_block_id")
    _cp(h["version"]["block"] == 11, "the signed header is malformed: version.block %d" % h["version"]["block"])
    _cp(len(h["chain_id"]) <= 50, "the signed header is malformed: chain_id over 50 bytes")
    _cp(h["height"] > 0, "the signed header is malformed: height %d" % h["height"])
    for name in ("last_commit_hash", "data_hash", "evidence_hash", "validators_hash", "next_validators_hash",
                 "consensus_hash", "last_results_hash"):
        _cp(_len_ok(h[name]), "the signed header is malformed: %s of %d bytes" % (name, len(h[name])))
    _cp(len(h["proposer_address"]) == 20, "the signed header is malformed: proposer_address")


def check_commit_basic(c):
    """Check 25 (CometBFT CommitFromProto, CommitSig.ValidateBasic, Commit.ValidateBasic)."""
    check_block_id(c["block_id"], "the commit's block_id")
    for i, s in enumerate(c["signatures"]):
        if s["block_id_flag"] == 1:
            _cp(not s["validator_address"] and not s["signature"] and
                s["timestamp"]["seconds"] == GO_ZERO_SECONDS and s["timestamp"]["nanos"] == 0,
                "the signed header is malformed: ABSENT slot %d is not empty" % i)
        else:
            _cp(len(s["validator_address"]) == 20, "the signed header is malformed: slot %d address" % i)
            _cp(1 <= len(s["signature"]) <= 3309, "the signed header is malformed: slot %d signature size" % i)
    _cp(c["height"] >= 0 and c["round"] >= 0, "the signed header is malformed: negative height or round")
    if c["height"] >= 1:
        _cp(not is_zero_block_id(c["block_id"]), "the signed header is malformed: commit for the nil block")
        _cp(len(c["signatures"]) > 0, "the signed header is malformed: no signatures")


def decode_signed_header(sh_bytes):
    """Checks 21, 23-26: returns (header, commit)."""
    try:
        sh = pb_decode(SIGNED_HEADER, sh_bytes)
    except PBError as e:
        raise Fail("checkpoint", "the signed header does not decode: %s" % e)
    _cp(pb_encode(SIGNED_HEADER, sh) == sh_bytes, "the signed header does not decode: not its one encoding")
    h, c = sh["header"], sh["commit"]
    if c is not None:
        for i, s in enumerate(c["signatures"]):
            _cp(s["block_id_flag"] in (1, 2, 3), "the signed header does not decode: slot %d block_id_flag %d"
                % (i, s["block_id_flag"]))
    if h is not None:
        check_header_basic(h)
    if c is not None:
        check_commit_basic(c)
    _cp(h is not None and c is not None, "the signed header is malformed: header or commit missing")
    return h, c


def decode_validator_set(vs_bytes):
    """Checks 22 and 27: returns the validator set."""
    try:
        vs = pb_decode(VALIDATOR_SET, vs_bytes)
    except PBError as e:
        raise Fail("checkpoint", "the validator set does not decode: %s" % e)
    _cp(pb_encode(VALIDATOR_SET, vs) == vs_bytes, "the validator set does not decode: not its one encoding")
    total = 0
    _cp(vs["validators"], "the validator set is malformed: no validators")
    for i, v in enumerate(vs["validators"] + ([vs["proposer"]] if vs["proposer"] else [])):
        k = v["pub_key"].get("_oneof")
        _cp(k is not None and k[0] == "ed25519" and len(k[1]) == 32,
            "the validator set is malformed: validator %d's key is not a 32-byte Ed25519 key" % i)
        _cp(v["voting_power"] >= 0, "the validator set is malformed: negative voting power")
        _cp(v["address"] == address(k[1]), "the validator set is malformed: an address is not its key's")
    for v in vs["validators"]:
        total += v["voting_power"]
        _cp(total <= MAX_TOTAL_POWER, "the validator set is malformed: total voting power over the cap")
    _cp(vs["proposer"] is not None, "the validator set is malformed: no proposer")
    _cp(any(v["address"] == vs["proposer"]["address"] for v in vs["validators"]),
        "the validator set is malformed: the proposer is not a member")
    return vs


def as_set(vs):
    """A decoded ValidatorSet as a list of validators {address, pub_key, power, name}, in its order."""
    return [{"address": v["address"], "pub_key": v["pub_key"]["_oneof"][1], "power": v["voting_power"],
             "name": v["address"].hex().upper()} for v in vs["validators"]]


def app_hash(r):
    cp = r["checkpoint"]
    base = struct.pack(">Q", cp["tree_size"]) + bytes.fromhex(cp["root"])
    if r["version"] == 1:
        return base
    if r["version"] == 2:
        return b"\x02" + base + bytes.fromhex(cp["state_root"])
    return b"\x03" + base + bytes.fromhex(cp["state_root"]) + struct.pack(">Q", cp["heads_since"])


def check_checkpoint(cp, sh_bytes, vs_bytes, want_app_hash, trust, in_force=None, followed=0):
    """Checks 21-43 against the set in force (the bundle's, or the one transitions led to, §8.1)."""
    chain = trust["chain_id"].encode()
    h, c = decode_signed_header(sh_bytes)
    vs = decode_validator_set(vs_bytes)
    # header (28-33)
    _cp(cp["chain_id"] == trust["chain_id"], "the checkpoint is from another chain than the trusted one")
    _cp(h["chain_id"] == chain, "the signed header is from another chain than the trusted one")
    _cp(h["height"] == cp["height"], "the signed header is not at the checkpoint's height")
    _cp(h["app_hash"] == want_app_hash, "the signed header's AppHash does not commit to the receipt's log size and root")
    hh = header_hash(h)
    _cp(c["block_id"]["hash"] == hh, "the commit signs another block than the header: the header was altered")
    _cp(c["height"] == h["height"], "a well-formed header and commit: the commit is at another height")
    # validator set (34-39)
    trusted = in_force if in_force is not None else trust["validators"]
    by_addr = {v["address"]: v for v in trusted}
    for v in vs["validators"]:
        t = by_addr.get(v["address"])
        _cp(t is not None and t["pub_key"] == v["pub_key"]["_oneof"][1],
            "the checkpoint's validator set holds a validator the trust bundle does not list")
        _cp(t["power"] == v["voting_power"], "a validator's voting power differs from the trust bundle's")
    thash = valset_hash([(t["pub_key"], t["power"]) for t in trusted])
    _cp(h["validators_hash"] == thash, "the block's validators are not the trusted validators")
    rhash = valset_hash([(v["pub_key"]["_oneof"][1], v["voting_power"]) for v in vs["validators"]])
    _cp(rhash == h["validators_hash"], "the receipt's validator set is not the block's")
    total = sum(t["power"] for t in trusted)
    if followed == 0:  # §8.1: not checked for a set reached by transitions
        prios = [t["power"] for t in trusted]
        prios[0] -= total
        for v, p in zip(vs["validators"], prios):
            _cp(v["proposer_priority"] == p,
                "a validator's proposer priority is not the one CometBFT gives the trusted validator set")
        _cp(vs["proposer"] == dict(vs["validators"][0]),
            "the validator set's proposer is not the one CometBFT gives the trusted validator set")
    _cp(vs["total_voting_power"] == 0, "the validator set is not in its canonical form")
    # commit (40-43)
    _cp(len(c["signatures"]) == len(trusted), "the commit does not match the trusted validator set")
    signed, signers = 0, []
    for i, (s, t) in enumerate(zip(c["signatures"], trusted)):
        if s["block_id_flag"] == 1:
            continue
        _cp(s["validator_address"] == t["address"], "commit slot %d names another validator" % i)
        msg = vote_sign_bytes(c, s, chain, s["block_id_flag"] == 2)
        if not ed25519_ok(t["pub_key"], s["signature"], msg):
            if s["block_id_flag"] == 3:
                raise Fail("checkpoint", "the nil-vote signature of %s in commit slot %d does not verify" % (t["name"], i))
            raise Fail("checkpoint", "the commit signature of %s does not verify" % t["name"])
        if s["block_id_flag"] == 2:
            signed += t["power"]
            signers.append(t["name"])
    _cp(3 * signed > 2 * total, "too few trusted validators signed the checkpoint for it to be final")
    return signers


# ---------------------------------------------------------------- step transition (§8.1)

def _tr(cond, i, t, msg):
    if not cond:
        raise Fail("transition", "transition %d (height %s): %s" % (i + 1, t.get("height"), msg))


def _as_transition(f, i, t):
    """Re-raises a decoding failure of §3.1 (step checkpoint) as step transition."""
    return Fail("transition", "transition %d (height %s): %s" % (i + 1, t.get("height"), f.msg))


def parse_transitions(lst):
    """A companion list or a bundle's transitions: §8.1's members, canonical base64."""
    out = []
    for i, t in enumerate(lst):
        if not isinstance(t, dict) or set(t) - {"height", "signed_header", "next_validator_set", "validator_set"}:
            raise ValueError("transition %d: unknown members" % (i + 1))
        if not is_int(t.get("height")) or t["height"] < 1:
            raise ValueError("transition %d: height" % (i + 1))
        for k in ("signed_header", "next_validator_set", "validator_set"):
            if (k in t or k != "validator_set") and canonical_b64(t.get(k)) is None:
                raise ValueError("transition %d: %s is not canonical base64" % (i + 1, k))
        out.append(t)
    if len(out) > MAX_TRANSITIONS:
        raise ValueError("more than %d transitions" % MAX_TRANSITIONS)
    return out


def follow_transitions(trans, in_force, chain_id, before=None):
    """§8.1: follows trans from the set in force; stops before the first at or after height `before`.
    Returns (the set in force, the number followed)."""
    chain = chain_id.encode()
    prev_height, n = 0, 0
    V = in_force
    for i, t in enumerate(trans):
        if before is not None and t["height"] >= before:
            break
        _tr(t["height"] >= prev_height + 1, i, t, "transitions are out of order")
        try:
            h, c = decode_signed_header(base64.b64decode(t["signed_header"]))
            nxt = decode_validator_set(base64.b64decode(t["next_validator_set"]))
            given = decode_validator_set(base64.b64decode(t["validator_set"])) if "validator_set" in t else None
        except Fail as f:
            raise _as_transition(f, i, t)
        _tr(h["chain_id"] == chain, i, t, "the transition is from another chain")
        _tr(h["height"] == t["height"], i, t, "the signed header is not at the transition's height")
        _tr(c["block_id"]["hash"] == header_hash(h) and c["height"] == h["height"], i, t,
            "the commit does not sign the header")
        nset = as_set(nxt)
        _tr(len({v["pub_key"] for v in nset}) == len(nset) and all(v["power"] > 0 for v in nset), i, t,
            "the next validator set has a repeated key or a power that is not positive")
        _tr(valset_hash([(v["pub_key"], v["power"]) for v in nset]) == h["next_validators_hash"], i, t,
            "the next validator set is not the one the header names")
        if given is None:
            _tr(h["validators_hash"] == valset_hash([(v["pub_key"], v["power"]) for v in V]), i, t,
                "the header is not signed by the validator set in force")
            S = V
        else:
            S = as_set(given)
            _tr(valset_hash([(v["pub_key"], v["power"]) for v in S]) == h["validators_hash"], i, t,
                "the validator set is not the one the header names")
        sigs = c["signatures"]
        _tr(len(sigs) == len(S), i, t, "the commit does not have one slot per validator of the signing set")
        for j, (s, v) in enumerate(zip(sigs, S)):
            _tr(s["block_id_flag"] == 1 or s["validator_address"] == v["address"], i, t,
                "commit slot %d names another validator" % j)
        commit = [v for s, v in zip(sigs, S) if s["block_id_flag"] == 2]
        _tr(3 * sum(v["power"] for v in commit) > 2 * sum(v["power"] for v in S), i, t,
            "too few validators signed the transition")
        in_v = {(v["address"], v["pub_key"]): v["power"] for v in V}
        _tr(3 * sum(in_v.get((v["address"], v["pub_key"]), 0) for v in commit) > 2 * sum(in_v.values()), i, t,
            "too few validators of the set in force signed the transition")
        order = sorted(range(len(S)), key=lambda j: (0 if (S[j]["address"], S[j]["pub_key"]) in in_v else 1, j))
        for j in order:
            s = sigs[j]
            if s["block_id_flag"] == 1:
                continue
            msg = vote_sign_bytes(c, s, chain, s["block_id_flag"] == 2)
            _tr(ed25519_ok(S[j]["pub_key"], s["signature"], msg), i, t, "the signature in slot %d does not verify" % j)
        V, prev_height, n = nset, t["height"], n + 1
    return V, n


# ---------------------------------------------------------------- step evidence-record (§9; evidence-records.md)

ER_HASHES = {"2.16.840.1.101.3.4.2.1": (hashlib.sha256, 32), "2.16.840.1.101.3.4.2.2": (hashlib.sha384, 48),
             "2.16.840.1.101.3.4.2.3": (hashlib.sha512, 64)}


def _er(cond, step, msg):
    if not cond:
        raise Fail("evidence-record", "%s: %s" % (step, msg))


def _er_alg(t, step):
    oid, params = der_alg(t)
    _er(oid in ER_HASHES and params is None, step, "digest algorithm %s (parameters %r)" % (oid, params))
    return oid


def decode_er(raw):
    """ers.Decode: strict DER RFC 4998 EvidenceRecord, the fields Custos writes only, and its limits."""
    try:
        top = der_one(raw, 0x30).children()
        _er(len(top) == 3 and der_int(top[0]) == 1, "decode", "version or fields")
        _er(top[1].tag == 0x30 and top[2].tag == 0x30, "decode", "fields")
        algs = [_er_alg(a, "decode") for a in top[1].children()]
        _er(1 <= len(algs) <= 3, "decode", "%d digest algorithms" % len(algs))
        chains = []
        for ch in top[2].children():
            _er(ch.tag == 0x30, "decode", "chain")
            atss = []
            for a in ch.children():
                f = a.children()
                _er(a.tag == 0x30 and f, "decode", "ArchiveTimeStamp")
                ats = {"alg": None, "tree": None}
                j = 0
                if f[j].tag == 0xA0:
                    oid, params = der_alg(TLV(0x30, b"", f[j].content))
                    _er(oid in ER_HASHES and params is None, "decode", "digest algorithm %s" % oid)
                    ats["alg"] = oid
                    j += 1
                _er(f[j].tag != 0xA1, "decode", "attributes are refused")
                if f[j].tag == 0xA2:
                    ats["tree"] = [[x for x in pht.children()] for pht in f[j].children()]
                    _er(all(pht.tag == 0x30 for pht in f[j].children()), "decode", "PartialHashtree")
                    j += 1
                _er(f[j].tag == 0x30 and j + 1 == len(f), "decode", "ArchiveTimeStamp fields")
                ats["token"] = f[j].raw
                atss.append(ats)
            _er(len(atss) <= 1024, "decode", "too many ArchiveTimeStamps")
            chains.append(atss)
        _er(len(chains) <= 256, "decode", "too many chains")
    except (DERError, IndexError) as e:
        raise Fail("evidence-record", "decode: %s" % e)
    for atss in chains:
        for ats in atss:
            _er(ats["alg"] is not None, "decode", "an ArchiveTimeStamp without its digest algorithm")
            size = ER_HASHES[ats["alg"]][1]
            if ats["tree"] is not None:
                _er(1 <= len(ats["tree"]) <= 64, "decode", "tree size")
                for pht in ats["tree"]:
                    _er(1 <= len(pht) <= 1024, "decode", "PartialHashtree size")
                    for x in pht:
                        _er(x.tag == 0x04 and len(x.content) == size, "decode", "a hash of another size")
                ats["tree"] = [[x.content for x in pht] for pht in ats["tree"]]
    return {"algs": algs, "chains": chains, "seq_raw": top[2]}


def er_root(H, tree, start):
    if tree is None:
        return start
    first = tree[0]
    h = first[0] if len(first) == 1 else H(b"".join(sorted(first))).digest()
    for pht in tree[1:]:
        h = H(b"".join(sorted(pht + [h]))).digest()
    return h


def check_evidence_record(r, trust, file_data):
    er = decode_er(r["_evidence_record"])
    chains = er["chains"]
    _er(chains and all(chains), "checkStructure", "a record without chains or a chain without time-stamps")
    chain_algs = []
    for atss in chains:
        _er(len({a["alg"] for a in atss}) == 1, "checkStructure", "a chain of several digest algorithms")
        if atss[0]["alg"] not in chain_algs:
            chain_algs.append(atss[0]["alg"])
    _er(er["algs"] == chain_algs, "checkStructure", "digestAlgorithms is not the chains' algorithms")
    data_hash = {"2.16.840.1.101.3.4.2.1": bytes.fromhex(r["evidence"]["sha256"])}
    if file_data is not None:
        for oid, (H, _) in ER_HASHES.items():
            data_hash[oid] = H(file_data).digest()
    missing = [a for a in chain_algs if a not in data_hash]
    if missing:
        return "evidence record unverified: the data's digest %s needs the file" % missing
    roots = trust["tsa_roots"]
    tokens = []  # (token dict, chain index, ats index)
    seq_children = er["seq_raw"].children()
    for ci, atss in enumerate(chains):
        H = ER_HASHES[atss[0]["alg"]][0]
        covered = data_hash[atss[0]["alg"]]
        if ci > 0:
            prior = b"\x30" + der_len(sum(len(c.raw) for c in seq_children[:ci])) + \
                b"".join(c.raw for c in seq_children[:ci])
            covered = H(covered + H(prior).digest()).digest()
        for j, ats in enumerate(atss):
            where = "chain %d, ArchiveTimeStamp %d" % (ci, j)
            if j == 0:
                if ats["tree"] is not None:
                    _er(covered in ats["tree"][0], "checkDataHash", where)
                    root = er_root(H, ats["tree"], None)
                else:
                    root = covered
            else:
                prev = [H(a["token"]).digest() for a in atss[:j]]
                if ats["tree"] is not None:
                    _er(all(p in ats["tree"][0] for p in prev), "checkRenewal", where)
                    root = er_root(H, ats["tree"], None)
                else:
                    _er(j == 1, "checkRenewal", where)
                    root = prev[0]
            try:
                tok = parse_token(ats["token"], trust["tsa_chain"])
            except TokenError as e:
                raise Fail("evidence-record", "checkToken: %s: %s" % (where, e))
            _er(tok["imprint_alg"] == ats["alg"] and tok["imprint"] == root, "checkRoot", where)
            tokens.append((tok, where))
    for n, (tok, where) in enumerate(tokens):
        why = check_tsa_usage(tok["signer"])
        _er(why is None, "checkToken", "%s: %s" % (where, why))
        try:
            build_chain(tok["signer"], tok["certs"] + trust["tsa_chain"], roots, tok["gen_time"])
        except ValueError as e:
            raise Fail("evidence-record", "checkToken: %s: %s" % (where, e))
        if n + 1 < len(tokens):
            nxt = tokens[n + 1][0]["gen_time"]
            _er(nxt >= tok["gen_time"], "checkValidity", where)
            try:
                build_chain(tok["signer"], tok["certs"] + trust["tsa_chain"], roots, nxt)
            except ValueError as e:
                raise Fail("evidence-record", "checkValidity: %s: %s" % (where, e))
    return "evidence record: the data existed at %sZ" % tokens[0][0]["gen_time"].isoformat()


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


# ---------------------------------------------------------------- the trust bundle (§2)

def raw_ed25519(k):
    from cryptography.hazmat.primitives import serialization
    return k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_trust(b):
    t = json.loads(b, object_pairs_hook=_no_dups)
    allowed = {"version", "chain_id", "root_pem", "validators", "tsa_chain_pem", "tsa_roots_pem", "tsa",
               "suites", "transitions", "validators_current", "transitions_through"}
    if set(t) - allowed:
        raise ValueError("unknown trust bundle members %s" % sorted(set(t) - allowed))
    if t.get("version") not in (1, 2, 3):
        raise ValueError("trust bundle version %r" % t.get("version"))
    if t["version"] == 3 or "suites" in t:
        if t.get("suites", {}).get("certificates") == "sm" or t.get("suites", {}).get("tokens") == "sm":
            raise Skip("a trust bundle of the sm suite (SM2 certificates and tokens)")
    if not t.get("chain_id"):
        raise ValueError("no chain_id")
    roots = load_pem_certs(t["root_pem"])
    if len(roots) != 1:
        raise ValueError("root_pem is not one certificate")
    vals = []
    for v in t["validators"]:
        pub = base64.b64decode(v["pub_key"], validate=True)
        if len(pub) != 32 or not is_int(v["power"]) or v["power"] <= 0:
            raise ValueError("validator %r" % v.get("name"))
        if v.get("cert_pem"):
            certs = load_pem_certs(v["cert_pem"])
            if len(certs) != 2:
                raise ValueError("cert_pem of %s is not two certificates" % v["name"])
            node, org = certs
            k = node.public_key()
            if not isinstance(k, ed25519.Ed25519PublicKey) or raw_ed25519(k) != pub:
                raise ValueError("cert_pem of %s is not its key's" % v["name"])
            if not cert_signed_by(node, org) or not cert_signed_by(org, roots[0]):
                raise ValueError("cert_pem of %s does not chain to the root" % v["name"])
        vals.append({"name": v.get("name", ""), "pub_key": pub, "power": v["power"], "address": address(pub)})
    if not vals or len({v["pub_key"] for v in vals}) != len(vals):
        raise ValueError("validators empty or repeated")
    if sum(v["power"] for v in vals) > MAX_TOTAL_POWER:
        raise ValueError("total power over the cap")
    vals.sort(key=lambda v: (-v["power"], v["address"]))
    trust = {"chain_id": t["chain_id"], "validators": vals, "tsa_chain": load_pem_certs(t.get("tsa_chain_pem", "")),
             "tsa_roots": roots + load_pem_certs(t.get("tsa_roots_pem", "")), "transitions": []}
    if t["version"] in (1, 3) and ("transitions" in t or "validators_current" in t):
        raise ValueError("transitions in a version-%d bundle" % t["version"])
    if t.get("transitions"):
        # §8.3: loading a version-2 bundle follows its transitions to validators_current
        trust["transitions"] = parse_transitions(t["transitions"])
        try:
            current, _ = follow_transitions(trust["transitions"], vals, t["chain_id"])
        except Fail as f:
            raise ValueError("the bundle's transitions do not check: %s" % f.msg)
        want = sorted((base64.b64decode(v["pub_key"]), v["power"]) for v in t.get("validators_current", []))
        if sorted((v["pub_key"], v["power"]) for v in current) != want:
            raise ValueError("the bundle's transitions do not lead to validators_current")
    return trust


# ---------------------------------------------------------------- the orchestrator (§3, in order)

def check_transitions(cp, trust, companion):
    """Step transition (§8.1, §8.2): the set in force at the checkpoint's height, and how many transitions led there."""
    own = cp.get("transitions")
    if own:
        for i, t in enumerate(own):
            if t["height"] >= cp["height"]:
                raise Fail("transition", "the receipt carries a transition at or after its checkpoint (transition %d "
                                         "at height %d)" % (i + 1, t["height"]))
        return follow_transitions(own, trust["validators"], trust["chain_id"])
    trans = companion if companion is not None else trust["transitions"]
    return follow_transitions(trans, trust["validators"], trust["chain_id"], before=cp["height"])


def verify(receipt_bytes, trust, file_data, companion=None):
    """Returns a list of report lines; raises Fail or Skip."""
    r = parse_receipt(receipt_bytes)
    lines = []
    if file_data is not None:
        check_digest(r, file_data)
    else:
        lines.append("digest skipped (no file)")
    evs = check_custody(r)
    if r["version"] >= 2:
        check_completeness(r, evs)
    else:
        lines.append("custody completeness not proven (version 1)")
    lines += check_timestamps(r, evs, trust)
    check_inclusion(r)
    cp = r["checkpoint"]
    in_force, followed = check_transitions(cp, trust, companion)
    signers = check_checkpoint(cp, r["_signed_header"], r["_validator_set"], app_hash(r), trust,
                               in_force if followed else None, followed)
    lines.append("checkpoint at height %d (after %d transitions), tree size %d, signed by %s"
                 % (cp["height"], followed, cp["tree_size"], ", ".join(signers)))
    if r["version"] == 5:
        lines.append(check_evidence_record(r, trust, file_data))
    return lines


def run_vectors(d):
    import os
    idx = json.load(open(os.path.join(d, "vectors.json"), encoding="utf-8"))
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    trusts = {}
    for v in idx["vectors"]:
        b = open(os.path.join(d, v["receipt"]), "rb").read()
        if "expand" in v:
            e = v["expand"]
            b = b[:e["at"]] + e["repeat"].encode() * e["times"] + b[e["at"]:]
        data = open(os.path.join(d, v["evidence"]), "rb").read() if "evidence" in v else None
        want = "valid" if v["valid"] else "step " + v.get("step", "(any)")
        try:
            if v["trust"] not in trusts:
                trusts[v["trust"]] = load_trust(open(os.path.join(d, v["trust"]), "rb").read())
            verify(b, trusts[v["trust"]], data)
            got, detail = "valid", ""
        except Fail as f:
            got, detail = "step " + f.step, f.msg
        except Skip as s:
            counts["SKIP"] += 1
            print("SKIP %-45s want %-22s %s" % (v["name"], want, s))
            continue
        if v["valid"]:
            ok = got == "valid"
        else:
            ok = got != "valid" and ("step" not in v or got == "step " + v["step"])
        verdict = "PASS" if ok else "FAIL"
        counts[verdict] += 1
        print("%s %-45s want %-22s got %-22s %s" % (verdict, v["name"], want, got, detail[:160]))
    print("%d vectors: %d PASS, %d FAIL, %d SKIP" % (len(idx["vectors"]), counts["PASS"], counts["FAIL"],
                                                    counts["SKIP"]))
    return 1 if counts["FAIL"] else 0


def run_transition_cases(d):
    """receipt.md §8.4: the checkpoints of cases.json and the whole receipts beside them."""
    import os
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    trusts = {}
    rd = lambda name: open(os.path.join(d, name), "rb").read()  # noqa: E731
    for case in json.load(open(os.path.join(d, "cases.json"), encoding="utf-8")):
        cp = case["checkpoint"]
        want = "step " + case["step"] if "step" in case else "valid"
        try:
            if case["trust"] not in trusts:
                trusts[case["trust"]] = load_trust(rd(case["trust"]))
            trust = trusts[case["trust"]]
            if cp.get("transitions"):
                try:
                    parse_transitions(cp["transitions"])
                except ValueError as e:
                    raise Fail("format", str(e))
            companion = parse_transitions(case["companion"]) if "companion" in case else None
            in_force, followed = check_transitions(cp, trust, companion)
            want_app = struct.pack(">Q", cp["tree_size"]) + bytes.fromhex(cp["root"])
            signers = check_checkpoint(cp, base64.b64decode(cp["signed_header"]), base64.b64decode(cp["validator_set"]),
                                       want_app, trust, in_force if followed else None, followed)
            got, detail = "valid", "%d signers, %d transitions" % (len(signers), followed)
            if "step" not in case and (len(signers) != case["signers"] or followed != case.get("transitions", 0)):
                got = "valid, but %s" % detail
        except Fail as f:
            got, detail = "step " + f.step, f.msg
        except Skip as e:
            counts["SKIP"] += 1
            print("SKIP %-45s want %-22s %s" % (case["name"], want, e))
            continue
        verdict = "PASS" if got == want else "FAIL"
        counts[verdict] += 1
        print("%s %-45s want %-22s got %-22s %s" % (verdict, case["name"], want, got, detail[:160]))
    vectors = os.path.join(d, "..", "vectors")
    for name, receipt, companion, want in (
            ("receipt-v4", "receipt-v4.json", None, "valid"),
            ("receipt-v3-after-change", "receipt-v3-after-change.json", None, "step checkpoint"),
            ("receipt-v3-after-change+companion", "receipt-v3-after-change.json", "receipt-companion.json", "valid")):
        try:
            comp = parse_transitions(json.loads(rd(companion))) if companion else None
            verify(rd(receipt), load_trust(open(os.path.join(vectors, "trust.json"), "rb").read()),
                   open(os.path.join(vectors, "evidence.txt"), "rb").read(), comp)
            got, detail = "valid", ""
        except Fail as f:
            got, detail = "step " + f.step, f.msg
        verdict = "PASS" if got == want else "FAIL"
        counts[verdict] += 1
        print("%s %-45s want %-22s got %-22s %s" % (verdict, name, want, got, detail[:160]))
    n = sum(counts.values())
    print("%d transition cases: %d PASS, %d FAIL, %d SKIP" % (n, counts["PASS"], counts["FAIL"], counts["SKIP"]))
    return 1 if counts["FAIL"] else 0


def main(argv):
    if 2 <= len(argv) <= 3 and not argv[1].startswith("-"):
        rc = run_vectors(argv[1])
        if len(argv) == 3:
            rc |= run_transition_cases(argv[2])
        return rc
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--receipt", required=True)
    ap.add_argument("--trust", required=True)
    ap.add_argument("--file")
    ap.add_argument("--transitions", help="a companion transitions list (§8.2)")
    a = ap.parse_args(argv[1:])
    try:
        trust = load_trust(open(a.trust, "rb").read())
        data = open(a.file, "rb").read() if a.file else None
        comp = parse_transitions(json.load(open(a.transitions, encoding="utf-8"))) if a.transitions else None
        for line in verify(open(a.receipt, "rb").read(), trust, data, comp):
            print(line)
    except Fail as f:
        print("INVALID at step %s: %s" % (f.step, f.msg))
        return 1
    except Skip as s:
        print("SKIPPED: %s" % s)
        return 3
    print("VALID")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
