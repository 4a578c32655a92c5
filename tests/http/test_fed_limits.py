#!/usr/bin/python3
"""Limits of a sync pass against a misbehaving or unusual partner (issue 5 review findings): a
large epoch answer (many shared collections) is read; endless paging ends at the pass budget
without starving the next partner; the X-TAXII-Date-Added-Last cursor is validated; passes of
one node are serialized by DIR/sync.lock; a partner behind a path prefix is reached at its
/enlace/v1/ endpoints; `import ofac-sdn` refuses a mirror. The partner is a fake node served
from this process (its directory signed with its own Ed25519 key)."""
import base64
import fcntl
import http.server
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from enlace_node import Node, enlace_bin, indicator, main, run  # noqa: E402

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
except ImportError:  # pragma: no cover
    Ed25519PrivateKey = None

CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


def clear(o):
    o["object_marking_refs"] = [CLEAR]
    return o


def ts(i):
    return "2025-01-01T00:00:%02d.%06dZ" % (i // 1000000 % 60, i % 1000000)


class Fake:
    """A partner node: signed directory, epoch, collections, programmable object pages
    (self.pages[coll id] = fn(query dict) -> (status, headers, body bytes)); no audit log (404,
    so passes go on unchecked). Served under prefix (e.g. "/p/x") when given."""

    def __init__(self, party="BR", prefix=""):
        self.party, self.prefix = party, prefix
        self.sk = Ed25519PrivateKey.generate()
        pk = self.sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.pub_b64 = base64.b64encode(pk).decode()
        self.epoch, self.collections, self.defaults, self.pages, self.log = "a" * 64, [], [], {}, []
        self.epoch_body = None
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                fake.log.append(self.path)
                if not u.path.startswith(fake.prefix + "/"):
                    return self.send(404, {}, b'{"title":"no"}')
                p, qd = u.path[len(fake.prefix):], urllib.parse.parse_qs(u.query)
                if p == "/enlace/v1/audit/checkpoint":
                    return self.send(404, {}, b'{"title":"not found","description":"the node has not signed a '
                                              b'tree head yet"}')
                if p == "/enlace/v1/directory":
                    return self.send(200, {}, fake.directory())
                if p == "/enlace/v1/epoch":
                    body = fake.epoch_body or json.dumps({"party": "MX", "epoch": fake.epoch,
                                                          "collections": fake.defaults}).encode()
                    return self.send(200, {}, body)
                if p == "/api/collections/":
                    return self.send(200, {}, json.dumps({"collections": fake.collections}).encode())
                if p.startswith("/api/collections/") and p.endswith("/objects/"):
                    cid = p[len("/api/collections/"):-len("/objects/")]
                    if cid in fake.pages:
                        return self.send(*fake.pages[cid](qd))
                return self.send(404, {}, b'{"title":"not found"}')

            def send(self, status, headers, body):
                self.send_response(status)
                h = {"Content-Type": "application/taxii+json;version=2.1"}
                h.update(headers)
                for k, v in h.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        class Srv(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client hanging up mid-answer (a cut epoch) is no error of the test

        self.srv = Srv(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    @property
    def api(self):
        return "http://127.0.0.1:%d%s/api/" % (self.srv.server_address[1], self.prefix)

    def directory(self):
        payload = json.dumps({"party": self.party, "issued": "2026-01-01T00:00:00Z", "organizations": [],
                              "vettings": []})
        return json.dumps({"payload": payload, "signature": base64.b64encode(self.sk.sign(payload.encode())).decode(),
                           "public_key": self.pub_b64}).encode()

    def add_coll(self, cid, alias):
        self.collections.append({"id": cid, "alias": alias, "title": alias, "can_read": True, "can_write": False,
                                 "media_types": []})
        self.defaults.append({"id": cid, "default_tlp": "clear"})

    def static(self, cid, objs, page=2, delay=0.0):
        """objs served page objects at a time, cursors ts(index)."""
        def fn(qd):
            time.sleep(delay)
            after = qd.get("added_after", [None])[0]
            start = int(after.split(".")[1][:6]) if after else 0
            chunk = objs[start:start + page]
            hdr = {"X-TAXII-Date-Added-First": ts(start + 1), "X-TAXII-Date-Added-Last": ts(start + len(chunk))} \
                if chunk else {}
            return 200, hdr, json.dumps({"more": start + page < len(objs), "objects": chunk}).encode()
        self.pages[cid] = fn

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def wire_fake(node, fake):
    node.cli("partner", "add", node.dir, "--party", fake.party, "--url", fake.api, "--pubkey", fake.pub_b64,
             "--token", "faketoken", "--json")


def q(node, sql, *a):
    db = sqlite3.connect("file:%s/enlace.db?mode=ro" % node.dir, uri=True, timeout=30)
    try:
        return db.execute(sql, a).fetchall()
    finally:
        db.close()


def cursor_of(node, alias):
    rows = q(node, "SELECT m.cursor FROM mirror m JOIN collection c ON c.rowid = m.coll WHERE c.alias = ?", alias)
    return rows[0][0] if rows else None


def count_in(node, alias):
    return q(node, "SELECT count(*) FROM object o JOIN collection c ON c.rowid = o.coll WHERE c.alias = ?", alias)[0][0]


def sync(node, *args, timeout=120):
    return run(["sync", node.dir, "--once"] + list(args), timeout=timeout)


C1 = "11111111-2222-3333-4444-555555555555"
C2 = "22222222-2222-3333-4444-555555555555"


class FedLimits(unittest.TestCase):
    def setUp(self):
        if Ed25519PrivateKey is None:
            self.skipTest("python3-cryptography is not installed")
        self.node = Node("MX", "SSPC")
        self.fakes = []

    def tearDown(self):
        for f in self.fakes:
            f.close()
        self.node.cleanup()

    def fake(self, party="BR", prefix=""):
        f = Fake(party, prefix)
        self.fakes.append(f)
        wire_fake(self.node, f)
        return f

    def test_epoch_with_many_collections(self):
        f = self.fake()
        f.add_coll(C1, "x")
        f.static(C1, [clear(indicator(1))])
        # 400 shared collections: the epoch answer is ~30 KB, over the 8 KiB it used to be cut at
        for i in range(400):
            f.defaults.append({"id": "%08d-0000-4000-8000-000000000000" % i, "default_tlp": "green"})
        r = sync(self.node, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(count_in(self.node, "br-x"), 1)
        # past the epoch's own limit (4 MiB) the message names that limit, not the page limit
        f.epoch_body = json.dumps({"party": "MX", "epoch": f.epoch, "pad": "x" * (5 << 20)}).encode()
        r = sync(self.node)
        self.assertEqual(r.returncode, 1)
        self.assertIn("enlace/v1/epoch: response larger than 4194304 bytes", r.stderr)
        self.assertNotIn("67108864", r.stderr)

    def test_endless_paging_ends_at_budget(self):
        # AR answers more:true for ever, the cursor moving, the same object each time; BR is normal
        ar = self.fake("AR")
        ar.add_coll(C1, "x")
        obj, n = clear(indicator(1)), [0]

        def endless(qd):
            n[0] += 1
            return 200, {"X-TAXII-Date-Added-Last": ts(n[0])}, json.dumps({"more": True, "objects": [obj]}).encode()
        ar.pages[C1] = endless
        br = self.fake("BR")
        br.add_coll(C2, "y")
        br.static(C2, [clear(indicator(i)) for i in range(3)])
        t0 = time.time()
        r = sync(self.node, "--pass-budget", "2", "--json", timeout=60)
        self.assertLess(time.time() - t0, 30)
        self.assertEqual(r.returncode, 0, r.stderr)
        parts = {p["party"]: p for p in json.loads(r.stdout)["partners"]}
        self.assertTrue(parts["AR"]["ok"])
        self.assertTrue(parts["AR"]["budget_reached"])
        self.assertFalse(parts["BR"]["budget_reached"])
        self.assertEqual(parts["BR"]["mirrors"][0]["added"], 3)
        # the cursor reached is kept, and the next pass asks from it
        kept = cursor_of(self.node, "ar-x")
        self.assertTrue(kept)
        ar.pages[C1] = lambda qd: (200, {}, json.dumps({"more": False}).encode())
        before = len(ar.log)
        r = sync(self.node, "--partner", "AR")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("budget reached", r.stdout)
        asked = [u for u in ar.log[before:] if "/objects/" in u]
        self.assertIn("added_after=" + urllib.parse.quote(kept), asked[0])
        # text output says it
        ar.pages[C1] = endless
        r = sync(self.node, "--partner", "AR", "--pass-budget", "1", timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("AR: ok (budget reached: resumes next pass)", r.stdout)

    def test_cursor_header_validated(self):
        f = self.fake()
        f.add_coll(C1, "x")
        page = json.dumps({"more": False, "objects": [clear(indicator(2))]}).encode()
        f.pages[C1] = lambda qd: (200, {"X-TAXII-Date-Added-Last": "'; DROP TABLE object; --\x01"}, page)
        r = sync(self.node, "--retries", "0")
        self.assertEqual(r.returncode, 1)
        self.assertIn("X-TAXII-Date-Added-Last ''; DROP TABLE object; --\\x01' is not a TAXII timestamp", r.stderr)
        self.assertNotIn("\x01", r.stderr)
        self.assertEqual((cursor_of(self.node, "br-x"), count_in(self.node, "br-x")), ("", 0))
        # no header at all on a page of objects: malformed too
        f.pages[C1] = lambda qd: (200, {}, page)
        r = sync(self.node, "--retries", "0")
        self.assertEqual(r.returncode, 1)
        self.assertIn("a page of objects without X-TAXII-Date-Added-Last", r.stderr)
        self.assertEqual((cursor_of(self.node, "br-x"), count_in(self.node, "br-x")), ("", 0))
        # an empty page needs none; a valid one is kept and sent back as added_after
        f.pages[C1] = lambda qd: (200, {}, b'{"more":false}')
        self.assertEqual(sync(self.node).returncode, 0)
        f.pages[C1] = lambda qd: (200, {"X-TAXII-Date-Added-Last": "2025-03-04T05:06:07.123456Z"}, page)
        r = sync(self.node)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((cursor_of(self.node, "br-x"), count_in(self.node, "br-x")),
                         ("2025-03-04T05:06:07.123456Z", 1))

    def test_import_refuses_mirror(self):
        f = self.fake()
        f.add_coll(C1, "x")
        f.static(C1, [clear(indicator(1))])
        self.assertEqual(sync(self.node).returncode, 0)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as t:
            t.write('100,"GOOD CARTEL",-0- ,"SDNTK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n')
        try:
            r = run(["import", "ofac-sdn", self.node.dir, "--collection", "br-x", t.name, "--list-date",
                     "2024-01-31"])
        finally:
            os.unlink(t.name)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn("collection br-x is a read-only mirror of partner BR", r.stderr)
        self.assertEqual(count_in(self.node, "br-x"), 1)

    def test_passes_serialized(self):
        f = self.fake()
        f.add_coll(C1, "x")
        f.static(C1, [clear(indicator(i)) for i in range(8)], page=1, delay=0.4)
        # two syncs of one node at once: the second waits for the first; both complete
        procs = [subprocess.Popen([enlace_bin(), "sync", self.node.dir, "--once", "--json"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
            self.assertNotIn("moved on", err)
        added = sorted(json.loads(o)["partners"][0]["mirrors"][0]["added"] for o, _ in outs)
        self.assertEqual(added, [0, 8])
        # held longer than the wait (another process holding DIR/sync.lock): skipped, one clear line
        with open(os.path.join(self.node.dir, "sync.lock"), "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            r = sync(self.node, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("BR: another sync of this node is running", r.stderr)
        self.assertEqual(sync(self.node).returncode, 0)

    def test_partner_behind_path_prefix(self):
        f = self.fake(prefix="/p/x")
        f.add_coll(C1, "x")
        f.static(C1, [clear(indicator(1))])
        r = sync(self.node)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("/p/x/enlace/v1/epoch", f.log)
        self.assertEqual(count_in(self.node, "br-x"), 1)


if __name__ == "__main__":
    main()
