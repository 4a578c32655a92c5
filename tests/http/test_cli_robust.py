"""test_cli_robust.py - `enlace get|push|collection` against bad input and misbehaving servers.

A tiny http.server plays a broken TAXII server (pages whose members have the wrong JSON type, a
"next" that never moves); a real node checks the wrong---url messages, UUIDv4 collection ids,
unreachable aliases and a file with a UTF-8 byte order mark. Every failure must be exit 1 (or 2
for usage) with one line on stderr, never a crash or a hang.
"""

import http.server
import json
import os
import sys
import tempfile
import threading
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import indicator, run  # noqa: E402

TAXII = en.TAXII


class FakeTaxii:
    """A one-thread HTTP server answering every GET with pages from a function of (path, count)."""

    def __init__(self, page_fn):
        outer = self
        self.page_fn = page_fn
        self.requests = 0

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                status, body = outer.page_fn(self.path, outer.requests)
                data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", TAXII)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def api(self):
        return "http://127.0.0.1:%d/api/" % self.port

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def one_line(tc, r, code=1, what=""):
    tc.assertEqual(r.returncode, code, "%s: exit %d, expected %d\nstdout: %s\nstderr: %s"
                   % (what, r.returncode, code, r.stdout[:500], r.stderr[:2000]))
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    tc.assertEqual(len(lines), 1, "%s: expected one line on stderr, got %r" % (what, r.stderr[:2000]))
    return lines[0]


class TestGetBadPages(unittest.TestCase):
    """Bug: a page {"objects":"x"} aborted get (json-c assertion, exit 134)."""

    def get(self, server, *extra):
        return run(["get", "--url", server.api, "--collection", "c1", "--token", "t"] + list(extra), timeout=60)

    def test_wrong_member_types(self):
        cases = [
            ({"objects": "x", "more": False}, "'objects' is a string, not a list"),
            ({"objects": {"a": 1}, "more": False}, "'objects' is an object, not a list"),
            ({"objects": [], "more": "yes"}, "'more' is a string, not a boolean"),
            ({"objects": [{"id": "x--1"}], "more": True, "next": 5}, "'next' is a number, not a string"),
            ("[1,2]", "is not a JSON object"),
            ("not json", "is not a JSON object"),
        ]
        for body, msg in cases:
            for manifest in ([], ["--manifest"]):
                s = FakeTaxii(lambda path, n, body=body: (200, body))
                try:
                    r = self.get(s, *manifest)
                finally:
                    s.close()
                line = one_line(self, r, 1, "page %r %s" % (body, manifest))
                self.assertIn(msg, line)
                self.assertTrue(line.startswith("enlace get: "), line)

    def test_repeated_next_with_objects_stops(self):
        """Bug: "more":true with the same "next" and the same objects looped forever."""
        page = {"objects": [{"id": "indicator--%s" % uuid.uuid4(), "type": "indicator"}],
                "more": True, "next": "same"}
        s = FakeTaxii(lambda path, n: (200, page))
        try:
            r = self.get(s)
        finally:
            s.close()
        line = one_line(self, r, 1, "repeated next")
        self.assertIn("repeats 'next' same without new objects", line)
        self.assertLessEqual(s.requests, 3, "stopped at the first repetition")

    def test_cycling_next_is_bounded(self):
        """next alternates a/b/a/b with the same objects: the stall bound stops it."""
        page_a = {"objects": [{"id": "x--1"}], "more": True, "next": "a"}
        page_b = {"objects": [{"id": "x--1"}], "more": True, "next": "b"}
        s = FakeTaxii(lambda path, n: (200, page_a if n % 2 else page_b))
        try:
            r = self.get(s)
        finally:
            s.close()
        line = one_line(self, r, 1, "cycling next")
        self.assertIn("brought no new objects", line)
        self.assertLess(s.requests, 20)

    def test_same_next_with_new_objects_is_followed(self):
        """A server may keep one next token for a whole walk (as medallion does) while each page
        brings new objects: that is paging, not a loop."""
        def pages(path, n):
            if n < 4:
                return 200, {"objects": [{"id": "x--%d" % n}], "more": True, "next": "session"}
            return 200, {"objects": [{"id": "x--%d" % n}], "more": False}
        s = FakeTaxii(pages)
        try:
            r = self.get(s, "--jsonl")
        finally:
            s.close()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([json.loads(l)["id"] for l in r.stdout.splitlines()], ["x--1", "x--2", "x--3", "x--4"])


class TestRealNode(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("rw")
        cls.c = n.create_collection("Robust", alias="robust")
        n.grant(cls.c, "rw")
        n.start()
        cls.tmp = tempfile.mkdtemp(prefix="enlace-robust-")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def creds(self):
        return ["--user", "rw", "--password", self.node.passwords["rw"]]

    def test_wrong_url_says_api_root(self):
        """Bug: a discovery or collections URL as --url printed only 'HTTP 404: Not Found'."""
        n = self.node
        p = os.path.join(self.tmp, "one.json")
        with open(p, "w") as f:
            json.dump(indicator(1), f)
        for url in (n.base + "/taxii2/", n.base + "/api/collections/", n.base + "/nothing/"):
            for cmd in (["get"], ["push"]):
                args = cmd + ["--url", url, "--collection", self.c] + self.creds()
                if cmd == ["push"]:
                    args.append(p)
                line = one_line(self, run(args), 1, "%s --url %s" % (cmd[0], url))
                self.assertIn("--url must be the API root", line)
                self.assertIn(url, line, "names the URL that was requested")
        line = one_line(self, run(["get", "--url", n.base + "/taxii2/", "--collection", self.c] + self.creds()), 1)
        self.assertIn("discovery", line)
        self.assertIn(n.api, line, "suggests the API root the discovery lists")

    def test_unknown_collection_names_url(self):
        n = self.node
        r = run(["get", "--url", n.api, "--collection", "no-such"] + self.creds())
        line = one_line(self, r, 1, "unknown collection")
        self.assertIn("HTTP 404", line)
        self.assertIn(n.api + "collections/no-such/objects/", line)
        self.assertNotIn("--url must be", line, "the API root is right; only the collection is unknown")

    def test_push_bom(self):
        """Bug: a file starting with a UTF-8 BOM was refused as invalid utf-8 at line 1, column 1."""
        n = self.node
        obj = indicator(7)
        p = os.path.join(self.tmp, "bom.json")
        with open(p, "wb") as f:
            f.write(b"\xef\xbb\xbf" + json.dumps({"type": "bundle", "id": "bundle--%s" % uuid.uuid4(),
                                                   "objects": [obj]}).encode())
        r = run(["push", "--url", n.api, "--collection", self.c, "--json"] + self.creds() + [p])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(lines[0]["id"], obj["id"])
        self.assertEqual(lines[0]["result"], "accepted")
        # a BOM elsewhere than at the start is still not JSON
        with open(p, "wb") as f:
            f.write(b" \xef\xbb\xbf{}")
        r = run(["push", "--url", n.api, "--collection", self.c] + self.creds() + [p])
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)

    def test_collection_id_must_be_uuid4(self):
        d = self.node.dir
        bad = {
            str(uuid.uuid1()): "version 4",                                # version 1
            "4f6bd2a6-0a4b-4c1e-7f00-1d0e0b7a1c2d": "8, 9, a or b",          # variant 0
            str(uuid.uuid4()).upper(): "lowercase",
            "not-a-uuid": "is not a UUID",
        }
        for cid, why in bad.items():
            line = one_line(self, run(["collection", "create", d, "--title", "T", "--id", cid]), 2, cid)
            self.assertIn(cid, line)
            self.assertIn(why, line)
        good = str(uuid.uuid4())
        r = run(["collection", "create", d, "--title", "T", "--id", good])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), good)

    def test_alias_dot_refused_and_duplicate_named(self):
        d = self.node.dir
        for alias in (".", ".."):
            line = one_line(self, run(["collection", "create", d, "--title", "T", "--alias", alias]), 2, alias)
            self.assertIn("--alias '%s'" % alias, line)
        line = one_line(self, run(["collection", "create", d, "--title", "T", "--alias", str(uuid.uuid4()).upper()]), 2)
        self.assertIn("not a UUID", line)
        # a duplicate alias names the alias (not a freshly generated id)
        line = one_line(self, run(["collection", "create", d, "--title", "T2", "--alias", "robust"]), 1, "dup alias")
        self.assertIn("alias 'robust'", line)
        self.assertIn(self.c, line, "names the collection that has it")
        line = one_line(self, run(["collection", "create", d, "--title", "T3", "--id", self.c]), 1, "dup id")
        self.assertIn(self.c, line)


class TestTlsHint(unittest.TestCase):

    def test_untrusted_certificate_hint(self):
        """An untrusted certificate says how to trust it (--cacert) or skip checking (--insecure)."""
        import ssl
        import subprocess
        d = tempfile.mkdtemp(prefix="enlace-robust-tls-")
        key, crt = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            self.skipTest("openssl cannot make a certificate")
        s = FakeTaxii(lambda path, n: (200, {"objects": [], "more": False}))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        s.httpd.socket = ctx.wrap_socket(s.httpd.socket, server_side=True)
        try:
            url = "https://127.0.0.1:%d/api/" % s.port
            r = run(["get", "--url", url, "--collection", "c1", "--token", "t"], timeout=60)
            line = one_line(self, r, 1, "untrusted certificate")
            self.assertIn("--cacert", line)
            self.assertIn("--insecure", line)
            r = run(["get", "--url", url, "--collection", "c1", "--token", "t", "--cacert", crt], timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), "{}")
        finally:
            s.close()
            import shutil
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    en.main()
