"""test_errors.py - every error an enlace node answers: 400 401 403 404 405 406 413 415 422.

Each error must carry the TAXII error resource ({"title", ..., "http_status": "<code>"}) and the
TAXII content type, and no request here may produce a 500.
"""

import json
import os
import sys
import unittest
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TAXII, TaxiiAsserts, indicator  # noqa: E402


class Base(TaxiiAsserts, unittest.TestCase):
    node = None

    @classmethod
    def tearDownClass(cls):
        if cls.node:
            cls.node.stop()
            cls.node.cleanup()
            cls.node = None


class TestAuthAndAccess(Base):

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        for u in ("rw", "ro", "wo", "none", "gone", "tok"):
            n.add_user(u)
        cls.c = n.create_collection("Errors")
        n.grant(cls.c, "rw", read=True, write=True)
        n.grant(cls.c, "ro", read=True, write=False)
        n.grant(cls.c, "wo", read=False, write=True)
        n.grant(cls.c, "gone", read=True, write=True)
        n.grant(cls.c, "tok", read=True, write=True)
        n.cli("user", "disable", n.dir, "gone")
        cls.token, cls.token_id = n.create_token("tok")
        cls.revoked, revoked_id = n.create_token("tok")
        n.cli("token", "revoke", n.dir, revoked_id)
        n.start()
        cls.obj = indicator(1)
        r = n.post_envelope(cls.c, [cls.obj], user="rw")
        assert r.status_code == 202, r.text

    def paths(self):
        c = self.c
        oid = self.obj["id"]
        return ["/api/collections/", "/api/collections/%s/" % c, "/api/collections/%s/manifest/" % c,
                "/api/collections/%s/objects/" % c, "/api/collections/%s/objects/%s/" % (c, oid),
                "/api/collections/%s/objects/%s/versions/" % (c, oid)]

    def assert401(self, r):
        self.assertError(r, 401)
        self.assertIn("WWW-Authenticate", r.headers, "401 without WWW-Authenticate on %s" % r.url)

    def test_401_no_credentials(self):
        for p in self.paths() + ["/api/status/%s/" % uuid.uuid4()]:
            self.assert401(self.node.get(p))
        self.assert401(self.node.post_envelope(self.c, [indicator(2)]))

    def test_401_bad_credentials(self):
        for p in self.paths():
            self.assert401(self.node.get(p, user="rw", password="wrong password"))
            self.assert401(self.node.get(p, user="nosuchuser", password="whatever"))
            self.assert401(self.node.get(p, token="not-a-token"))
        self.assert401(self.node.get("/api/collections/", headers={"Authorization": "Basic !!!notbase64"}))
        self.assert401(self.node.get("/api/collections/", headers={"Authorization": "Digest foo"}))

    def test_401_disabled_user_and_revoked_token(self):
        for p in self.paths():
            self.assert401(self.node.get(p, user="gone"))
            self.assert401(self.node.get(p, token=self.revoked))
            self.assertOk(self.node.get(p, token=self.token))
        self.assert401(self.node.post_envelope(self.c, [indicator(3)], user="gone"))
        self.assert401(self.node.post_envelope(self.c, [indicator(3)], token=self.revoked))

    def test_read_grants(self):
        c = self.c
        oid = self.obj["id"]
        read_paths = ["/api/collections/%s/manifest/" % c, "/api/collections/%s/objects/" % c,
                      "/api/collections/%s/objects/%s/" % (c, oid),
                      "/api/collections/%s/objects/%s/versions/" % (c, oid)]
        for p in read_paths:
            self.assertOk(self.node.get(p, user="rw"))
            self.assertOk(self.node.get(p, user="ro"))
            # can_read false: 403 or 404 (T5.3-5.8)
            r = self.node.get(p, user="wo")
            self.assertIn(r.status_code, (403, 404), r.text)
            self.assertError(r, r.status_code)
            # no grant at all: the collection is invisible -> 404 (no existence leak, T App. B)
            self.assertError(self.node.get(p, user="none"), 404)
        self.assertError(self.node.get("/api/collections/%s/" % c, user="none"), 404)

    def test_write_grants(self):
        r = self.node.post_envelope(self.c, [indicator(4)], user="ro")
        self.assertIn(r.status_code, (403, 404), r.text)
        self.assertError(r, r.status_code)
        self.assertError(self.node.post_envelope(self.c, [indicator(4)], user="none"), 404)
        st = self.assertOk(self.node.post_envelope(self.c, [indicator(5)], user="wo"), 202)
        self.assertEqual(st["success_count"], 1)

    def test_delete_matrix(self):
        o = indicator(6)
        self.assertOk(self.node.post_envelope(self.c, [o], user="rw"), 202)
        p = "/api/collections/%s/objects/%s/" % (self.c, o["id"])
        self.assertError(self.node.request("DELETE", p, user="none"), 404, "no read, no write")
        self.assertError(self.node.request("DELETE", p, user="ro"), 403, "read, no write")
        self.assertError(self.node.request("DELETE", p, user="wo"), 403, "write, no read")
        self.assertOk(self.node.get(p, user="rw"))  # still there
        r = self.node.request("DELETE", p, user="rw")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTaxiiCT(r)
        self.assertError(self.node.get(p, user="rw"), 404)

    def test_404s(self):
        unknown = str(uuid.uuid4())
        for p in ["/api/collections/%s/" % unknown, "/api/collections/%s/objects/" % unknown,
                  "/api/collections/%s/manifest/" % unknown,
                  "/api/collections/%s/objects/%s/" % (unknown, self.obj["id"]),
                  "/api/collections/%s/objects/%s/" % (self.c, en.new_id("indicator")),
                  "/api/collections/%s/objects/%s/versions/" % (self.c, en.new_id("indicator")),
                  "/api/status/%s/" % unknown, "/api/nope/", "/nope/", "/api/collections/%s/nope/" % self.c,
                  "/taxii2/nope/", "/api/collections/not-a-uuid/objects/"]:
            self.assertError(self.node.get(p, user="rw"), 404)
        self.assertError(self.node.post_envelope(unknown, [indicator(7)], user="rw"), 404)

    def test_errors_do_not_leak(self):
        # no grant vs no such collection: the same answer (T App. B)
        a = self.node.get("/api/collections/%s/objects/" % self.c, user="none")
        b = self.node.get("/api/collections/%s/objects/" % uuid.uuid4(), user="none")
        self.assertError(a, 404)
        self.assertError(b, 404)
        ja, jb = a.json(), b.json()
        self.assertEqual((ja.get("title"), ja.get("description")), (jb.get("title"), jb.get("description")))
        self.assertNotIn(self.c, a.text)
        # wrong password vs unknown user: the same 401
        a = self.node.get("/api/collections/", user="rw", password="wrong")
        b = self.node.get("/api/collections/", user="nosuchuser", password="wrong")
        self.assertEqual(a.json(), b.json())
        self.assertNotIn("nosuchuser", b.text)

    def test_odd_requests_never_500(self):
        c = self.c
        long_ids = ",".join(en.new_id("indicator") for _ in range(150))
        targets = [
            ("GET", "/api/collections/../../etc/passwd/"),
            ("GET", "/api/collections/%2e%2e/%2e%2e/"),
            ("GET", "/" + "a" * 5000 + "/"),
            ("GET", "/api/collections/%s/objects/indicator--%%00/" % c),
            ("GET", "/api/collections/%s/objects/%%ff%%fe/" % c),
            ("GET", "//api//collections//"),
            ("GET", "/api/collections/%s/objects/?match[type]=" % c),
            ("GET", "/api/collections/%s/objects/?limit=99999999999999999999999" % c),
            ("GET", "/api/collections/%s/objects/?added_after=9999-12-31T23:59:59.999999Z" % c),
            ("GET", "/api/collections/%s/objects/?match[id]=%s" % (c, long_ids)),
            ("GET", "/api/collections/%s/objects/?%s" % (c, "&".join("x%d=1" % i for i in range(300)))),
            ("GET", "/api/collections/%s/objects/?match%%5Bversion%%5D=%%E2%%82%%AC" % c),
            ("GET", "/api/collections/%s/objects/?next=%s" % (c, "A" * 3000)),
            ("GET", "/api/collections/%C3%B1/"),
            ("GET", "/api/status/../collections/"),
            ("GET", "/api/collections/%s/objects/%s/versions/?match[version]=all" % (c, self.obj["id"])),
            ("OPTIONS", "/api/collections/"),
            ("HEAD", "/api/collections/"),
        ]
        for method, t in targets:
            r = self.node.raw(method, t, user="rw")
            self.assertLess(r.status_code, 500, "%s %s -> %d %s" % (method, t[:80], r.status_code, r.text[:200]))
            if r.status_code >= 400 and method != "HEAD":
                self.assertError(r, r.status_code, "%s %s" % (method, t[:80]))
        for hdr in ("Basic " + "QQ==", "Basic " + "A" * 6000, "Bearer ", "Basic", "basic cnc6eA=="):
            r = self.node.raw("GET", "/api/collections/", headers={"Authorization": hdr})
            self.assertError(r, 401, hdr[:30])
        self.assertOk(self.node.get("/api/", user="rw"))

    def test_idle_and_partial_connections_do_not_block(self):
        import socket
        import time
        socks = []
        try:
            for i in range(30):
                s = socket.create_connection(("127.0.0.1", self.node.port), timeout=10)
                if i % 2:
                    s.sendall(b"GET /api/collections/ HTTP/1.1\r\nHost: x\r\n")  # headers never finished
                else:
                    s.sendall(b"POST /api/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                              b"Content-Type: application/taxii+json;version=2.1\r\n\r\n{\"objects\":[" % self.c.encode())
                socks.append(s)
            t0 = time.time()
            r = self.node.request("GET", "/api/collections/", user="rw", timeout=15)
            self.assertOk(r)
            self.assertLess(time.time() - t0, 10)
        finally:
            for s in socks:
                s.close()
        self.assertOk(self.node.get("/api/", user="rw"))

    def test_405(self):
        c = self.c
        oid = self.obj["id"]
        for method, p in [("DELETE", "/api/collections/%s/objects/" % c),
                          ("PUT", "/api/collections/%s/objects/" % c),
                          ("POST", "/api/collections/%s/objects/%s/" % (c, oid)),
                          ("POST", "/api/collections/%s/manifest/" % c),
                          ("POST", "/api/collections/"),
                          ("DELETE", "/api/collections/%s/" % c),
                          ("POST", "/taxii2/"), ("PUT", "/api/"),
                          ("PATCH", "/api/collections/%s/objects/%s/" % (c, oid))]:
            r = self.node.request(method, p, user="rw", data=b"{}" if method != "DELETE" else None,
                                  content_type=TAXII if method != "DELETE" else None)
            self.assertError(r, 405, "%s %s" % (method, p))
        self.assertOk(self.node.get("/api/collections/%s/objects/%s/" % (c, oid), user="rw"))

    def test_406_and_accept_variants(self):
        c = self.c
        for p in ["/taxii2/", "/api/", "/api/collections/", "/api/collections/%s/objects/" % c,
                  "/api/collections/%s/manifest/" % c]:
            for acc in ("application/xml", "application/taxii+json;version=2.0", "text/html"):
                self.assertError(self.node.get(p, user="rw", accept=acc), 406, "Accept: %s" % acc)
            for acc in ("application/taxii+json", "*/*", "application/taxii+json;version=2.1",
                        "application/taxii+json; version=2.1", "application/xml, application/taxii+json;version=2.1"):
                r = self.node.get(p, user="rw", accept=acc)
                self.assertOk(r)
        r = self.node.post_envelope(self.c, [indicator(8)], user="rw", accept="application/xml")
        self.assertError(r, 406)

    def test_415(self):
        body = json.dumps({"objects": [indicator(9)]}).encode()
        p = "/api/collections/%s/objects/" % self.c
        for ct in ("application/json", "text/plain", "application/stix+json;version=2.1",
                   "application/taxii+json;version=2.0"):
            self.assertError(self.node.request("POST", p, user="rw", data=body, content_type=ct), 415, ct)
        self.assertError(self.node.request("POST", p, user="rw", data=body), 415, "no Content-Type")
        self.assertOk(self.node.request("POST", p, user="rw", data=body,
                                        content_type="application/taxii+json"), 202)

    def test_400_bodies(self):
        p = "/api/collections/%s/objects/" % self.c
        for data in (b'{"objects": [', b"not json", b'{"objects": [{"type": "indicator",}]}',
                     b"", b'{"objects": []} trailing'):
            r = self.node.request("POST", p, user="rw", data=data, content_type=TAXII)
            self.assertError(r, 400, repr(data))
        o = indicator(10)
        raw = json.dumps({"objects": [o]}).replace("test indicator", "bad \xff\xfe bytes")
        data = raw.encode("latin-1")
        self.assertError(self.node.request("POST", p, user="rw", data=data, content_type=TAXII), 400,
                         "invalid UTF-8")
        # overlong encoding and lone surrogate bytes
        for bad in (b"\xc0\xaf", b"\xed\xa0\x80"):
            data = json.dumps({"objects": [o]}).encode().replace(b"test indicator", b"x" + bad)
            self.assertError(self.node.request("POST", p, user="rw", data=data, content_type=TAXII), 400,
                             "invalid UTF-8 %r" % bad)
        # nothing of the refused bodies was stored
        r = self.node.get(p + o["id"] + "/", user="rw")
        self.assertError(r, 404)

    def test_400_query_parameters(self):
        c = self.c
        coll_paths = ["/api/collections/%s/objects/" % c, "/api/collections/%s/manifest/" % c,
                      "/api/collections/%s/objects/%s/" % (c, self.obj["id"]),
                      "/api/collections/%s/objects/%s/versions/" % (c, self.obj["id"])]
        bad_sets = [
            [("added_after", "yesterday")],
            [("added_after", "2020-13-01T00:00:00.000000Z")],
            [("added_after", "2020-02-30T00:00:00.000000Z")],
            [("added_after", "")],
            [("added_after", "2020-01-01T00:00:00.000000Z"), ("added_after", "2020-01-01T00:00:00.000000Z")],
            [("limit", "0")], [("limit", "-1")], [("limit", "abc")], [("limit", "1.5")], [("limit", "")],
            [("limit", "5"), ("limit", "5")],
            [("next", "not-a-cursor")],
        ]
        for p in coll_paths:
            for params in bad_sets:
                self.assertError(self.node.get(p, user="rw", params=params), 400, "%s %r" % (p, params))
        for p in coll_paths[:3]:
            for params in ([("match[version]", "all,last")], [("match[version]", "bogus")],
                           [("match[version]", "2020-01-01")],
                           [("match[version]", "last"), ("match[version]", "first")]):
                self.assertError(self.node.get(p, user="rw", params=params), 400, "%s %r" % (p, params))
        for p in coll_paths[:2]:
            for params in ([("match[type]", "indicator"), ("match[type]", "malware")],
                           [("match[id]", "a"), ("match[id]", "b")]):
                self.assertError(self.node.get(p, user="rw", params=params), 400, "%s %r" % (p, params))
        # the good forms still work
        for p in coll_paths:
            self.assertOk(self.node.get(p, user="rw", params=[("added_after", "2000-01-01T00:00:00.000000Z"),
                                                              ("limit", "3")]))

    def test_nesting_limit_boundary(self):
        """Default nesting depth 64: a body nesting exactly 64 levels (containers, the envelope
        included) is processed; 65 levels is 422. Same rule as 413: refuse only *above* the limit."""
        p = "/api/collections/%s/objects/" % self.c

        def body(levels):
            o = indicator(20 + levels)
            v = "leaf"
            for _ in range(levels - 3):  # envelope {, objects [, the object { = 3 levels
                v = [v]
            o["x_deep"] = v
            return o, json.dumps({"objects": [o]}).encode()

        o, b = body(64)
        r = self.node.request("POST", p, user="rw", data=b, content_type=TAXII)
        self.assertEqual(r.status_code, 202, "nesting of exactly 64 levels must be accepted: %d %s"
                         % (r.status_code, r.text[:200]))
        self.assertEqual(r.json()["success_count"], 1)
        o, b = body(65)
        self.assertError(self.node.request("POST", p, user="rw", data=b, content_type=TAXII), 422, "65 levels")

    def test_422_envelopes(self):
        p = "/api/collections/%s/objects/" % self.c
        cases = {
            "top-level array": [indicator(11)],
            "no objects member": {"more": False},
            "objects not a list (object)": {"objects": {"a": 1}},
            "objects not a list (string)": {"objects": "indicator"},
            "objects null": {"objects": None},
            "top-level string": "objects",
        }
        for name, body in cases.items():
            r = self.node.request("POST", p, user="rw", data=json.dumps(body).encode(), content_type=TAXII)
            self.assertError(r, 422, name)
        # more than 10000 objects
        many = {"objects": [{"type": "x"}] * 10001}
        r = self.node.request("POST", p, user="rw", data=json.dumps(many).encode(), content_type=TAXII)
        self.assertError(r, 422, "10001 objects")
        # nesting deeper than 64 inside an object
        deep = indicator(13)
        v = "leaf"
        for _ in range(80):
            v = [v]
        deep["x_deep"] = v
        r = self.node.request("POST", p, user="rw", data=json.dumps({"objects": [deep]}).encode(),
                              content_type=TAXII)
        self.assertError(r, 422, "nesting 80")
        self.assertError(self.node.get(p + deep["id"] + "/", user="rw"), 404)
        # a very deep body must not crash the server either
        r = self.node.request("POST", p, user="rw", data=b'{"objects":' + b"[" * 100000 + b"]" * 100000 + b"}",
                              content_type=TAXII)
        self.assertIn(r.status_code, (400, 422), r.text[:200])
        self.assertError(r, r.status_code)
        # shallow nesting (well under 64) is fine
        ok = indicator(14)
        v = "leaf"
        for _ in range(20):
            v = {"k": v}
        ok["x_nested"] = v
        st = self.assertOk(self.node.post_envelope(self.c, [ok], user="rw"), 202)
        self.assertEqual(st["success_count"], 1, st)
        # exactly 10000 objects is allowed (each judged on its own)
        objs = [indicator(i) for i in range(10000)]
        st = self.assertOk(self.node.post_envelope(self.c, objs, user="rw"), 202)
        self.assertEqual(st["total_count"], 10000)
        self.assertEqual(st["success_count"], 10000)


class TestMaxContentLength(Base):
    LIMIT = 4000

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("rw")
        cls.c = n.create_collection("Small")
        n.grant(cls.c, "rw")
        n.start("--max-content-length", str(cls.LIMIT))

    def body_of_size(self, size):
        o = indicator(1, description="")
        base = json.dumps({"objects": [o]}, separators=(",", ":")).encode()
        pad = size - len(base)
        assert pad >= 0
        o["description"] = "d" * pad
        b = json.dumps({"objects": [o]}, separators=(",", ":")).encode()
        assert len(b) == size, (len(b), size)
        return o, b

    def test_keep_alive_after_refused_bodies(self):
        """Requests refused without reading their body (413, 401, 415, 404) must not desynchronise
        a kept-alive connection: the next request on it gets its own, right answer."""
        p = "/api/collections/%s/objects/" % self.c
        o, b = self.body_of_size(self.LIMIT * 3)
        with requests.Session() as sess:
            def go(method, path, **kw):
                hd = {"Accept": TAXII}
                hd.update(kw.pop("headers", {}))
                return sess.request(method, self.node.url(path), headers=hd, timeout=60, **kw)
            auth = ("rw", self.node.passwords["rw"])
            for _ in range(3):
                self.assertError(go("POST", p, auth=auth, data=b, headers={"Content-Type": TAXII}), 413)
                j = self.assertOk(go("GET", "/api/", auth=auth))
                self.assertEqual(j["max_content_length"], self.LIMIT)
                self.assertError(go("POST", p, auth=("rw", "wrong"), data=b"x" * 3000,
                                    headers={"Content-Type": TAXII}), 401)
                self.assertOk(go("GET", "/api/collections/", auth=auth))
                self.assertError(go("POST", p, auth=auth, data=b"y" * 3000, headers={"Content-Type": "text/plain"}), 415)
                self.assertOk(go("GET", "/api/collections/%s/" % self.c, auth=auth))
                self.assertError(go("POST", "/api/collections/%s/objects/" % uuid.uuid4(), auth=auth,
                                    data=b"z" * 3000, headers={"Content-Type": TAXII}), 404)
                small = indicator(77)
                st = self.assertOk(go("POST", p, auth=auth, data=json.dumps({"objects": [small]}).encode(),
                                      headers={"Content-Type": TAXII}), 202)
                self.assertEqual(st["success_count"], 1)

    def test_api_root_reports_limit(self):
        j = self.assertOk(self.node.get("/api/", user="rw"))
        self.assertEqual(j["max_content_length"], self.LIMIT)

    def test_413_only_above_limit(self):
        p = "/api/collections/%s/objects/" % self.c
        o, b = self.body_of_size(self.LIMIT)
        r = self.node.request("POST", p, user="rw", data=b, content_type=TAXII)
        st = self.assertOk(r, 202)
        self.assertEqual(st["success_count"], 1, st)
        o, b = self.body_of_size(self.LIMIT - 1)
        st = self.assertOk(self.node.request("POST", p, user="rw", data=b, content_type=TAXII), 202)
        self.assertEqual(st["success_count"], 1, st)
        o, b = self.body_of_size(self.LIMIT + 1)
        self.assertError(self.node.request("POST", p, user="rw", data=b, content_type=TAXII), 413)
        self.assertError(self.node.get(p + o["id"] + "/", user="rw"), 404)
        o, b = self.body_of_size(self.LIMIT * 2)
        self.assertError(self.node.request("POST", p, user="rw", data=b, content_type=TAXII), 413)
        # chunked upload (no Content-Length) above the limit is refused too
        o, b = self.body_of_size(self.LIMIT * 3)

        def gen():
            for i in range(0, len(b), 1000):
                yield b[i:i + 1000]
        r = self.node.request("POST", p, user="rw", data=gen(), content_type=TAXII)
        self.assertError(r, 413, "chunked")
        # the server still serves
        self.assertOk(self.node.get("/api/", user="rw"))


if __name__ == "__main__":
    en.main()
