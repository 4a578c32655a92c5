#!/usr/bin/python3
"""test_fed_hostile.py - a real MX node against hostile partners (issue 5, review 5 findings on
the store side): fake partner nodes on 127.0.0.1 with programmable answers (a signed directory,
an epoch, a collection listing, object pages) try to

- claim another partner's organization identity ids in their directory (first come, the conflict
  refused and reported: audit entry fed-directory-conflict, once per change), or a partner node's
  reserved identity / "<XX> node" name;
- squat "US node" or the identity derived from US's key so that `partner add --party US` fails;
- make MX's other partners restart every pass (withdrawals were counted node-wide);
- list thousands of collections with escape sequences in their titles;
- become the originator of the standard TLP marking-definitions;
- forge `partner list` rows or HTTP headers through --url / --token.
"""

import base64
import hashlib
import http.server
import json
import os
import sqlite3
import sys
import threading
import unittest
import urllib.parse
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
except ImportError:  # pragma: no cover
    en.skip_exit("python3-cryptography is not installed")

TLP_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


def key_identity(pub_b64):
    """partner.c key_identity, variant 0: the identity id a partner node's organization gets."""
    h = bytearray(hashlib.sha256(base64.b64decode(pub_b64)).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x50
    h[8] = (h[8] & 0x3F) | 0x80
    return "identity--" + str(uuid.UUID(bytes=bytes(h)))


def ts(i):
    return "2025-01-01T00:00:00.%06dZ" % i


class Fake:
    """A partner node (party) serving MX: no signed tree head yet, a signed directory of orgs,
    an epoch, a collection listing and static object pages (cursor = index into the list)."""

    def __init__(self, party):
        self.party = party
        self.sk = Ed25519PrivateKey.generate()
        raw = self.sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.pub = base64.b64encode(raw).decode()
        self.orgs, self.epoch, self.collections, self.objects = [], "a" * 64, [], {}
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = urllib.parse.parse_qs(u.query)
                p = u.path
                if p == "/enlace/v1/audit/checkpoint":
                    return self.send(404, {"title": "not found", "description": "the node has not signed a tree head yet"})
                if p == "/enlace/v1/directory":
                    payload = json.dumps({"party": fake.party, "issued": "2026-01-01T00:00:00Z",
                                          "organizations": fake.orgs, "vettings": []})
                    sig = base64.b64encode(fake.sk.sign(payload.encode())).decode()
                    return self.send(200, {"payload": payload, "signature": sig, "public_key": fake.pub})
                if p == "/enlace/v1/epoch":
                    return self.send(200, {"party": "MX", "epoch": fake.epoch,
                                           "collections": [{"id": c["id"], "default_tlp": "clear"}
                                                           for c in fake.collections]})
                if p == "/api/collections/":
                    return self.send(200, {"collections": fake.collections})
                if p.startswith("/api/collections/") and p.endswith("/objects/"):
                    objs = fake.objects.get(p[len("/api/collections/"):-len("/objects/")], [])
                    after = q.get("added_after", [None])[0]
                    start = int(after.split(".")[1][:6]) if after else 0
                    chunk = objs[start:start + 50]
                    hdr = {"X-TAXII-Date-Added-First": ts(start + 1),
                           "X-TAXII-Date-Added-Last": ts(start + len(chunk))} if chunk else {}
                    return self.send(200, {"more": start + 50 < len(objs), "objects": chunk}, hdr)
                return self.send(404, {"title": "no"})

            def send(self, status, doc, headers=None):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/taxii+json;version=2.1")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.api = "http://127.0.0.1:%d/api/" % self.srv.server_address[1]

    def org(self, identity_id, name):
        self.orgs.append({"type": "identity", "spec_version": "2.1", "id": identity_id, "name": name,
                          "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                          "identity_class": "organization"})

    def collection(self, cid, title="t", alias=None):
        c = {"id": cid, "title": title, "can_read": True, "can_write": False, "media_types": []}
        if alias:
            c["alias"] = alias
        self.collections.append(c)

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def fake_key():
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                                 serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


class FedHostile(unittest.TestCase):

    def setUp(self):
        self.mx = en.Node("MX", "SSPC")
        self.fakes = []

    def tearDown(self):
        for f in self.fakes:
            f.close()
        if self.mx.proc:
            self.mx.stop()
        self.mx.cleanup()

    def fake(self, party):
        f = Fake(party)
        self.fakes.append(f)
        return f

    def wire(self, f):
        """Register fake f as MX's partner; returns the token f pulls from MX with."""
        r = self.mx.cli("partner", "add", self.mx.dir, "--party", f.party, "--url", f.api, "--pubkey", f.pub,
                        "--token", "t-" + f.party.lower(), "--json")
        return json.loads(r.stdout)["token"]

    def sync(self, party=None):
        args = ["sync", self.mx.dir, "--once", "--retries", "0", "--timeout", "20"]
        if party:
            args += ["--partner", party]
        return self.mx.cli(*args, check=False)

    def sql(self, query, *a):
        db = sqlite3.connect("file:%s/enlace.db?mode=ro" % self.mx.dir, uri=True, timeout=30)
        try:
            return db.execute(query, a).fetchall()
        finally:
            db.close()

    # ---- finding 1: identity ids claimed through a directory ------------------------------------

    def test_directory_identity_conflict_reported(self):
        gt, us = self.fake("GT"), self.fake("US")
        dea = en.new_id("identity")
        gt.org(dea, "Drug Enforcement Administration")       # GT claims US's agency first
        us.org(dea, "DEA")
        gt.org(key_identity(us.pub), "Not the US node")      # US node's identity: reserved
        gt.org(en.new_id("identity"), "US node")              # the reserved name: suffixed
        self.wire(gt)
        self.wire(us)
        r = self.sync()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # the operator sees it in the pass's output (and the worker's log line)
        self.assertRegex(r.stdout, r"directory conflict: .*%s" % dea)
        orgs = dict((i, (n, p)) for n, p, i in self.sql("SELECT name, party, identity_id FROM org"))
        self.assertEqual(orgs[dea][1], "GT")                  # first come...
        self.assertEqual(orgs[key_identity(us.pub)], ("US node", "US"))
        self.assertIn(("US node (GT)", "GT"), orgs.values())
        self.assertNotIn("Not the US node", [n for n, _ in orgs.values()])
        # ... and the later claim is reported, once per change
        a = self.mx.cli("audit", "show", self.mx.dir, "--action", "fed-directory-conflict", "--about", "US")
        self.assertIn(dea, a.stdout)
        self.assertIn("GT", a.stdout)
        g = self.mx.cli("audit", "show", self.mx.dir, "--action", "fed-directory-conflict", "--about", "GT")
        self.assertIn(key_identity(us.pub), g.stdout)
        self.sync()
        a2 = self.mx.cli("audit", "show", self.mx.dir, "--action", "fed-directory-conflict", "--about", "US")
        self.assertEqual(a2.stdout.count(dea), a.stdout.count(dea))

    # ---- finding 2: partner add cannot be made to fail --------------------------------------------

    def test_partner_add_after_squat(self):
        gt = self.fake("GT")
        us_key = fake_key()
        gt.org(en.new_id("identity"), "US node")
        gt.org(key_identity(us_key), "Squatter")
        self.wire(gt)
        self.assertEqual(self.sync().returncode, 0)
        r = self.mx.cli("partner", "add", self.mx.dir, "--party", "US", "--url", "http://127.0.0.1:1/api/",
                        "--pubkey", us_key, "--json", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        # GT's "US node" was published after the fix as "US node (GT)"; the key's identity was
        # squatted before US was pinned: the node organization takes the key's next identity
        self.assertEqual(out["org"], "US node")
        self.assertNotEqual(out["identity_id"], key_identity(us_key))

    # ---- finding 10: --url / --token ----------------------------------------------------------------

    def test_url_and_token_refused(self):
        for url, token in (("http://127.0.0.1:1/api/\nUS  http://evil/", None),
                           ("http://127.0.0.1:1/api/ x", None),
                           ("http://127.0.0.1:1/api/", "tok\r\nX-Evil: 1")):
            args = ["partner", "add", self.mx.dir, "--party", "US", "--url", url, "--pubkey", fake_key()]
            if token:
                args += ["--token", token]
            r = self.mx.cli(*args, check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertEqual(self.sql("SELECT count(*) FROM partner"), [(0,)])

    # ---- finding 6: withdrawals per collection ---------------------------------------------------

    def test_withdrawal_elsewhere_keeps_epoch(self):
        self.mx.start("--sync-interval", "0")
        self.mx.add_user("a")
        self.mx.create_collection("Shared", alias="shared", default_tlp="clear")
        self.mx.grant("shared", "a")
        self.mx.post_envelope("shared", [en.indicator(i) for i in range(3)], user="a")
        gt = self.fake("GT")
        gt_token = self.wire(gt)
        self.mx.agreement("GT", "shared")
        br = self.fake("BR")
        self.wire(br)
        cid = str(uuid.uuid4())
        br.collection(cid, alias="x")

        def epoch():
            r = requests.get(self.mx.base.rstrip("/") + "/enlace/v1/epoch",
                             headers={"Authorization": "Bearer " + gt_token}, timeout=30)
            self.assertEqual(r.status_code, 200, r.text)
            return r.json()["epoch"]

        before = epoch()
        for i in range(3):   # BR changes its epoch every pass and drops what it served before
            br.epoch = ("%x" % (i + 1)) * 64
            br.objects[cid] = [en.indicator(100 + i)]
            r = self.sync("BR")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("swept", r.stdout)
        self.assertEqual(epoch(), before)
        # a withdrawal in the shared collection does move it
        oid = self.mx.get_all(self.mx.objects_path("shared"), user="a")[0][0]["id"]
        d = self.mx.request("DELETE", self.mx.objects_path("shared") + oid + "/", user="a")
        self.assertEqual(d.status_code, 200, d.text)
        self.assertNotEqual(epoch(), before)

    # ---- finding 8: a hostile collection listing --------------------------------------------------

    def test_many_collections_and_escape_titles(self):
        br = self.fake("BR")
        self.wire(br)
        br.collection(str(uuid.uuid4()), title="Evil\x1b]0;pwned\x07\nUS  fake row", alias="evil")
        for i in range(300):
            br.collection(str(uuid.uuid4()), title="c%d" % i)
        r = self.sync("BR")
        self.assertIn("limit", r.stdout + r.stderr)
        self.assertEqual(self.sql("SELECT count(*) FROM mirror WHERE party = 'BR'"), [(256,)])
        out = self.mx.cli("collection", "list", self.mx.dir).stdout
        self.assertNotIn("\x1b", out)
        self.assertIn("Evil?]0;pwned??US  fake row (BR)", out)

    # ---- finding 9: the standard TLP marking-definitions -----------------------------------------

    def test_tlp_definitions_owned_by_nobody(self):
        self.mx.start("--sync-interval", "0")
        self.mx.add_user("a")
        self.mx.create_collection("Local", alias="local")
        self.mx.grant("local", "a")
        white = {"type": "marking-definition", "spec_version": "2.1", "id": TLP_WHITE,
                 "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:WHITE",
                 "definition": {"tlp": "white"}}
        br = self.fake("BR")
        self.wire(br)
        cid = str(uuid.uuid4())
        br.collection(cid, alias="x")
        br.objects[cid] = [white]
        r = self.sync("BR")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("+1 new", r.stdout)
        # a local user posts the canonical definition afterwards: accepted
        p = self.mx.post_envelope("local", [white], user="a")
        self.assertEqual(p.json().get("success_count"), 1, p.text)
        # the TLP:CLEAR id defining red: refused, with the reason
        bad = {"type": "marking-definition", "spec_version": "2.1", "id": TLP_CLEAR,
               "created": "2022-10-01T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:RED",
               "definition": {"tlp": "red"}}
        p = self.mx.post_envelope("local", [bad], user="a")
        self.assertEqual(p.json().get("failure_count"), 1, p.text)
        self.assertIn("standard TLP", json.dumps(p.json()))


if __name__ == "__main__":
    en.main()
