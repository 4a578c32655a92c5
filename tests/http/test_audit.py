"""test_audit.py - the audit log over HTTP and `enlace audit verify` (issue 4; docs/audit.md).

On an MX node with an analyst (ana.ruiz, SSPC), two US liaison officers (kate.doyle of DEA,
sam.price of HSI) and admin changes made with the CLI:
  - every read, write, refused attempt and admin change is an entry, before the response;
  - /enlace/v1/audit/entries shows an entry in full only to the partner node of the party its
    objects come from and to whoever made the request, and leaf hashes of the rest, so anyone can still rebuild the tree;
  - checkpoints are C2SP tlog-checkpoints whose roots, inclusion and consistency proofs this file
    checks with its own RFC 9162 code (and the Ed25519 signature when python3-cryptography is
    there);
  - the proof endpoints' errors are TAXII error resources;
  - `enlace audit verify` accepts the growing log and catches, each with its reason: an edited
    leaf, a rewritten log (edited or swapped leaves with every hash rebuilt and re-signed by the
    node), dropped leaves, an older head replayed, and heads signed with another key.
"""

import base64
import hashlib
import http.server
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import unittest

from enlace_node import Node, indicator, main, run

try:  # optional: the CLI checks signatures in any case
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover
    Ed25519PublicKey = None

JSON = "application/json"
TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"  # TLP 2.0: the liaisons may read


def read_text(path):
    with open(path) as f:
        return f.read()


# ---- RFC 9162 §2.1, written here independently of the C code -----------------------------------

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(hashes):
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(index, size, lh, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, lh
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, root1, root2, proof):
    """RFC 9162 §2.1.4.2."""
    if first > second or not proof or first == 0:
        return False
    if first & (first - 1) == 0:
        proof = [root1] + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0


def parse_checkpoint(note):
    text, _, sigs = note.rpartition("\n\n")
    lines = text.split("\n")
    return {"origin": lines[0], "size": int(lines[1]), "root": base64.b64decode(lines[2]),
            "text": text + "\n", "sigs": [l for l in sigs.split("\n") if l]}


def rebuild_nodes(db):
    """What an operator who rewrites the log must do for proofs to work: recompute every complete
    subtree hash from the leaves as they now are, and drop the signed heads (the node signs new
    ones when it starts)."""
    c = sqlite3.connect(db)
    rows = c.execute("SELECT idx, data FROM audit_leaf ORDER BY idx").fetchall()
    c.execute("DELETE FROM audit_node")
    c.execute("DELETE FROM audit_checkpoint")
    level = [leaf_hash(bytes(d)) for _, d in rows]
    lv = 0
    while level:
        # key: the last leaf covered * 64 + level (src/store/schema_audit.c)
        c.executemany("INSERT INTO audit_node(pos, hash) VALUES (?, ?)",
                      [((((i + 1) << lv) - 1) << 6 | lv, h) for i, h in enumerate(level)])
        level = [node_hash(level[2 * i], level[2 * i + 1]) for i in range(len(level) // 2)]
        lv += 1
    c.commit()
    c.close()


class ReplayServer(threading.Thread):
    """A fake node that serves a fixed checkpoint (an older head, or one signed by another key)
    and passes nothing else."""

    def __init__(self, note):
        super().__init__(daemon=True)
        body = note.encode()

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/enlace/v1/audit/checkpoint"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/" % self.httpd.server_address[1]

    def run(self):
        self.httpd.serve_forever()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeNode(threading.Thread):
    """A fake node answering GET paths by prefix from routes: {prefix: (status, body bytes)}."""

    def __init__(self, routes):
        super().__init__(daemon=True)

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                for prefix, (status, body) in routes.items():
                    if self.path.startswith(prefix):
                        break
                else:
                    status, body = 404, b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the client hung up on a body too large: fine
                    pass

            def log_message(self, *a):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/" % self.httpd.server_address[1]

    def run(self):
        self.httpd.serve_forever()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def vkey(name, pk):
    """A signed-note verifier key NAME+ID+KEY for Ed25519 key pk (raw 32 bytes)."""
    kid = hashlib.sha256(name.encode() + b"\n\x01" + pk).digest()[:4]
    return "%s+%s+%s" % (name, kid.hex(), base64.b64encode(b"\x01" + pk).decode())


class AuditTest(unittest.TestCase):
    def setUp(self):
        self.n = Node(party="MX", org="SSPC")
        n = self.n
        n.add_org("DEA", party="US")
        n.add_org("HSI", party="US")
        n.add_user("ana.ruiz")
        n.add_user("kate.doyle", role="liaison", org="DEA")
        n.add_user("sam.price", role="liaison", org="HSI")
        self.coll = n.create_collection("Joint", alias="joint")
        n.grant(self.coll, "ana.ruiz")
        n.grant(self.coll, "kate.doyle", write=False)
        n.grant(self.coll, "sam.price", write=False)
        n.start("--audit-checkpoint", "1")
        self.tmp = tempfile.mkdtemp(prefix="enlace-audit-")
        self.state = os.path.join(self.tmp, "state.json")
        self.pub = os.path.join(n.dir, "node.pub")

    def tearDown(self):
        self.n.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers ------------------------------------------------------------------------------

    def audit(self, what, user="ana.ruiz", params=None, code=200):
        r = self.n.get("/enlace/v1/audit/" + what, user=user, params=params, accept=None)
        self.assertEqual(r.status_code, code, "%s -> %d %s" % (what, r.status_code, r.text[:300]))
        return r

    def checkpoint(self, user="ana.ruiz"):
        r = self.audit("checkpoint", user=user)
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain"), r.headers["Content-Type"])
        return r.text

    def wait_checkpoint(self, size, timeout=15):
        """The node signs a head within --audit-checkpoint (1 s) of the log growing."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            cp = parse_checkpoint(self.checkpoint())
            if cp["size"] >= size:
                return cp
            time.sleep(0.2)
        self.fail("no checkpoint of size >= %d within %ss" % (size, timeout))

    def size(self):
        return self.audit("entries", params={"start": "0", "end": "0"}).json()["size"]

    def entries(self, user="ana.ruiz", start=0):
        out = []
        while True:
            j = self.audit("entries", user=user, params={"start": str(start)}).json()
            out += j["entries"]
            if not j["more"]:
                return out
            start = j["end"]

    def local_entries(self):
        """Every entry in full, as the node's admin reads them locally (`enlace audit show`)."""
        r = self.n.cli("audit", "show", self.n.dir, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(l)["entry"] for l in r.stdout.splitlines()]

    def verify(self, url=None, state=None, entries=False, user="kate.doyle", pub=None):
        args = ["audit", "verify", "--url", url or self.n.base + "/", "--pubkey", pub or self.pub,
                "--state", state or self.state, "--user", user, "--password-stdin"]
        if entries:
            args.append("--entries")
        return run(args, input=self.n.passwords[user] + "\n")

    def assertVerified(self, **kw):
        r = self.verify(**kw)
        self.assertEqual(r.returncode, 0, "verify: %s %s" % (r.stdout, r.stderr))
        self.assertTrue(r.stdout.startswith("ok: "), r.stdout)
        return r

    def assertCaught(self, reason, **kw):
        r = self.verify(**kw)
        self.assertEqual(r.returncode, 3, "verify should fail with '%s': rc %d %s %s"
                         % (reason, r.returncode, r.stdout, r.stderr))
        line = r.stderr.strip()
        self.assertEqual(len(line.splitlines()), 1, line)
        self.assertIn("enlace audit verify: " + reason, line)
        return line

    def read_some(self, user, n=1):
        for _ in range(n):
            r = self.n.get(self.n.objects_path(self.coll), user=user)
            self.assertEqual(r.status_code, 200, r.text[:300])

    def post(self, k=3):
        objs = [indicator(i, object_marking_refs=[TLP_CLEAR]) for i in range(k)]
        r = self.n.post_envelope(self.coll, objs, user="ana.ruiz")
        self.assertEqual(r.status_code, 202, r.text[:300])
        return objs

    # ---- what is logged -----------------------------------------------------------------------

    def test_every_access_is_an_entry_with_its_decision(self):
        admin_changes = self.size()
        self.assertGreaterEqual(admin_changes, 7)  # org x2, user x3, grant x3 made with the CLI
        objs = self.post(3)
        self.read_some("kate.doyle")
        r = self.n.post_envelope(self.coll, [indicator(9)], user="kate.doyle")  # a liaison may not write
        self.assertEqual(r.status_code, 403)
        r = self.n.get("/api/collections/nope/objects/", user="sam.price")
        self.assertEqual(r.status_code, 404)
        es = self.local_entries()[admin_changes:]
        self.assertEqual([(e["principal"], e["action"], e["decision"]) for e in es],
                         [("ana.ruiz", "write", "allow"), ("kate.doyle", "read", "allow"),
                          ("kate.doyle", "write", "deny"), ("sam.price", "read", "deny")])
        write, read = es[0], es[1]
        ids = sorted(o["id"] for o in objs)
        self.assertEqual(sorted(i for i, _ in write["objects"]), ids)
        self.assertEqual(sorted(i for i, _ in read["objects"]), ids)
        self.assertEqual({v for _, v in read["objects"]}, {"2024-01-01T00:00:00.000Z"})
        self.assertEqual((read["org"], read["party"], read["about"], read["collection"]),
                         ("DEA", "US", "MX", self.coll))
        self.assertEqual(es[2]["reason"], "Forbidden")
        self.assertEqual(es[3]["reason"], "Not Found")
        # canonical form: fixed member order, no whitespace
        self.assertEqual(list(write.keys()), ["v", "salt", "time", "principal", "org", "party", "action",
                                              "collection", "about", "decision", "reason", "target", "objects"])
        # security review F1: every entry has its own random salt (16 bytes), so a leaf hash shown
        # without its entry cannot be brute-forced from a guessed entry text
        salts = [e["salt"] for e in self.local_entries()]
        self.assertEqual(len(set(salts)), len(salts))
        self.assertTrue(all(len(base64.b64decode(x)) == 16 for x in salts))
        self.assertEqual(write["v"], 2)
        shown = [e for u in ("ana.ruiz", "kate.doyle", "sam.price") for e in self.entries(user=u) if "data" in e]
        self.assertEqual(len(shown), 4)  # each sees its own requests in full
        for e in shown:  # compact JSON exactly
            self.assertEqual(e["data"], json.dumps(json.loads(e["data"]), separators=(",", ":"), ensure_ascii=False))
        # the CLI's admin changes
        admin = self.local_entries()[:admin_changes]
        self.assertEqual([e["action"] for e in admin][:2], ["org-add", "org-add"])
        self.assertIn("user-add", [e["action"] for e in admin])
        self.assertTrue(all(e["principal"].startswith("cli:") for e in admin))
        # and `enlace audit show` finds what the liaisons read
        r = self.n.cli("audit", "show", self.n.dir, "--party", "US", "--role", "liaison", "--action", "read",
                       "--json")
        shown = [json.loads(l)["entry"] for l in r.stdout.splitlines()]
        self.assertEqual([(e["principal"], e["decision"]) for e in shown],
                         [("kate.doyle", "allow"), ("sam.price", "deny")])
        r = self.n.cli("audit", "show", self.n.dir, "--object", objs[1]["id"])
        self.assertEqual(len(r.stdout.splitlines()), 2, r.stdout)  # written, then read
        # security review F9: ids match whatever their case, party codes are upper-cased, and a
        # party that is not two letters or an unknown action is a usage error (as --role is)
        r = self.n.cli("audit", "show", self.n.dir, "--object", objs[1]["id"].upper())
        self.assertEqual(len(r.stdout.splitlines()), 2, r.stdout + r.stderr)
        r = self.n.cli("audit", "show", self.n.dir, "--object", objs[1]["id"][:12])
        self.assertEqual(r.stdout, "")  # a part of an id names no object
        r = self.n.cli("audit", "show", self.n.dir, "--party", "us", "--about", "mx", "--role", "liaison",
                       "--action", "read", "--json")
        self.assertEqual([(json.loads(l)["entry"]["principal"]) for l in r.stdout.splitlines()],
                         ["kate.doyle", "sam.price"])
        for bad in (["--party", "USA"], ["--party", "U1"], ["--about", "x"], ["--action", "reads"],
                    ["--action", "READ"]):
            r = self.n.cli("audit", "show", self.n.dir, *bad, check=False)
            self.assertEqual(r.returncode, 2, (bad, r.stdout, r.stderr))

    def test_read_is_durable_before_its_response(self):
        objs = self.post(2)
        before = self.size()
        r = self.n.get(self.n.objects_path(self.coll) + objs[0]["id"] + "/", user="kate.doyle")
        self.assertEqual(r.status_code, 200)
        # the node dies the moment the response is in: the entry must already be on disk
        self.n.proc.kill()
        self.n.proc.wait()
        self.n.proc = None
        c = sqlite3.connect(os.path.join(self.n.dir, "enlace.db"))
        rows = c.execute("SELECT idx, data FROM audit_leaf WHERE idx >= ? ORDER BY idx", (before,)).fetchall()
        c.close()
        self.assertEqual(len(rows), 1, rows)
        e = json.loads(bytes(rows[0][1]))
        self.assertEqual((e["principal"], e["action"], e["objects"]),
                         ("kate.doyle", "read", [[objs[0]["id"], objs[0]["modified"]]]))

    def test_write_and_its_entry_commit_together(self):
        """A crash before the POST's commit keeps neither its objects nor its entry; right after
        it, both (the entry is in the envelope's own transaction)."""
        db = os.path.join(self.n.dir, "enlace.db")

        def counts():
            c = sqlite3.connect(db)
            n_obj = c.execute("SELECT count(*) FROM object").fetchone()[0]
            n_write = c.execute("SELECT count(*) FROM audit_leaf WHERE CAST(data AS TEXT) LIKE '%\"action\":\"write\"%'"
                                ).fetchone()[0]
            c.close()
            return n_obj, n_write

        self.n.stop()
        for hook, kept in (("ENLACE_CRASH_BEFORE_COMMIT", False), ("ENLACE_CRASH_AFTER_COMMIT", True)):
            before = counts()
            self.n.start("--audit-checkpoint", "1", env={hook: "1"})
            objs = [indicator(i, object_marking_refs=[TLP_CLEAR]) for i in range(3)]
            try:
                self.n.post_envelope(self.coll, objs, user="ana.ruiz")
            except Exception:  # the node kills itself mid-request
                pass
            self.n.wait_exit(10)
            after = counts()
            if kept:
                self.assertEqual(after, (before[0] + 3, before[1] + 1), hook)
            else:
                self.assertEqual(after, before, hook)
        self.n.start("--audit-checkpoint", "1")

    def test_entries_in_full_only_to_whom_they_concern(self):
        self.post(2)
        self.read_some("kate.doyle")
        self.read_some("sam.price")
        total = self.size()
        by = {}
        for user in ("ana.ruiz", "kate.doyle", "sam.price"):
            es = self.entries(user=user)
            self.assertEqual([e["index"] for e in es], list(range(total)))
            by[user] = es
            # every leaf hash is served; every entry shown hashes to its leaf
            for e in es:
                if "data" in e:
                    self.assertEqual(base64.b64decode(e["leaf_hash"]), leaf_hash(e["data"].encode()))
        full = {u: [json.loads(e["data"]) for e in es if "data" in e] for u, es in by.items()}
        # a local analyst of the originator party sees in full only its own requests: an entry
        # about MX names objects of every MX organization, which another MX organization may
        # not know exist (security review F7); the node's admins read all with `audit show`
        self.assertEqual({e["principal"] for e in full["ana.ruiz"]}, {"ana.ruiz"})
        self.assertGreater(len(full["ana.ruiz"]), 0)
        self.assertLess(len(full["ana.ruiz"]), total)
        # a liaison sees in full only its own requests (nothing here is about US objects)
        self.assertEqual({e["principal"] for e in full["kate.doyle"]}, {"kate.doyle"})
        self.assertEqual({e["principal"] for e in full["sam.price"]}, {"sam.price"})
        # the same leaf hashes for everybody: the tree recomputes from what anyone gets
        hashes = [base64.b64decode(e["leaf_hash"]) for e in by["sam.price"]]
        self.assertEqual(hashes, [base64.b64decode(e["leaf_hash"]) for e in by["ana.ruiz"]])
        cp = self.wait_checkpoint(total)
        self.assertEqual(mth(hashes[:cp["size"]]), cp["root"])

    # ---- proofs and heads ----------------------------------------------------------------------

    def test_checkpoint_and_proofs(self):
        cp1 = self.wait_checkpoint(self.size())
        self.post(5)
        self.read_some("kate.doyle", 3)
        cp2 = self.wait_checkpoint(cp1["size"] + 4)
        self.assertEqual(cp1["origin"], "enlace/MX/" + self.n.identity_id)
        self.assertEqual(len(cp2["sigs"]), 1)
        self.assertTrue(cp2["sigs"][0].startswith("\u2014 " + cp2["origin"] + " "))
        if Ed25519PublicKey is not None:
            pk = base64.b64decode(read_text(self.pub).strip())
            blob = base64.b64decode(cp2["sigs"][0].rsplit(" ", 1)[1])
            key_id = hashlib.sha256(cp2["origin"].encode() + b"\n\x01" + pk).digest()[:4]
            self.assertEqual(blob[:4], key_id)
            Ed25519PublicKey.from_public_bytes(pk).verify(blob[4:], cp2["text"].encode())
        hashes = [base64.b64decode(e["leaf_hash"]) for e in self.entries()]
        self.assertEqual(mth(hashes[:cp2["size"]]), cp2["root"])
        for i in range(cp2["size"]):
            j = self.audit("inclusion", params={"index": str(i), "size": str(cp2["size"])}).json()
            proof = [base64.b64decode(h) for h in j["proof"]]
            self.assertEqual(base64.b64decode(j["leaf_hash"]), hashes[i])
            self.assertTrue(verify_inclusion(i, cp2["size"], hashes[i], proof, cp2["root"]), i)
        j = self.audit("consistency", params={"first": str(cp1["size"]), "second": str(cp2["size"])}).json()
        proof = [base64.b64decode(h) for h in j["proof"]]
        self.assertTrue(verify_consistency(cp1["size"], cp2["size"], cp1["root"], cp2["root"], proof))
        self.assertFalse(verify_consistency(cp1["size"], cp2["size"], cp2["root"], cp1["root"], proof))

    def test_errors_are_error_resources(self):
        size = self.size()
        for what, params, code in [
            ("consistency", {"first": "0", "second": "1"}, 400),
            ("consistency", {"first": "2", "second": "1"}, 400),
            ("consistency", {"first": "1", "second": str(size + 5)}, 400),
            ("consistency", {"second": "1"}, 400),
            ("consistency", {"first": "x", "second": "1"}, 400),
            ("inclusion", {"index": str(size), "size": str(size)}, 400),
            ("inclusion", {"index": "0", "size": str(size + 1)}, 400),
            ("entries", {"start": "-1"}, 400),
            ("entries", {}, 400),
            ("nothing-here", {}, 404),
        ]:
            r = self.audit(what, params=params, code=code)
            self.assertEqual(r.headers["Content-Type"], JSON)
            j = r.json()
            self.assertEqual(j["http_status"], str(code), j)
            self.assertTrue(j["title"], j)
        r = self.n.get("/enlace/v1/audit/checkpoint", accept=None)
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.json()["http_status"], "401")
        # a range is served in bounded pages
        j = self.audit("entries", params={"start": "0", "end": "100000"}).json()
        self.assertEqual(j["end"], min(size, 1000))

    # ---- verify, and tampering ------------------------------------------------------------------

    def test_verify_follows_a_growing_log(self):
        r = self.assertVerified(entries=True)
        self.assertIn("first use", r.stdout)
        self.post(2)
        self.read_some("kate.doyle", 2)
        self.wait_checkpoint(self.size())
        r = self.assertVerified(entries=True)
        self.assertIn("is consistent with", r.stdout)
        st = json.loads(read_text(self.state))
        self.assertEqual(parse_checkpoint(st["checkpoint"])["size"], self.size())
        r = self.assertVerified()  # nothing new: the same head again
        # a bearer token works too, and --json says the same
        tok, _ = self.n.create_token("sam.price")
        self.read_some("sam.price")
        self.wait_checkpoint(self.size())
        r = run(["audit", "verify", "--url", self.n.base, "--pubkey", read_text(self.pub).strip(),
                 "--state", os.path.join(self.tmp, "sam.json"), "--token", tok, "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual((j["ok"], j["first_use"]), (True, True))
        # the verifier key `enlace audit key` prints (signed-note form) pins the same key
        k = json.loads(self.n.cli("audit", "key", self.n.dir, "--json").stdout)
        self.assertEqual(k["origin"], j["origin"])
        self.assertTrue(k["vkey"].startswith(k["origin"] + "+"), k)
        self.assertVerified(pub=k["vkey"], state=os.path.join(self.tmp, "vkey.json"))

    def test_edited_leaf_is_caught(self):
        self.read_some("kate.doyle", 2)
        self.wait_checkpoint(self.size())
        self.assertVerified(entries=True)
        kept = self.size()
        self.read_some("kate.doyle", 2)
        self.wait_checkpoint(kept + 2)
        n = self.size()
        # the node edits one of kate's new entries in place (hiding that she read objects)
        self.n.stop()
        db = os.path.join(self.n.dir, "enlace.db")

        def edit(idx):
            c = sqlite3.connect(db)
            c.execute("UPDATE audit_leaf SET data = CAST(replace(CAST(data AS TEXT), '\"read\"', '\"user-add\"')"
                      " AS BLOB) WHERE idx = ?", (idx,))
            self.assertEqual(c.total_changes, 1)
            c.commit()
            c.close()

        edit(n - 1)
        # security review F4: the node's own `audit show` marks the edited entry, exit 3
        r = self.n.cli("audit", "show", self.n.dir, check=False)
        self.assertEqual(r.returncode, 3, r.stderr)
        marked = [l for l in r.stdout.splitlines() if "EDITED: entry does not match its leaf hash" in l]
        self.assertEqual(len(marked), 1, r.stdout)
        self.assertTrue(marked[0].startswith("%d " % (n - 1)), marked[0])
        self.assertIn("1 entry shown does not match its leaf hash", r.stderr)
        r = self.n.cli("audit", "show", self.n.dir, "--json", check=False)
        self.assertEqual(r.returncode, 3, r.stderr)
        rows = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual([x["index"] for x in rows if x["edited"]], [n - 1])
        r = self.n.cli("audit", "show", self.n.dir, "--action", "read", "--principal", "kate.doyle", "--json")
        self.assertEqual(r.returncode, 0, r.stdout)  # the edited entry is not among those shown
        self.n.start("--audit-checkpoint", "1")
        self.assertCaught("leaf %d: its entry does not match" % (n - 1), entries=True)
        # an entry kate already verified, edited with every hash rebuilt and a new head signed by
        # the node itself: not an extension of the head she kept
        self.n.stop()
        edit(kept - 1)
        rebuild_nodes(db)
        self.n.start("--audit-checkpoint", "1")
        self.assertCaught("fork: the tree head of size %d is not consistent with the one kept (size %d)" % (n, kept))

    def test_swapped_leaves_are_caught(self):
        self.read_some("kate.doyle", 3)
        self.wait_checkpoint(self.size())
        self.assertVerified()
        n = self.size()
        self.n.stop()
        db = os.path.join(self.n.dir, "enlace.db")
        c = sqlite3.connect(db)
        c.execute("UPDATE audit_leaf SET idx = -1 WHERE idx = ?", (n - 1,))
        c.execute("UPDATE audit_leaf SET idx = ? WHERE idx = ?", (n - 1, n - 2))
        c.execute("UPDATE audit_leaf SET idx = ? WHERE idx = -1", (n - 2,))
        c.commit()
        c.close()
        rebuild_nodes(db)
        self.n.start("--audit-checkpoint", "1")
        self.assertCaught("fork: two different signed roots for tree size %d" % n)

    def test_dropped_leaves_are_caught(self):
        self.read_some("kate.doyle", 3)
        self.wait_checkpoint(self.size())
        self.assertVerified()
        n = self.size()
        self.n.stop()
        db = os.path.join(self.n.dir, "enlace.db")
        c = sqlite3.connect(db)
        c.execute("DELETE FROM audit_leaf WHERE idx >= ?", (n - 2,))
        c.commit()
        c.close()
        rebuild_nodes(db)
        self.n.start("--audit-checkpoint", "1")
        self.assertCaught("rollback: tree size %d < last seen %d" % (n - 2, n))

    def test_replayed_older_head_is_caught(self):
        old = self.checkpoint()
        self.read_some("kate.doyle", 2)
        self.wait_checkpoint(parse_checkpoint(old)["size"] + 2)
        self.assertVerified()
        fake = ReplayServer(old)
        fake.start()
        try:
            self.assertCaught("rollback: tree size %d < last seen" % parse_checkpoint(old)["size"], url=fake.url)
        finally:
            fake.stop()

    def assertMalformed(self, reason, **kw):
        """A malformed answer is not proof of tampering: exit 1 and "malformed response: ..."."""
        r = self.verify(**kw)
        self.assertEqual(r.returncode, 1, "verify should fail (1) with '%s': rc %d %s %s"
                         % (reason, r.returncode, r.stdout, r.stderr))
        self.assertIn("enlace audit verify: malformed response: " + reason, r.stderr)
        return r

    def test_verify_refuses_malformed_and_huge_answers(self):
        """Security review F7/F8: sizes are capped per resource, malformed answers exit 1 (3 is
        kept for verification failures), --json prints its object for every outcome, file errors
        are named, an empty state file is an error and the state keeps its mode."""
        self.assertVerified()
        kept = parse_checkpoint(json.loads(read_text(self.state))["checkpoint"])
        os.chmod(self.state, 0o600)
        self.read_some("kate.doyle", 2)
        self.wait_checkpoint(kept["size"] + 2)
        new = self.checkpoint()  # a larger head: the verifier asks for a consistency proof
        state_before = read_text(self.state)
        big = json.dumps({"proof": [base64.b64encode(os.urandom(32)).decode()] * 200000}).encode()
        cases = [
            ({"/enlace/v1/audit/checkpoint": (200, b"x" * 20000)}, "checkpoint too large"),
            ({"/enlace/v1/audit/checkpoint": (200, b"hello\n")}, "checkpoint: "),
            ({"/enlace/v1/audit/checkpoint": (200, new.encode()),
              "/enlace/v1/audit/consistency": (200, big)}, "consistency proof too large"),
            ({"/enlace/v1/audit/checkpoint": (200, new.encode()),
              "/enlace/v1/audit/consistency": (200, b'{"proof":["not a hash"]}')},
             "consistency proof holds a malformed hash"),
            ({"/enlace/v1/audit/checkpoint": (200, new.encode()),
              "/enlace/v1/audit/consistency": (200, b'{"first":1}')}, "no consistency proof"),
        ]
        for routes, reason in cases:
            fake = FakeNode(routes)
            fake.start()
            try:
                self.assertMalformed(reason, url=fake.url)
                r = run(["audit", "verify", "--url", fake.url, "--pubkey", self.pub, "--state", self.state,
                         "--user", "kate.doyle", "--password-stdin", "--json"],
                        input=self.n.passwords["kate.doyle"] + "\n")
                self.assertEqual(r.returncode, 1, r.stderr)
                j = json.loads(r.stdout)
                self.assertEqual(j["ok"], False)
                self.assertIn("malformed response: " + reason, j["reason"])
            finally:
                fake.stop()
            self.assertEqual(read_text(self.state), state_before)  # nothing kept from a bad answer
        # a network failure: exit 1, and --json still prints its object
        fake = FakeNode({})
        url = fake.url
        fake.httpd.server_close()
        r = run(["audit", "verify", "--url", url, "--pubkey", self.pub, "--state", self.state,
                 "--user", "kate.doyle", "--password-stdin", "--json"], input=self.n.passwords["kate.doyle"] + "\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(json.loads(r.stdout)["ok"], False)
        # a --pubkey file that is not there is named as such
        r = self.verify(pub=os.path.join(self.tmp, "missing", "node.pub"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot read %s: No such file" % os.path.join(self.tmp, "missing", "node.pub"), r.stderr)
        # an empty state file is not a first use: the kept head was lost
        empty = os.path.join(self.tmp, "empty.json")
        with open(empty, "w") as f:
            f.write(" \n")
        r = self.verify(state=empty)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("state file %s is empty: delete it to start over" % empty, r.stderr)
        # the real node: verified, the state keeps its mode
        self.assertVerified()
        self.assertEqual(os.stat(self.state).st_mode & 0o777, 0o600)
        self.assertEqual([f for f in os.listdir(self.tmp) if ".tmp." in f], [])
        # the state cannot be written: the result line first, then why it was not kept
        r = self.verify(state=os.path.join(self.tmp, "nodir", "state.json"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stdout.startswith("ok: first use"), r.stdout)
        self.assertIn("not kept: cannot write", r.stderr)

    def test_node_without_key_issues_no_heads(self):
        """Security review F6: without node.key the node still logs but answers 503 for the
        checkpoint rather than serving the last head it signed as current."""
        self.read_some("kate.doyle")
        self.wait_checkpoint(self.size())
        self.n.stop()
        os.rename(os.path.join(self.n.dir, "node.key"), os.path.join(self.tmp, "node.key"))
        self.n.start("--audit-checkpoint", "1")
        before = self.size()
        self.read_some("kate.doyle")
        self.assertEqual(self.size(), before + 1)  # still logged
        r = self.audit("checkpoint", code=503)
        self.assertEqual(r.json()["http_status"], "503")
        self.assertIn("this node has no signing key: it issues no tree heads", r.json()["description"])
        r = self.verify()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no signing key", r.stderr)

    def test_pinned_verifier_key_name_is_checked(self):
        """Security review F5: the NAME of a pinned NAME+ID+KEY must be the log's origin."""
        pk = base64.b64decode(read_text(self.pub).strip())
        origin = parse_checkpoint(self.checkpoint())["origin"]
        self.assertVerified(pub=vkey(origin, pk), state=os.path.join(self.tmp, "right.json"))
        line = self.assertCaught("bad signature: signed by '%s', not the pinned 'enlace/US/elsewhere'" % origin,
                                 pub=vkey("enlace/US/elsewhere", pk), state=os.path.join(self.tmp, "wrong.json"))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "wrong.json")), line)

    def test_head_signed_with_another_key_is_caught(self):
        other = Node(party="MX", org="Elsewhere")
        try:
            # pinning another node's key: this node's heads are not signed by it
            self.assertCaught("bad signature", pub=os.path.join(other.dir, "node.pub"),
                              state=os.path.join(self.tmp, "wrong-key.json"))
            self.assertVerified()
            # the node's key is replaced (or someone else signs its heads): caught
            self.n.stop()
            shutil.copy(os.path.join(other.dir, "node.key"), os.path.join(self.n.dir, "node.key"))
            self.n.start("--audit-checkpoint", "1")
            before = self.size()
            self.read_some("kate.doyle")
            self.wait_checkpoint(before + 1)
            self.assertCaught("bad signature")
        finally:
            other.cleanup()


if __name__ == "__main__":
    main()
