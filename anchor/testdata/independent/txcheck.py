#!/usr/bin/env python3
"""An independent decoder, encoder and checker of the consortium chain's transactions.

Written from docs/chain-transactions.md (and the pages it links) alone, not from the Go code, to test that
page's promise: "the format, enough to write an independent encoder, decoder or auditor of the chain's
blocks". It checks every vector of anchor/testdata/vectors:

    python3 txcheck.py anchor/testdata/vectors

For each vector it decodes the transaction strictly, encodes what it decoded again (the bytes must be the
same), checks the signature and the signer's certificates against pki.json, compares the decoded fields
with the vector's `decoded`, and then runs the transaction on a small model of the chain state (after the
vector's `before` vectors) and compares the code with the vector's. A refusal that needs state this model
does not keep is SKIP, never PASS. Standard library and the `cryptography` package (38 or later) only.
"""

import datetime
import hashlib
import json
import os
import re
import sys
import unicodedata

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID

# Codes (chain-transactions.md, "Verdicts").
OK, MALFORMED, NOT_MEMBER, DUPLICATE, STALE, VERSION, NOT_OWNER, REFUSED, REVOKED = range(9)

NODE_PREFIX = b"custos anchor tx v1\x00"
GOV_PREFIX = b"custos governance tx v1\x00"
REVOKE_PREFIX = b"custos governance revocation v1\x00"

MAX_LEAVES = 10000
MAX_HEADS = 10000
MAX_DEPOSITS = 10000
MAX_OFFSET = 10000  # offsets are below this
MAX_ORGS = 1000
MAX_REGS = 500
MAX_REG_FILES = 20
MAX_POWER = 1000000
MAX_PROPOSAL_LIFE = 100000
MAX_HEIGHT = (1 << 63) - 1
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
GOVERNANCE_EKU = x509.ObjectIdentifier("1.3.6.1.4.1.32473.16.1")
CHAIN_NUMBER = re.compile(r"^CUS-\([0-9]{4}\)-作登字-M[0-9]+-[0-9]{6,}$")

# (version, kind byte) -> kind name; version 1 has no kind byte (None).
KINDS = {
    (1, None): "batch",
    (2, 1): "batch",
    (2, 2): "upgrade",
    (3, 1): "batch",
    (4, 1): "batch",
    (4, 3): "directory",
    (5, 4): "register",
    (6, 5): "propose",
    (6, 6): "vote",
    (7, 1): "batch",
    (8, 3): "directory",
    (9, 6): "vote",
    (10, 7): "revoke-governance-cert",
    (11, 8): "regcommit",
}
ACTIONS = {1: "admit", 2: "remove", 3: "rotate", 4: "power", 5: "retire-ca"}


class Refused(Exception):
    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Skip(Exception):
    pass


def malformed(reason):
    return Refused(MALFORMED, reason)


# ---------------------------------------------------------------------------------------------------------
# Decoding


class Reader:
    def __init__(self, data):
        self.b = data
        self.i = 0

    def left(self):
        return len(self.b) - self.i

    def take(self, n, what):
        if n < 0 or self.left() < n:
            raise malformed("%s: want %d bytes, %d left" % (what, n, self.left()))
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def uint(self, size, what):
        return int.from_bytes(self.take(size, what), "big")

    def u8(self, what):
        return self.uint(1, what)

    def u16(self, what):
        return self.uint(2, what)

    def u32(self, what):
        return self.uint(4, what)

    def u64(self, what):
        return self.uint(8, what)


def printable(b, lo, hi, what):
    if not lo <= len(b) <= hi:
        raise malformed("%s: %d bytes, want %d to %d" % (what, len(b), lo, hi))
    if any(c < 0x21 or c > 0x7E for c in b):
        raise malformed("%s: not printable ASCII" % what)
    return b.decode("ascii")


def has_control(s):
    return any(unicodedata.category(c) == "Cc" for c in s)


def name_key_empty(name):
    # anchor.NameKey: NFKC, full case folding, NFKC again, white space collapsed. Only emptiness matters here.
    k = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(k.split()) == ""


def der_items(b):
    """The TLVs of DER content b, each as (tag, content, whole)."""
    out, i = [], 0
    while i < len(b):
        tag, n = b[i], b[i + 1]
        j = i + 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(b[j:j + k], "big")
            j += k
        out.append((tag, b[j:j + n], b[i:j + n]))
        i = j + n
    return out


EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")  # the OID 1.2.840.10045.2.1, DER


def spki_items(der):
    """The DER items of a certificate's SubjectPublicKeyInfo: its AlgorithmIdentifier and BIT STRING."""
    fields = der_items(der_items(der_items(der)[0][1])[0][1])
    if fields[0][0] == 0xA0:
        fields = fields[1:]
    return der_items(fields[5][1])


def spki_algorithm(der):
    return spki_items(der)[0][2]


def spki_point(der):
    return spki_items(der)[1][1][1:]


def cert_parts(der):
    """(TBSCertificate's signature AlgorithmIdentifier, the outer one, the signature BIT STRING's content)."""
    tbs, alg, sig = der_items(der_items(der)[0][1])[:3]
    fields = der_items(tbs[1])
    inner = fields[2] if fields[0][0] == 0xA0 else fields[1]
    return inner[2], alg[2], sig[1]


def parse_cert(der, what):
    """Parses a certificate as the decoder must (chain-transactions.md, "Strict parsing"): eagerly, as Go's
    crypto/x509 does, its key (a key of an algorithm it does not know aside) and extensions included, and its
    two signature algorithm identifiers the same. Closer to Go's parser than cryptography's lazy one, not the
    same."""
    try:
        c = x509.load_der_x509_certificate(der)
        try:
            c.public_key()
        except UnsupportedAlgorithm:
            # A key of an algorithm Go does not know parses (and no signature by it verifies); an EC key on a
            # curve it does not know does not.
            if EC_PUBLIC_KEY in spki_algorithm(der):
                raise
        if EC_PUBLIC_KEY in spki_algorithm(der) and (spki_items(der)[1][1][:1] != b"\x00" or spki_point(der)[:1] != b"\x04"):
            raise ValueError("an EC public key not in uncompressed form")
        for e in c.extensions:
            e.value
        if c.serial_number < 0:
            raise ValueError("negative serial number")
        try:
            names = [c.subject, c.issuer]
        except KeyError:
            names = []  # an attribute value of a tag cryptography does not know, which Go's parser reads
        for name in names:
            for a in name:
                if getattr(getattr(a, "_type", None), "value", None) == 18 and not re.fullmatch(r"[0-9 ]*", a.value):
                    raise ValueError("invalid NumericString")
        inner, outer, _ = cert_parts(der)
    except Exception as e:  # noqa: BLE001 - any parse failure refuses
        raise malformed("%s does not parse: %s" % (what, e))
    if inner != outer:
        raise malformed("%s: inner and outer signature algorithm identifiers differ" % what)
    bits = cert_parts(der)[2]
    if not bits or bits[0] > 7 or len(bits) == 1 and bits[0] or bits[-1] & ((1 << bits[0]) - 1):
        raise malformed("%s: invalid padding bits in the signature BIT STRING" % what)
    return c


def cert_bytes(r, what):
    n = r.u16(what + " length")
    if n == 0:
        raise malformed(what + ": length 0")
    der = r.take(n, what)
    parse_cert(der, what)
    return der


def decode(tx):
    """Decodes tx strictly into a dict (the fields the encoder needs), or raises Refused(MALFORMED)."""
    r = Reader(tx)
    if r.take(4, "magic") != b"CSTX":
        raise malformed("bad magic")
    version = r.u8("version")
    if not 1 <= version <= 11:
        raise malformed("unknown version")
    kind = None
    if version >= 2:
        kind = r.u8("kind")
    if (version, kind) not in KINDS:
        raise malformed("unknown kind (version %d, kind %s)" % (version, kind))
    name = KINDS[(version, kind)]
    t = {"version": version, "kind_byte": kind, "kind": name}
    if version in (6, 9):
        t["cert"] = cert_bytes(r, "governance certificate")
        t["ca"] = cert_bytes(r, "organization CA")
        t["member"] = r.take(32, "member")
        t["id"] = printable(r.take(r.u8("proposal ID length"), "proposal ID"), 1, 64, "proposal ID")
    elif version == 10:
        t["ca"] = cert_bytes(r, "organization CA")
        t["member"] = r.take(32, "member")
        if t["member"] == bytes(32):
            raise malformed("member is all zeros")
        t["cert"] = cert_bytes(r, "revoked certificate")
    else:
        t["cert"] = cert_bytes(r, "node certificate")
        t["ca"] = cert_bytes(r, "organization CA")
    body = {
        "batch": decode_batch,
        "upgrade": decode_upgrade,
        "directory": decode_directory,
        "register": decode_register,
        "propose": decode_proposal,
        "vote": decode_vote,
        "revoke-governance-cert": lambda r, t: None,
        "regcommit": decode_regcommit,
    }[name]
    t["body"] = body(r, t)
    if r.left() != 64:
        raise malformed("%d bytes left for the signature, want 64" % r.left())
    t["sig"] = r.take(64, "signature")
    t["signed"] = tx[:-64]
    return t


def count(r, size, lo, hi, item_min, what):
    """A count of `size` bytes in lo..hi whose items (each at least item_min bytes) fit in the bytes left."""
    n = r.uint(size, what)
    if not lo <= n <= hi or n * item_min > r.left():
        raise malformed("%s %d, want %d to %d and the bytes to hold them" % (what, n, lo, hi))
    return n


def decode_batch(r, t):
    v = t["version"]
    b = {"seq": r.u64("seq")}
    b["leaves"] = [r.take(32, "leaf") for _ in range(count(r, 4, 1 if v == 1 else 0, MAX_LEAVES, 32, "leaf count"))]
    if v == 1:
        return b
    head_size = 72 if v == 2 else 84
    heads = []
    for i in range(count(r, 4, 0, MAX_HEADS, head_size, "head count")):
        h = {"key": r.take(32, "head key")}
        if v >= 3:
            h["first_batch"] = r.u64("head batch")
            h["first_offset"] = r.u32("head offset")
            if h["first_batch"] == 0:
                raise malformed("head %d names no batch for its chain's first event" % i)
            if h["first_offset"] >= MAX_OFFSET:
                raise malformed("head %d: offset %d" % (i, h["first_offset"]))
        h["events"] = r.u64("head events")
        if h["events"] == 0:
            raise malformed("head %d covers no events" % i)
        h["value"] = r.take(32, "head value")
        if heads and heads[-1]["key"] >= h["key"]:
            raise malformed("head keys are not in strictly increasing order at %d" % i)
        heads.append(h)
    b["heads"] = heads
    deposits = []
    if v >= 4:
        for i in range(count(r, 4, 0, MAX_DEPOSITS, 45 if v == 4 else 35, "deposit count")):
            d = {}
            if v == 4:
                d["batch"] = r.u64("deposit batch")
                d["offset"] = r.u32("deposit offset")
                flags = r.u8("deposit flags")
                if flags not in (0, 1):
                    raise malformed("deposit %d: flags %d" % (i, flags))
            else:
                flags = r.u8("deposit flags")
                if flags & ~3:
                    raise malformed("deposit %d: flags %d" % (i, flags))
                if flags & 2:
                    d["batch"] = r.u64("deposit batch")
                    if d["batch"] == b["seq"]:
                        raise malformed("deposit %d names its own batch as another" % i)
                else:
                    d["batch"] = b["seq"]
                d["offset"] = r.u16("deposit offset")
            if d["batch"] == 0:
                raise malformed("deposit %d names no batch" % i)
            if d["offset"] >= MAX_OFFSET:
                raise malformed("deposit %d: offset %d" % (i, d["offset"]))
            d["sha256"] = r.take(32, "deposit sha256")
            if flags & 1:
                d["sm3"] = r.take(32, "deposit sm3")
            if deposits and (deposits[-1]["batch"], deposits[-1]["offset"]) >= (d["batch"], d["offset"]):
                raise malformed("deposits are not in strictly increasing (batch, offset) order at %d" % i)
            deposits.append(d)
        b["deposits"] = deposits
    if not b["leaves"] and not heads and not deposits:
        raise malformed("an empty batch")
    return b


def decode_upgrade(r, t):
    u = {"state_version": r.u32("state version"), "height": r.u64("height")}
    if u["state_version"] < 2:
        raise malformed("upgrade to state version %d" % u["state_version"])
    if not 1 <= u["height"] <= MAX_HEIGHT:
        raise malformed("upgrade height %d" % u["height"])
    return u


def decode_directory(r, t):
    orgs = []
    for i in range(count(r, 4, 1, MAX_ORGS, 7 if t["version"] == 4 else 15, "organization count")):
        o = {"id": printable(r.take(r.u8("id length"), "id"), 1, 64, "organization %d: id" % i)}
        o["kind"] = printable(r.take(r.u8("kind length"), "kind"), 1, 32, "organization %d: kind" % i)
        raw = r.take(r.u16("name length"), "name")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise malformed("organization %d: a name of UTF-8" % i)
        if not 1 <= len(name) <= 200 or len(raw) > 800 or has_control(name) or name_key_empty(name):
            raise malformed("organization %d: a name of 1 to 200 characters of UTF-8" % i)
        o["name"] = name
        if t["version"] == 8:
            o["revision"] = r.u64("revision")
            if o["revision"] == 0:
                raise malformed("organization %d: revision 0, want 1 or more" % i)
        if orgs and orgs[-1]["id"].encode() >= o["id"].encode():
            raise malformed("organization IDs are not in strictly increasing order at %d" % i)
        orgs.append(o)
    return orgs


def decode_files(r, n, what):
    files = []
    for j in range(n):
        flags = r.u8("file flags")
        if flags not in (0, 1):
            raise malformed("%s: file %d: flags %d" % (what, j, flags))
        f = {"sha256": r.take(32, "file sha256")}
        if flags == 1:
            f["phash"] = r.take(8, "perceptual hash")
        files.append(f)
    return files


def decode_register(r, t):
    regs = []
    for i in range(count(r, 2, 1, MAX_REGS, 5, "registration count")):
        what = "registration %d" % i
        g = {"id": printable(r.take(r.u8("id length"), "id"), 1, 64, what + ": id")}
        g["org"] = printable(r.take(r.u8("org length"), "org"), 0, 64, what + ": org")
        legacy = r.take(r.u8("legacy length"), "legacy number")
        try:
            g["legacy"] = legacy.decode("utf-8")
        except UnicodeDecodeError:
            raise malformed(what + ": legacy number not UTF-8")
        if has_control(g["legacy"]):
            raise malformed(what + ": legacy number with a control character")
        revoked = r.u8("revoked")
        if revoked not in (0, 1):
            raise malformed(what + ": revoked %d" % revoked)
        g["revoked"] = revoked == 1
        n = r.u8("file count")
        if n > MAX_REG_FILES or (n == 0 and not g["revoked"]):
            raise malformed(what + ": a file count of 1..20 (0 only to revoke it)")
        g["files"] = decode_files(r, n, what)
        if regs and regs[-1]["id"].encode() >= g["id"].encode():
            raise malformed("registration IDs are not in strictly increasing order at %d" % i)
        regs.append(g)
    return regs


def decode_regcommit(r, t):
    commits = []
    seen = set()
    for i in range(count(r, 2, 1, MAX_REGS, 32, "commitment count")):
        c = r.take(32, "commitment")
        if c in seen:
            raise malformed("commitment %d is in the transaction twice" % i)
        seen.add(c)
        commits.append(c)
    return commits


def nonzero_target(r):
    tgt = r.take(32, "target")
    if tgt == bytes(32):
        raise malformed("target is all zeros")
    return tgt


def power(r):
    p = r.u64("power")
    if not 1 <= p <= MAX_POWER:
        raise malformed("power %d, want 1 to %d" % (p, MAX_POWER))
    return p


def decode_proposal(r, t):
    p = {"expires": r.u64("expires")}
    if not 1 <= p["expires"] <= MAX_HEIGHT:
        raise malformed("expires %d" % p["expires"])
    flags = r.u8("flags")
    if flags not in (0, 1):
        raise malformed("proposal flags %d, want 0 or 1" % flags)
    p["override"] = flags == 1
    p["action_byte"] = r.u8("action")
    if p["action_byte"] not in ACTIONS:
        raise malformed("unknown governance action %d" % p["action_byte"])
    p["action"] = ACTIONS[p["action_byte"]]
    a = p["action_byte"]
    if a == 1:
        p["org_ca"] = cert_bytes(r, "admitted organization CA")
        p["validator_key"] = r.take(32, "validator key")
        p["power"] = power(r)
    else:
        p["target"] = nonzero_target(r)
        if a == 3:
            p["validator_key"] = r.take(32, "validator key")
        elif a == 4:
            p["power"] = power(r)
        elif a == 5:
            p["ca_hash"] = r.take(32, "CA hash")
    return p


def decode_vote(r, t):
    choice = r.u8("choice")
    if choice not in (0, 1):
        raise malformed("vote choice %d" % choice)
    v = {"yes": choice == 1}
    if t["version"] == 9:
        v["proposal_sha256"] = r.take(32, "proposal SHA-256")
    return v


# ---------------------------------------------------------------------------------------------------------
# Encoding


def u(n, size):
    return n.to_bytes(size, "big")


def encode(t):
    v, kind = t["version"], t["kind"]
    out = b"CSTX" + u(v, 1)
    if v >= 2:
        out += u(t["kind_byte"], 1)
    if v in (6, 9):
        out += u(len(t["cert"]), 2) + t["cert"] + u(len(t["ca"]), 2) + t["ca"] + t["member"]
        out += u(len(t["id"]), 1) + t["id"].encode()
    elif v == 10:
        out += u(len(t["ca"]), 2) + t["ca"] + t["member"] + u(len(t["cert"]), 2) + t["cert"]
    else:
        out += u(len(t["cert"]), 2) + t["cert"] + u(len(t["ca"]), 2) + t["ca"]
    body = t["body"]
    if kind == "batch":
        out += u(body["seq"], 8) + u(len(body["leaves"]), 4) + b"".join(body["leaves"])
        if v >= 2:
            out += u(len(body["heads"]), 4)
            for h in body["heads"]:
                out += h["key"]
                if v >= 3:
                    out += u(h["first_batch"], 8) + u(h["first_offset"], 4)
                out += u(h["events"], 8) + h["value"]
        if v >= 4:
            out += u(len(body["deposits"]), 4)
            for d in body["deposits"]:
                sm3 = d.get("sm3", b"")
                if v == 4:
                    out += u(d["batch"], 8) + u(d["offset"], 4) + u(1 if sm3 else 0, 1)
                else:
                    other = d["batch"] != body["seq"]
                    out += u((1 if sm3 else 0) | (2 if other else 0), 1)
                    if other:
                        out += u(d["batch"], 8)
                    out += u(d["offset"], 2)
                out += d["sha256"] + sm3
    elif kind == "upgrade":
        out += u(body["state_version"], 4) + u(body["height"], 8)
    elif kind == "directory":
        out += u(len(body), 4)
        for o in body:
            name = o["name"].encode("utf-8")
            out += u(len(o["id"]), 1) + o["id"].encode() + u(len(o["kind"]), 1) + o["kind"].encode()
            out += u(len(name), 2) + name
            if v == 8:
                out += u(o["revision"], 8)
    elif kind == "register":
        out += u(len(body), 2)
        for g in body:
            legacy = g["legacy"].encode("utf-8")
            out += u(len(g["id"]), 1) + g["id"].encode() + u(len(g["org"]), 1) + g["org"].encode()
            out += u(len(legacy), 1) + legacy + u(1 if g["revoked"] else 0, 1)
            out += encode_files(g["files"])
    elif kind == "regcommit":
        out += u(len(body), 2) + b"".join(body)
    elif kind == "propose":
        out += encode_proposal_body(body)
    elif kind == "vote":
        out += u(1 if body["yes"] else 0, 1) + body.get("proposal_sha256", b"")
    return out + t["sig"]


def encode_files(files):
    out = u(len(files), 1)
    for f in files:
        out += u(1 if "phash" in f else 0, 1) + f["sha256"] + f.get("phash", b"")
    return out


def encode_proposal_body(p):
    out = u(p["expires"], 8) + u(1 if p["override"] else 0, 1) + u(p["action_byte"], 1)
    a = p["action_byte"]
    if a == 1:
        out += u(len(p["org_ca"]), 2) + p["org_ca"] + p["validator_key"] + u(p["power"], 8)
    else:
        out += p["target"]
        if a == 3:
            out += p["validator_key"]
        elif a == 4:
            out += u(p["power"], 8)
        elif a == 5:
            out += p["ca_hash"]
    return out


def proposal_hash(t):
    """chain-transactions.md: SHA-256 of member ‖ idLen ‖ ID ‖ expires ‖ flags ‖ action ‖ params."""
    return hashlib.sha256(t["member"] + u(len(t["id"]), 1) + t["id"].encode() + encode_proposal_body(t["body"])).digest()


def reg_commitment(g):
    """anchor.RegCommitment: SHA-256("custos/regcommit/v1" 0x00 ‖ idLen ‖ id ‖ files u8 ‖ files)."""
    return hashlib.sha256(b"custos/regcommit/v1\x00" + u(len(g["id"]), 1) + g["id"].encode() + encode_files(g["files"])).digest()


# ---------------------------------------------------------------------------------------------------------
# The readable form of the vectors' `decoded`


def subject(der):
    c = parse_cert(der, "certificate")
    return {"subject": c.subject.rfc4514_string(), "length": len(der), "sha256": hashlib.sha256(der).hexdigest()}


def spki(c):
    return c.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def member_id(der):
    return hashlib.sha256(spki(parse_cert(der, "certificate"))).digest()


def readable(t):
    d = {"version": t["version"], "kind": t["kind"]}
    if t["kind_byte"] is not None:
        d["kind_byte"] = t["kind_byte"]
    v, body = t["version"], t["body"]
    if v in (6, 9):
        d["governance_cert"] = subject(t["cert"])
        d["member"] = t["member"].hex()
    elif v == 10:
        d["member"] = t["member"].hex()
        d["revoked_governance_cert"] = subject(t["cert"])
    else:
        d["node_cert"] = subject(t["cert"])
        d["member"] = member_id(t["cert"]).hex()
    d["org_ca"] = subject(t["ca"])
    k = t["kind"]
    if k == "batch":
        b = {"seq": body["seq"], "leaves": [x.hex() for x in body["leaves"]]}
        if body.get("heads"):
            b["heads"] = [{kk: (vv.hex() if isinstance(vv, bytes) else vv) for kk, vv in h.items()} for h in body["heads"]]
        if body.get("deposits"):
            b["deposits"] = [{kk: (vv.hex() if isinstance(vv, bytes) else vv) for kk, vv in x.items()} for x in body["deposits"]]
        d["batch"] = b
    elif k == "upgrade":
        d["upgrade"] = dict(body)
    elif k == "directory":
        d["organizations"] = [dict(o) for o in body]
    elif k == "register":
        d["registrations"] = [dict(g, files=[{kk: vv.hex() for kk, vv in f.items()} for f in g["files"]]) for g in body]
    elif k == "regcommit":
        d["commitments"] = [c.hex() for c in body]
    elif k == "propose":
        p = {"id": t["id"]}
        for kk, vv in body.items():
            if kk == "org_ca":
                p[kk] = subject(vv)
            else:
                p[kk] = vv.hex() if isinstance(vv, bytes) else vv
        d["proposal"] = p
    elif k == "vote":
        d["vote"] = {"id": t["id"], "yes": body["yes"]}
        if "proposal_sha256" in body:
            d["vote"]["proposal_sha256"] = body["proposal_sha256"].hex()
    d["signature"] = t["sig"].hex()
    return d


def compare(want, got, path="decoded"):
    """Differences between the vector's decoded form and ours, for every field the vector lists."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return ["%s: want an object, got %r" % (path, got)]
        out = []
        for k, w in want.items():
            if k == "signature_algorithm":
                continue  # a description, checked by verifying the signature
            if k not in got:
                out.append("%s.%s: missing (want %r)" % (path, k, w))
            else:
                out += compare(w, got[k], path + "." + k)
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            return ["%s: want %d items, got %r" % (path, len(want), got)]
        out = []
        for i, (w, g) in enumerate(zip(want, got)):
            out += compare(w, g, "%s[%d]" % (path, i))
        return out
    return [] if want == got else ["%s: want %r, got %r" % (path, want, got)]


# ---------------------------------------------------------------------------------------------------------
# Certificates and signatures


def utc(c, which):
    at = getattr(c, which + "_utc", None)  # cryptography 42 and later
    if at is None:
        at = getattr(c, which).replace(tzinfo=datetime.timezone.utc)
    return at


def valid_at(c, at, what):
    if not utc(c, "not_valid_before") <= at <= utc(c, "not_valid_after"):
        raise Refused(NOT_MEMBER, "%s not valid at %s" % (what, at.isoformat()))


def issued_by(c, issuer, what):
    try:
        other = c.issuer != issuer.subject
    except KeyError:
        raise Refused(NOT_MEMBER, "%s: a name this checker cannot read" % what)
    if other:
        raise Refused(NOT_MEMBER, "%s is issued by %s, not %s" % (what, c.issuer.rfc4514_string(), issuer.subject.rfc4514_string()))
    # The signature is the BIT STRING's bits right-aligned, as Go's crypto/x509 reads it (so a twin written
    # with unused bits, its bits shifted left, verifies; one with its bits not shifted does not).
    bits = cert_parts(c.public_bytes(serialization.Encoding.DER))[2]
    sig = (int.from_bytes(bits[1:], "big") >> bits[0]).to_bytes(len(bits) - 1, "big")
    try:
        key = issuer.public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, c.tbs_certificate_bytes, ec.ECDSA(c.signature_hash_algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(sig, c.tbs_certificate_bytes)
        else:
            raise Refused(NOT_MEMBER, "%s: issuer key of an unsupported kind" % what)
    except (InvalidSignature, UnsupportedAlgorithm):
        raise Refused(NOT_MEMBER, "%s: bad issuer signature" % what)


def is_ca(c):
    try:
        return c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def eku(c):
    try:
        e = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        return e.critical, list(e.value)
    except x509.ExtensionNotFound:
        return False, None


def check_org_ca(ca, root, at):
    if not is_ca(ca):
        raise Refused(NOT_MEMBER, "organization CA is not a CA")
    issued_by(ca, root, "organization CA")
    valid_at(ca, at, "organization CA")
    valid_at(root, at, "root")


def check_node(t, root, at):
    cert, ca = parse_cert(t["cert"], "node certificate"), parse_cert(t["ca"], "organization CA")
    if not isinstance(cert.public_key(), ed25519.Ed25519PublicKey):
        raise Refused(NOT_MEMBER, "node key is not Ed25519")
    issued_by(cert, ca, "node certificate")
    check_org_ca(ca, root, at)
    valid_at(cert, at, "node certificate")
    _, usages = eku(cert)
    if usages is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        raise Refused(NOT_MEMBER, "node certificate without clientAuth")


def check_governance_cert(cert, ca, root, at, check_time=True):
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise Refused(NOT_MEMBER, "governance key is not ECDSA P-256")
    critical, usages = eku(cert)
    if not critical or usages != [GOVERNANCE_EKU]:
        raise Refused(NOT_MEMBER, "not a governance certificate (extended key usage)")
    try:
        if not cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            raise Refused(NOT_MEMBER, "governance certificate without digitalSignature")
    except x509.ExtensionNotFound:
        raise Refused(NOT_MEMBER, "governance certificate without key usage")
    if is_ca(cert):
        raise Refused(NOT_MEMBER, "governance certificate is a CA")
    issued_by(cert, ca, "governance certificate")
    if check_time:
        valid_at(cert, at, "governance certificate")


def ecdsa_verify(key, sig, msg, what):
    r_, s_ = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if not (0 < r_ < P256_N and 0 < s_ <= P256_N // 2):
        raise Refused(NOT_MEMBER, "bad transaction signature: %s (r or s out of range, or high s)" % what)
    try:
        key.verify(encode_dss_signature(r_, s_), msg, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refused(NOT_MEMBER, "bad transaction signature: " + what)


def verify(t, pki, at):
    """Everything about the signer that needs no chain state. Raises Refused(NOT_MEMBER)."""
    chain = pki["chain_id"].encode()
    root = pki["root"]
    v = t["version"]
    if v in (6, 9):
        cert, ca = parse_cert(t["cert"], "governance certificate"), parse_cert(t["ca"], "organization CA")
        check_governance_cert(cert, ca, root, at)
        check_org_ca(ca, root, at)
        ecdsa_verify(cert.public_key(), t["sig"], GOV_PREFIX + chain + b"\x00" + t["signed"], "governance")
    elif v == 10:
        cert, ca = parse_cert(t["cert"], "revoked certificate"), parse_cert(t["ca"], "organization CA")
        check_org_ca(ca, root, at)
        check_governance_cert(cert, ca, root, at, check_time=False)
        if not isinstance(ca.public_key(), ec.EllipticCurvePublicKey):
            raise Skip("an SM2 organization CA: not implemented here")
        ecdsa_verify(ca.public_key(), t["sig"], REVOKE_PREFIX + chain + b"\x00" + t["signed"], "revocation")
    else:
        check_node(t, root, at)
        key = parse_cert(t["cert"], "node certificate").public_key()
        try:
            key.verify(t["sig"], NODE_PREFIX + chain + b"\x00" + t["signed"])
        except InvalidSignature:
            raise Refused(NOT_MEMBER, "bad transaction signature")


# ---------------------------------------------------------------------------------------------------------
# A model of the chain state: as much as the vectors need, from the docs


# Which state versions take each (version, kind): chain-transactions.md, the first table.
def takes(state, version, kind):
    return {
        (1, "batch"): state == 1,
        (2, "batch"): state == 2,
        (2, "upgrade"): True,
        (3, "batch"): state == 3,
        (4, "batch"): 4 <= state <= 6,
        (4, "directory"): 4 <= state <= 7,
        (5, "register"): state >= 5,
        (6, "propose"): state >= 6,
        (6, "vote"): 6 <= state <= 8,
        (7, "batch"): state >= 7,
        (8, "directory"): state >= 8,
        (9, "vote"): state >= 9,
        (10, "revoke-governance-cert"): state >= 10,
        (11, "regcommit"): state >= 12,
    }[(version, kind)]


class Member:
    def __init__(self, mid, key, power, cas, court):
        self.id = mid
        self.key = key  # Ed25519 public key bytes
        self.power = power
        self.cas = cas  # SHA-256 of DER -> retired (bool)
        self.court = court
        self.removed = False
        self.revoked = {}  # TBSCertificate SHA-256 -> (DER SHA-256, height)


class State:
    LATEST = 12

    def __init__(self, pki, version):
        self.pki = pki
        self.version = version
        self.members = {}
        for m in pki["members"]:
            cert = x509.load_pem_x509_certificate(m["node"]["cert_pem"].encode())
            ca = x509.load_pem_x509_certificate(m["org_ca_pem"].encode())
            mid = hashlib.sha256(spki(cert)).digest()
            key = cert.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            ou = ca.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
            # From state version 6 the genesis names each member's organization CA (vectors README).
            cas = {hashlib.sha256(ca.public_bytes(serialization.Encoding.DER)).digest(): False} if version >= 6 else {}
            self.members[mid] = Member(mid, key, 10, cas, bool(ou) and ou[0].value == "court")
        self.batches = {}  # (member, seq) -> leaf count
        self.head_owner = {}  # version-2 head key -> member
        self.upgrade_votes = set()  # (version, height, member)
        self.orgs = {}  # id -> {"home", "name", "kind", "revision"}
        self.names = {}  # name key -> org id
        self.register = {}  # (member, id) -> registration
        self.legacy = set()  # (member, legacy number)
        self.commitments = {}  # (member, commitment) -> used
        self.proposals = {}  # id -> {"hash", "status", "expires", "votes"}

    def validator(self, key):
        for m in self.members.values():
            if m.key == key and not m.removed:
                return m
        return None

    def ca_member(self, ca_der):
        h = hashlib.sha256(ca_der).digest()
        for m in self.members.values():
            if h in m.cas:
                return m, m.cas[h]
        return None, False

    def apply(self, t, height, at):
        """Checks t against the state and applies it, or raises Refused. Certificates and signature are checked."""
        # The order of the checks, which decides the code of a transaction with several faults, is
        # chain-transactions.md's "Verdicts": certificates and signature (2), the node a validator (2);
        # then the state version (5), then the kind's checks against the state.
        verify(t, self.pki, at)
        kind, v = t["kind"], t["version"]
        if v in (6, 9, 10):
            if not takes(self.version, v, kind):
                raise Refused(VERSION, "a version-%d %s at state version %d" % (v, kind, self.version))
            return self.governance(t, height, at)
        cert = parse_cert(t["cert"], "node certificate")
        key = cert.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        m = self.validator(key)
        if m is None:
            raise Refused(NOT_MEMBER, "the signing node is not a validator of this chain")
        if self.version >= 6:
            owner, retired = self.ca_member(t["ca"])
            if retired:
                raise Refused(NOT_MEMBER, "organization CA retired")
        if not takes(self.version, v, kind):
            raise Refused(VERSION, "a version-%d %s at state version %d" % (v, kind, self.version))
        member = member_id(t["cert"])
        getattr(self, "apply_" + kind)(t, member, m, height, at)

    # Node transactions -----------------------------------------------------------------------------------

    def apply_batch(self, t, member, m, height, at):
        b = t["body"]
        if (member, b["seq"]) in self.batches:
            raise Refused(DUPLICATE, "batch already in the log")
        # Heads (version 3 on), then deposits, each naming a leaf of this batch or of one of the member's in
        # the log (code 4 otherwise). FinalizeBlock's rule; CheckTx lets them name an earlier batch still pending.
        for x in (b["heads"] if t["version"] >= 3 else []) + b.get("deposits", []):
            batch = x.get("first_batch", x.get("batch"))
            offset = x.get("first_offset", x.get("offset"))
            leaves = len(b["leaves"]) if batch == b["seq"] else self.batches.get((member, batch))
            if leaves is None:
                raise Refused(STALE, "a head or deposit names batch %d, not in the log" % batch)
            if offset >= leaves:
                raise Refused(STALE, "batch %d has %d leaves, not a leaf %d" % (batch, leaves, offset))
        if t["version"] == 2:
            # State version 2: the first member to register a head's key owns it (code 6).
            for h in b["heads"]:
                if self.head_owner.get(h["key"], m.id) != m.id:
                    raise Refused(NOT_OWNER, "custody head %s is another member's" % h["key"].hex())
            for h in b["heads"]:
                self.head_owner[h["key"]] = m.id
        self.batches[(member, b["seq"])] = len(b["leaves"])

    def apply_upgrade(self, t, member, m, height, at):
        u_ = t["body"]
        if u_["state_version"] > State.LATEST:
            raise Refused(VERSION, "a state version this node does not run")
        if u_["state_version"] != self.version + 1 or u_["height"] <= height:
            raise Refused(STALE, "an upgrade vote for another version or a past height")
        vote = (u_["state_version"], u_["height"], m.id)
        if vote in self.upgrade_votes:
            raise Refused(DUPLICATE, "this validator already voted for this upgrade")
        self.upgrade_votes.add(vote)

    def apply_directory(self, t, member, m, height, at):
        changed = False
        for o in t["body"]:
            cur = self.orgs.get(o["id"])
            if cur is not None and cur["home"] != m.id:
                raise Refused(NOT_OWNER, "organization %s is another member's" % o["id"])
            if t["version"] == 8:
                held = cur["revision"] if cur else 0
                if o["revision"] != held + 1:
                    raise Refused(STALE, "organization %s: revision %d, the directory holds %d" % (o["id"], o["revision"], held))
            key = " ".join(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", o["name"]).casefold()).split())
            holder = self.names.get(key)
            if holder is not None and holder != o["id"]:
                raise Skip("a name another organization holds (claims) is not modelled")
            if cur is None or cur["name"] != o["name"] or cur["kind"] != o["kind"]:
                changed = True
        if not changed and t["version"] == 4:
            raise Refused(DUPLICATE, "a registration that changes nothing")
        for o in t["body"]:
            key = " ".join(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", o["name"]).casefold()).split())
            self.orgs[o["id"]] = {"home": m.id, "name": o["name"], "kind": o["kind"], "revision": o.get("revision", 0)}
            self.names[key] = o["id"]

    def apply_register(self, t, member, m, height, at):
        # Registration by registration in ID order: legacy number, organization, revocation, commitment;
        # then at least one that changes something (chain-transactions.md, "The order of the checks").
        fresh = []
        legacy_here = set()
        for g in t["body"]:
            held = self.register.get((m.id, g["id"]))
            if g["legacy"] and self.version >= 8 and held is None:
                if CHAIN_NUMBER.match(g["legacy"]):
                    raise Refused(NOT_OWNER, "legacy number %r has the form of a number the chain assigns" % g["legacy"])
                if (m.id, g["legacy"]) in self.legacy or g["legacy"] in legacy_here:
                    raise Refused(REFUSED if self.version >= 12 else DUPLICATE, "legacy number filed already")
                legacy_here.add(g["legacy"])
            if g["org"] and (g["org"] not in self.orgs or self.orgs[g["org"]]["home"] != m.id):
                raise Refused(NOT_OWNER, "organization %s is not in the directory as the member's" % g["org"])
            if held is None and not g["files"]:
                raise Refused(STALE, "registration %s is not in the register: revoke it with its files" % g["id"])
            if held is None and self.version >= 12:
                c = (m.id, reg_commitment(g))
                if c not in self.commitments or self.commitments[c]:
                    raise Refused(STALE, "registration %s: the member has not committed to it" % g["id"])
            if held is None or (g["revoked"] and not held["revoked"]):
                fresh.append(g)
        if not fresh:
            raise Refused(DUPLICATE, "every registration is already in the register as it is")
        for g in fresh:
            held = self.register.get((m.id, g["id"]))
            if held is not None:
                held["revoked"] = True
                continue
            self.register[(m.id, g["id"])] = dict(g)
            if g["legacy"]:
                self.legacy.add((m.id, g["legacy"]))
            if self.version >= 12:
                self.commitments[(m.id, reg_commitment(g))] = True

    def apply_regcommit(self, t, member, m, height, at):
        new = [c for c in t["body"] if (m.id, c) not in self.commitments]
        if not new:
            raise Refused(DUPLICATE, "no commitment that is new")
        for c in new:
            self.commitments[(m.id, c)] = False

    # Governance ------------------------------------------------------------------------------------------

    def governance(self, t, height, at):
        m = self.members.get(t["member"])
        if m is None or m.removed:
            raise Refused(NOT_MEMBER, "the named member does not exist or was removed")
        h = hashlib.sha256(t["ca"]).digest()
        if m.cas.get(h, True):  # not bound to the member, or retired
            raise Refused(NOT_MEMBER, "organization CA is not one of member %s's" % m.id.hex())
        tbs = hashlib.sha256(parse_cert(t["cert"], "certificate").tbs_certificate_bytes).digest()
        if t["kind"] == "revoke-governance-cert":
            if tbs in m.revoked:
                raise Refused(DUPLICATE, "governance certificate revoked already")
            m.revoked[tbs] = (hashlib.sha256(t["cert"]).digest(), height)
            for p in self.proposals.values():
                if p["status"] == "open" and any(vm == m.id for vm in p["votes"]):
                    raise Skip("a revocation dropping votes is not modelled")
            return
        if self.version >= 10 and tbs in m.revoked:
            raise Refused(REVOKED, "governance certificate was revoked")
        if t["kind"] == "propose":
            return self.propose(t, m, height)
        return self.vote(t, m, height)

    def propose(self, t, m, height):
        p = t["body"]
        if t["id"] in self.proposals:
            raise Refused(DUPLICATE, "proposal %s exists" % t["id"])
        if p["expires"] < height:
            raise Refused(STALE, "proposal expires before the block")
        if p["expires"] > height + MAX_PROPOSAL_LIFE:
            raise Refused(REFUSED, "proposal expires more than %d blocks after %d" % (MAX_PROPOSAL_LIFE, height))
        self.check_effect(p)
        self.proposals[t["id"]] = {"hash": proposal_hash(t), "status": "open", "expires": p["expires"], "votes": {}, "body": p}

    def check_effect(self, p):
        live = {k: mm for k, mm in self.members.items() if not mm.removed}
        powers = {k: mm.power for k, mm in live.items()}
        courts = {k for k, mm in live.items() if mm.court}
        a = p["action"]
        before = dict(powers)
        if a != "admit" and p["target"] not in live:
            raise Refused(REFUSED, "the target is not a member")
        if a == "admit":
            # governance.md, "Rules and refusals": a CA issued by the root with an O and a known OU, not
            # already a member's; a validator key that is, or was, no member's.
            ca = parse_cert(p["org_ca"], "admitted organization CA")
            try:
                issued_by(ca, self.pki["root"], "admitted organization CA")
            except Refused as e:
                raise Refused(REFUSED, e.reason)
            o = ca.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
            ou = ca.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
            if not is_ca(ca) or not o or not ou or ou[0].value not in ("court", "notary", "arbitration"):
                raise Refused(REFUSED, "an admission's CA without an O and a known OU")
            if self.ca_member(p["org_ca"])[0] is not None:
                raise Refused(REFUSED, "an admission's CA is a member's already")
            if any(mm.key == p["validator_key"] for mm in self.members.values()):
                raise Refused(REFUSED, "the new validator key is a member's")
            powers["new"] = p["power"]
        if a == "rotate" and any(mm.key == p["validator_key"] for mm in self.members.values()):
            raise Refused(REFUSED, "the new validator key is a member's")
        if a == "power":
            if powers[p["target"]] == p["power"]:
                raise Refused(REFUSED, "the power does not change")
            powers[p["target"]] = p["power"]
        if a == "remove":
            del powers[p["target"]]
            courts.discard(p["target"])
        if a == "retire-ca":
            if self.members[p["target"]].cas.get(p["ca_hash"], True):
                raise Refused(REFUSED, "not one of the target's CAs in use")
        if not powers:
            raise Refused(REFUSED, "the validator set would be empty")
        if not p["override"]:
            if len(powers) < 4 and len(powers) < len(before):
                raise Refused(REFUSED, "fewer than 4 validators")
            if not courts and any(mm.court for mm in live.values()):
                raise Refused(REFUSED, "the last court would leave")
            if self.version >= 9:
                total, largest = sum(powers.values()), max(powers.values())
                tb, lb = sum(before.values()), max(before.values())
                if 3 * largest >= total and not (3 * lb >= tb and largest * tb <= lb * total):
                    raise Refused(REFUSED, "one validator would hold a third of the power or more")

    def vote(self, t, m, height):
        p = self.proposals.get(t["id"])
        if p is None:
            raise Refused(STALE, "no proposal %s" % t["id"])
        if t["version"] == 9 and t["body"]["proposal_sha256"] != p["hash"]:
            raise Refused(REFUSED, "the vote names another proposal's SHA-256")
        if p["status"] != "open" or height > p["expires"]:
            raise Refused(STALE, "proposal %s is not open" % t["id"])
        if m.id in p["votes"]:
            raise Refused(DUPLICATE, "the member voted already")
        p["votes"][m.id] = t["body"]["yes"]
        live = {k: mm.power for k, mm in self.members.items() if not mm.removed}
        total = sum(live.values())
        yes = sum(live.get(k, 0) for k, y in p["votes"].items() if y)
        no = sum(live.get(k, 0) for k, y in p["votes"].items() if not y)
        if 3 * yes > 2 * total:
            p["status"] = "passed"
        elif 3 * no >= total:
            p["status"] = "rejected"


# ---------------------------------------------------------------------------------------------------------
# Running the vectors


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def load_pki(path):
    pki = json.load(open(path, encoding="utf-8"))
    pki["root"] = x509.load_pem_x509_certificate(pki["root_pem"].encode())
    return pki


def check_vector(vec, accepted, pki):
    """Returns (verdict, reason): PASS, FAIL or SKIP."""
    tx = bytes.fromhex(vec["tx"])
    if len(tx) != vec["length"]:
        return "FAIL", "length %d, the vector says %d" % (len(tx), vec["length"])
    want = vec["code"]
    try:
        t = decode(tx)
    except Refused as e:
        if "decoded" in vec:
            return "FAIL", "refused by the decoder (%s) but the vector decodes it" % e.reason
        if want == MALFORMED:
            return "PASS", "malformed: " + e.reason
        return "FAIL", "malformed (%s), want code %d" % (e.reason, want)
    if want == MALFORMED:
        return "FAIL", "decoded, want code 1 (%s)" % vec["log"]
    if encode(t) != tx:
        return "FAIL", "encoding what was decoded gives other bytes"
    if "decoded" not in vec:
        return "FAIL", "decoded, but the vector has no decoded form"
    diffs = compare(vec["decoded"], readable(t))
    if diffs:
        return "FAIL", "; ".join(diffs[:3])
    state = State(pki, vec["state_version"])
    try:
        for i, name in enumerate(vec.get("before", [])):
            b = accepted[name]
            # vectors README: one block each from height 1, at the vector's own time.
            state.apply(decode(bytes.fromhex(b["tx"])), i + 1, parse_time(vec["time"]))
    except Refused as e:
        return "FAIL", "before-vector refused: code %d: %s" % (e.code, e.reason)
    except Skip as e:
        return "SKIP", "a before-vector needs state not modelled: %s" % e
    try:
        state.apply(t, vec["height"], parse_time(vec["time"]))
        got, reason = OK, "accepted"
    except Refused as e:
        got, reason = e.code, e.reason
    except Skip as e:
        return "SKIP", str(e)
    if got != want:
        return "FAIL", "code %d (%s), want %d (%s)" % (got, reason, want, vec["log"])
    return "PASS", "code %d: %s" % (got, reason) + extra_checks(vec, t, accepted)


def extra_checks(vec, t, accepted):
    """Cross-checks the docs allow: a regcommit's commitments are register-v5's registrations'."""
    if vec["name"] == "regcommit-v11" and "register-v5" in accepted:
        regs = decode(bytes.fromhex(accepted["register-v5"]["tx"]))["body"]
        want = sorted(reg_commitment(g) for g in regs)
        if sorted(t["body"]) != want:
            raise AssertionError("regcommit-v11's commitments are not register-v5's registrations'")
        return "; its commitments are register-v5's"
    return ""


def main(argv):
    if len(argv) != 2:
        print("usage: txcheck.py VECTORS_DIR", file=sys.stderr)
        return 2
    root = argv[1]
    pki = load_pki(os.path.join(root, "pki.json"))
    vectors = {}
    for sub in ("accept", "refuse"):
        for f in sorted(os.listdir(os.path.join(root, sub))):
            if f.endswith(".json"):
                vectors[(sub, f[:-5])] = json.load(open(os.path.join(root, sub, f), encoding="utf-8"))
    accepted = {name: v for (sub, name), v in vectors.items() if sub == "accept"}
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for (sub, name), vec in sorted(vectors.items()):
        if (sub == "accept") != (vec["code"] == OK):
            verdict, reason = "FAIL", "a vector in %s/ with code %d" % (sub, vec["code"])
        else:
            try:
                verdict, reason = check_vector(vec, accepted, pki)
            except Exception as e:  # noqa: BLE001 - a bug here is a FAIL, with its reason
                verdict, reason = "FAIL", "%s: %s" % (type(e).__name__, e)
        counts[verdict] += 1
        print("%s %s/%s: %s" % (verdict, sub, name, reason))
    print("%d PASS, %d FAIL, %d SKIP of %d vectors" % (counts["PASS"], counts["FAIL"], counts["SKIP"], len(vectors)))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
