#!/usr/bin/python3
"""test_fed_trust.py - the trust checks of a sync pass (issue 5 must-have 3) and the partner's
signed directory (must-have 2), between two real nodes: MX pulls from US.

A pass proves US's signed tree head consistent with the one kept from the last pass and keeps
the new one; US's directory brings its organizations and its vetting of MX's UIN-7. Then US
lies, through a small proxy in front of it or with another key: an older head (rollback), heads
signed by another key, a directory signed by another key or altered after signing. Each time the
pass fails with the reason, the partner is stopped (`partner list`), the failure is in MX's audit
log (`audit show --action fed-trust-failure`), and later passes refuse until `partner resume`.
"""

import base64
import http.server
import json
import os
import shutil
import sqlite3
import sys
import threading
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402

JSON = "application/json"


class Proxy:
    """A node's stand-in on 127.0.0.1: forwards GETs to target, except the paths in override
    (path -> (status, content type, body bytes) or a function of the target's response)."""

    def __init__(self, target):
        self.target = target.rstrip("/")
        self.override = {}
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                hdrs = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "accept")}
                r = requests.get(proxy.target + self.path, headers=hdrs, timeout=30)
                status, ctype, body = r.status_code, r.headers.get("Content-Type", ""), r.content
                o = proxy.override.get(path)
                if callable(o):
                    status, ctype, body = o(status, ctype, body)
                elif o is not None:
                    status, ctype, body = o
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for h in ("X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"):
                    if r.headers.get(h):
                        self.send_header(h, r.headers[h])
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d/" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def root(node):
    """The node's base URL, ending in '/'."""
    return node.base.rstrip("/") + "/"


def node_key(node):
    return json.loads(node.cli("audit", "key", node.dir, "--json").stdout)["pubkey"]


class FedTrust(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.us = en.Node("US", "DEA")
        cls.mx = en.Node("MX", "SSPC")
        cls.other = en.Node("GT", "PNC")   # only its key and its directory are used
        # MX's UIN-7, known on US under the same identity and vetted by US
        uin7 = cls.mx.add_org("UIN-7")
        cls.uin7_id = uin7["identity_id"]
        cls.us.add_org("UIN-7", party="MX", identity=cls.uin7_id)
        cls.us.vet("UIN-7", "2099-01-01")
        cls.us.start("--audit-checkpoint", "1", "--sync-interval", "0")
        cls.other.start("--audit-checkpoint", "1", "--sync-interval", "0")
        cls.us_key = node_key(cls.us)
        # US registers MX (and prints the token MX pulls with); MX registers US with it
        r = cls.us.cli("partner", "add", cls.us.dir, "--party", "MX", "--url", "http://127.0.0.1:1/api/",
                       "--pubkey", node_key(cls.mx), "--json")
        cls.token = json.loads(r.stdout)["token"]
        cls.us_api = root(cls.us) + "api/"
        cls.mx.cli("partner", "add", cls.mx.dir, "--party", "US", "--url", cls.us_api, "--pubkey", cls.us_key,
                   "--token", cls.token)
        cls.proxy = Proxy(cls.us.base)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.close()
        for n in (cls.us, cls.other, cls.mx):
            if n.proc:
                n.stop()
            n.cleanup()

    # ---- helpers ------------------------------------------------------------------------------

    def sync(self):
        return self.mx.cli("sync", self.mx.dir, "--once", "--partner", "US", "--retries", "0", "--timeout", "20",
                           check=False)

    def partner(self):
        r = self.mx.cli("partner", "list", self.mx.dir, "--json")
        return [p for p in json.loads(r.stdout)["partners"] if p["party"] == "US"][0]

    def kept(self):
        db = sqlite3.connect(os.path.join(self.mx.dir, "enlace.db"), timeout=30)
        try:
            return db.execute("SELECT trust_state FROM partner WHERE party = 'US'").fetchone()[0]
        finally:
            db.close()

    def kept_size(self):
        st = json.loads(self.kept())
        return int(st["checkpoint"].split("\n")[1])

    def use(self, url):
        self.mx.cli("partner", "set", self.mx.dir, "--party", "US", "--url", url)

    def us_head(self):
        r = requests.get(root(self.us) + "enlace/v1/audit/checkpoint", headers={"Authorization": "Bearer " + self.token},
                         timeout=30)
        self.assertEqual(r.status_code, 200, r.text)
        return r.content, int(r.text.split("\n")[1])

    def grow_us(self):
        """Log activity on US and wait for a head larger than the current one."""
        _, size = self.us_head()
        self.us.add_party("C%s" % chr(ord("A") + (size % 26)))
        deadline = time.time() + 20
        while time.time() < deadline:
            _, now = self.us_head()
            if now > size:
                return now
            time.sleep(0.3)
        self.fail("US signed no larger head")

    def assertTrustFailure(self, r, words):
        """The pass failed with words in its one line; the partner is stopped with the reason; the
        failure is audited on MX; the next pass refuses; resume (and the genuine URL) heals."""
        self.assertEqual(r.returncode, 1, "sync: %s %s" % (r.stdout, r.stderr))
        out = r.stdout + r.stderr
        self.assertIn(words, out)
        p = self.partner()
        self.assertIn(words, p["stopped"] or "")
        a = self.mx.cli("audit", "show", self.mx.dir, "--action", "fed-trust-failure", "--json")
        entries = [json.loads(l)["entry"] for l in a.stdout.splitlines() if l.strip()]
        self.assertTrue(any(e["about"] == "US" and words in e["reason"] for e in entries), entries)
        kept = self.kept()
        # stopped: refused fast, whatever the partner says now
        self.use(self.us_api)
        r2 = self.sync()
        self.assertEqual(r2.returncode, 1)
        self.assertIn("stop", (r2.stdout + r2.stderr).lower())
        self.assertEqual(self.kept(), kept)
        self.mx.cli("partner", "resume", self.mx.dir, "--party", "US")
        self.assertFalse(self.partner()["stopped"])

    # ---- tests (run in name order: each builds on the kept head of the ones before) -------------

    def test_1_first_pass_keeps_head_and_takes_directory(self):
        self.assertEqual(self.kept(), "")
        r = self.sync()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("enlace/US/", self.kept())
        size = self.kept_size()
        self.assertGreater(size, 0)
        # US's organizations and its vetting of MX's UIN-7 are known on MX now
        orgs = {o["name"]: o for o in json.loads(self.mx.cli("org", "list", self.mx.dir, "--json").stdout)["organizations"]}
        self.assertIn("DEA", orgs)
        self.assertEqual(orgs["DEA"]["party"], "US")
        db = sqlite3.connect(os.path.join(self.mx.dir, "enlace.db"), timeout=30)
        try:
            vet = db.execute("SELECT v.by_party FROM vetting v JOIN org o ON o.rowid = v.org WHERE o.name = 'UIN-7'").fetchall()
        finally:
            db.close()
        self.assertEqual(vet, [("US",)])
        # the log grows: the next pass proves the new head consistent and keeps it
        grown = self.grow_us()
        r = self.sync()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreaterEqual(self.kept_size(), grown)

    def test_2_rollback(self):
        old, old_size = self.us_head()
        self.sync()
        self.grow_us()
        r = self.sync()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreater(self.kept_size(), old_size)
        self.proxy.override = {"/enlace/v1/audit/checkpoint": (200, "text/plain; charset=utf-8", old)}
        self.use(self.proxy.url + "api/")
        try:
            r = self.sync()
        finally:
            self.proxy.override = {}
        self.assertTrustFailure(r, "rollback")
        r = self.sync()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_3_directory_from_another_key(self):
        other = requests.get(root(self.other) + "enlace/v1/directory", timeout=30,
                             headers={"Authorization": "Bearer " + json.loads(self.other.cli(
                                 "token", "create", self.other.dir, "--user", self.other.info["admin_user"],
                                 "--json").stdout)["token"], "Accept": JSON})
        self.assertEqual(other.status_code, 200, other.text)
        self.proxy.override = {"/enlace/v1/directory": (200, JSON, other.content)}
        self.use(self.proxy.url + "api/")
        try:
            r = self.sync()
        finally:
            self.proxy.override = {}
        self.assertTrustFailure(r, "another key")

    def test_4_directory_altered(self):
        def alter(status, ctype, body):
            d = json.loads(body)
            payload = json.loads(d["payload"])
            payload["vettings"].append({"organization": "identity--00000000-0000-4000-8000-000000000001",
                                        "party": "GT", "vetted_by": "US", "until": "2099-01-01T00:00:00.000000Z"})
            d["payload"] = json.dumps(payload, separators=(",", ":"))
            return status, ctype, json.dumps(d).encode()
        self.proxy.override = {"/enlace/v1/directory": alter}
        self.use(self.proxy.url + "api/")
        try:
            r = self.sync()
        finally:
            self.proxy.override = {}
        self.assertTrustFailure(r, "does not verify")

    def test_5_heads_signed_by_another_key(self):
        r = self.sync()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # US's node key replaced (by GT's): its heads no longer verify with the pinned key
        self.us.stop()
        for f in ("node.key", "node.pub"):
            if os.path.exists(os.path.join(self.other.dir, f)):
                shutil.copy(os.path.join(self.other.dir, f), os.path.join(self.us.dir, f))
        self.us.start("--audit-checkpoint", "1", "--sync-interval", "0")
        self.us_api = root(self.us) + "api/"
        self.__class__.us_api = self.us_api
        self.proxy.target = self.us.base.rstrip("/")
        self.grow_us()
        self.use(self.us_api)
        r = self.sync()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("bad signature", r.stdout + r.stderr)
        self.assertIn("bad signature", self.partner()["stopped"])
        a = self.mx.cli("audit", "show", self.mx.dir, "--action", "fed-trust-failure", "--about", "US")
        self.assertIn("bad signature", a.stdout)
        # resumed, it fails again: the key is still not the pinned one
        self.mx.cli("partner", "resume", self.mx.dir, "--party", "US")
        r = self.sync()
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad signature", self.partner()["stopped"])

    def test_6_log_rewritten(self):
        # MX pins US's new key (the kept head of the old key's log goes with it) and trusts anew
        self.mx.cli("partner", "set", self.mx.dir, "--party", "US", "--pubkey", node_key(self.us))
        self.assertEqual(self.kept(), "")
        self.mx.cli("partner", "resume", self.mx.dir, "--party", "US")
        r = self.sync()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        kept_size = self.kept_size()
        # US's log is rewritten in its store: emptied, then it grows again past the kept size
        self.us.stop()
        db = sqlite3.connect(os.path.join(self.us.dir, "enlace.db"), timeout=30)
        try:
            for t in ("audit_leaf", "audit_node", "audit_checkpoint"):
                db.execute("DELETE FROM %s" % t)
            db.commit()
        finally:
            db.close()
        self.us.start("--audit-checkpoint", "1", "--sync-interval", "0")
        self.use(root(self.us) + "api/")
        for i in range(kept_size + 2):
            self.us.add_party("Q%s" % chr(ord("A") + i % 26))
        deadline = time.time() + 20
        while time.time() < deadline and self.us_head()[1] <= kept_size:
            time.sleep(0.3)
        self.assertGreater(self.us_head()[1], kept_size)
        r = self.sync()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("fork", r.stdout + r.stderr)
        self.assertIn("fork", self.partner()["stopped"] or "")
        a = self.mx.cli("audit", "show", self.mx.dir, "--action", "fed-trust-failure", "--about", "US")
        self.assertIn("fork", a.stdout)


if __name__ == "__main__":
    en.main()
