"""test_audit_coverage.py - every request that reads or writes objects, refused ones included,
and every admin change is one audit entry (issue 4; docs/audit.md "What is logged").

Each test reads the node's whole log locally (`enlace audit show DIR --json`, as its admins do)
before and after one action and checks the entries it added: their action, decision, reason,
collection and target. Gaps found by a review:
  F2  admin changes and admin reads: `collection create`, `party add`, `collection set
      --default-tlp` (with the new level), `review` and `purge --dry-run` (the ids listed);
  F3  refused or attempted requests: POST bodies refused as a whole (not JSON, duplicate member,
      not an envelope, no `objects`, too many objects, too large), GET of the collection resource,
      GET/DELETE with a %00 parameter or too many parameters, GET of a status resource;
and what stays unlogged: 401s, discovery, the API root, the collections list, 405 and 406.
"""

import http.client
import json
import os
import sys
import unittest
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from enlace_node import Node, indicator, main  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
HANDLING = "extension-definition--c05bc01b-2963-4d49-a373-a33e30f35e95"
MAX_BODY = 64 * 1024


def with_review(obj, when):
    obj["extensions"] = {HANDLING: {"extension_type": "property-extension",
                                    "review_by": when.strftime("%Y-%m-%dT%H:%M:%S.000Z")}}
    return obj


class AuditCoverageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = n = Node(party="MX", org="SSPC")
        n.add_user("ana.ruiz")
        cls.coll = n.create_collection("Cases", alias="cases")
        n.grant(cls.coll, "ana.ruiz")
        n.start("--max-content-length", str(MAX_BODY))

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()
        cls.n.cleanup()

    # ---- helpers ------------------------------------------------------------------------------

    def log(self):
        r = self.n.cli("audit", "show", self.n.dir, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(l)["entry"] for l in r.stdout.splitlines()]

    def added(self, action, n=1):
        """Run action(); return the entries it appended (asserting there are n)."""
        before = len(self.log())
        action()
        es = self.log()[before:]
        self.assertEqual(len(es), n, "expected %d new entries, got %s" % (n, json.dumps(es, indent=1)))
        return es

    def one(self, action):
        return self.added(action, 1)[0]

    def expect(self, r, code):
        self.assertEqual(r.status_code, code, r.text[:300])
        return r

    def post_raw(self, body, code, coll=None):
        return self.expect(self.n.request("POST", self.n.objects_path(coll or self.coll), user="ana.ruiz",
                                          data=body, content_type=TAXII), code)

    def assertRefusal(self, e, action, reason, coll=None, principal="ana.ruiz"):
        self.assertEqual((e["principal"], e["action"], e["decision"], e["reason"], e["collection"]),
                         (principal, action, "deny", reason, self.coll if coll is None else coll), e)
        self.assertEqual(e["objects"], [])

    def assertAdmin(self, e, action, target):
        self.assertTrue(e["principal"].startswith("cli:"), e)
        self.assertEqual((e["action"], e["decision"], e["target"], e["collection"]),
                         (action, "allow", target, ""), e)

    # ---- F2: admin changes and admin reads ------------------------------------------------------

    def test_collection_create_is_logged(self):
        box = {}

        def create():
            box["id"] = self.n.create_collection("Other", default_tlp="green")

        e = self.one(create)
        self.assertAdmin(e, "collection-create", box["id"] + " default_tlp=green")
        e = self.one(lambda: box.update(id2=self.n.create_collection("Plain")))
        self.assertAdmin(e, "collection-create", box["id2"])
        # a refused create (alias taken) changes nothing and logs nothing
        self.added(lambda: self.assertNotEqual(
            self.n.cli("collection", "create", self.n.dir, "--title", "X", "--alias", "cases", check=False).returncode,
            0), 0)

    def test_party_add_is_logged(self):
        e = self.one(lambda: self.n.add_party("GT", "Guatemala"))
        self.assertAdmin(e, "party-add", "GT")

    def test_default_tlp_records_the_level(self):
        e = self.one(lambda: self.n.set_default_tlp(self.coll, "clear"))
        self.assertAdmin(e, "collection-default-tlp", self.coll + " default_tlp=clear")
        e = self.one(lambda: self.n.set_default_tlp(self.coll, "none"))
        self.assertAdmin(e, "collection-default-tlp", self.coll + " default_tlp=none")

    def test_review_and_purge_dry_run_are_admin_reads(self):
        now = datetime.now(timezone.utc)
        overdue = with_review(indicator(101), now - timedelta(days=2))
        soon = with_review(indicator(102), now + timedelta(days=5))
        self.expect(self.n.post_envelope(self.coll, [overdue, soon], user="ana.ruiz"), 202)
        e = self.one(lambda: self.n.cli("review", self.n.dir, "--json"))
        self.assertAdmin(e, "review", "2 objects")
        self.assertEqual(sorted(i for i, _ in e["objects"]), sorted([overdue["id"], soon["id"]]))
        e = self.one(lambda: self.n.cli("purge", self.n.dir, "--dry-run"))
        self.assertAdmin(e, "purge-dry-run", "1 object")
        self.assertEqual(e["objects"], [[overdue["id"], ""]])
        # nothing was purged: the object is still there
        self.expect(self.n.get(self.n.objects_path(self.coll) + overdue["id"] + "/", user="ana.ruiz"), 200)

    # ---- F3: refused or attempted requests -------------------------------------------------------

    def test_post_bodies_refused_as_a_whole(self):
        cases = [
            (b"{not json", 400, "Bad Request"),
            (b'{"objects":[],"objects":[]}', 400, "Bad Request"),  # duplicate member
            (b"[1,2]", 422, "Unprocessable Content"),                # not an envelope
            (b'{"more":false}', 422, "Unprocessable Content"),      # no objects
            (b'{"objects":[' + b"0," * 10000 + b"0]}", 422, "Unprocessable Content"),  # 10001 > 10000
        ]
        for body, code, _ in cases:
            with self.subTest(body=body[:30]):
                e = self.one(lambda: self.post_raw(body, code))
                self.assertEqual(e["action"], "write")
                self.assertEqual(e["decision"], "deny")
                self.assertEqual(e["collection"], self.coll)
                self.assertEqual(e["principal"], "ana.ruiz")
                self.assertTrue(e["reason"], e)  # the HTTP status title

    def test_post_over_the_size_limit(self):
        big = b'{"objects":[' + b" " * (MAX_BODY + 10) + b"]}"
        # announced by Content-Length: refused before the body is read
        e = self.one(lambda: self.post_raw(big, 413))
        self.assertRefusal(e, "write", "Payload Too Large")

        # chunked: found too large while reading
        def chunked():
            auth = self.n.auth_for("ana.ruiz")[0]
            import base64
            conn = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=30)
            try:
                conn.putrequest("POST", self.n.objects_path(self.coll))
                conn.putheader("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
                conn.putheader("Content-Type", TAXII)
                conn.putheader("Accept", TAXII)
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for i in range(0, len(big), 8192):
                    part = big[i:i + 8192]
                    conn.send(b"%x\r\n" % len(part) + part + b"\r\n")
                conn.send(b"0\r\n\r\n")
                self.assertEqual(conn.getresponse().status, 413)
            finally:
                conn.close()

        e = self.one(chunked)
        self.assertRefusal(e, "write", "Payload Too Large")

    def test_collection_resource(self):
        e = self.one(lambda: self.expect(self.n.get("/api/collections/cases/", user="ana.ruiz"), 200))
        self.assertEqual((e["action"], e["decision"], e["collection"], e["objects"]),
                         ("read", "allow", self.coll, []))
        e = self.one(lambda: self.expect(self.n.get("/api/collections/nope/", user="ana.ruiz"), 404))
        self.assertRefusal(e, "read", "Not Found", coll="nope")

    def test_bad_parameters(self):
        path = self.n.objects_path(self.coll)
        too_many = "&".join("match[id]=x%d" % i for i in range(200))
        for method, action in (("GET", "read"), ("DELETE", "delete")):
            target = path + ("indicator--%s/" % uuid.uuid4() if method == "DELETE" else "")
            for q in ("match%5Bid%5D=a%00b", too_many):
                with self.subTest(method=method, q=q[:20]):
                    e = self.one(lambda: self.assertEqual(
                        self.n.raw(method, target + "?" + q, user="ana.ruiz").status_code, 400))
                    self.assertRefusal(e, action, "Bad Request")

    def test_status_resource(self):
        r = self.expect(self.n.post_envelope(self.coll, [indicator(201)], user="ana.ruiz"), 202)
        sid = r.json()["id"]
        e = self.one(lambda: self.expect(self.n.get("/api/status/%s/" % sid, user="ana.ruiz"), 200))
        self.assertEqual((e["action"], e["decision"], e["reason"], e["collection"]),
                         ("read", "allow", "status " + sid, ""))
        e = self.one(lambda: self.expect(self.n.get("/api/status/%s/" % uuid.uuid4(), user="ana.ruiz"), 404))
        self.assertRefusal(e, "read", "Not Found", coll="")

    # ---- what stays unlogged ---------------------------------------------------------------------

    def test_not_logged(self):
        n = self.n
        self.added(lambda: [
            self.expect(n.get("/taxii2/", user="ana.ruiz"), 200),
            self.expect(n.get("/api/", user="ana.ruiz"), 200),
            self.expect(n.get("/api/collections/", user="ana.ruiz"), 200),
            self.expect(n.get(n.objects_path(self.coll)), 401),
            self.expect(n.get("/api/collections/cases/"), 401),
            self.expect(n.request("POST", n.objects_path(self.coll), data=b"{}", content_type=TAXII), 401),
            self.expect(n.request("PUT", n.objects_path(self.coll), user="ana.ruiz"), 405),
            self.expect(n.get(n.objects_path(self.coll), user="ana.ruiz", accept="text/html"), 406),
        ], 0)


if __name__ == "__main__":
    main()
