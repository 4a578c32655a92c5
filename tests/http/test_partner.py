#!/usr/bin/python3
"""test_partner.py - partners on a serving node (issue 5 must-have 1): `enlace partner
add|set|list|resume|remove`, the token printed once that the partner pulls with (it reads exactly
the collections its agreements cover), GET /enlace/v1/epoch changing exactly when what the
partner may read changes, mirror collections being read-only (POST and DELETE 403, audited;
`collection grant --write` refused), and `enlace holdings`.

Mirror rows are made with sqlite3 on the node's store (a mirror is what a sync pass creates; the
read-only rule is the serving side's, tested here without a second node).
"""

import base64
import json
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TaxiiAsserts, indicator, run  # noqa: E402

TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
JSON = "application/json"


def key_b64(seed):
    """A 32-byte 'public key' in base64 (the server only pins and compares it here)."""
    return base64.b64encode(bytes((seed + i) % 256 for i in range(32))).decode()


KEY_US = key_b64(1)
KEY_GT = key_b64(7)


class PartnerAsserts(TaxiiAsserts):

    def assertFails(self, r, codes, what=""):
        self.assertIn(r.returncode, codes, "%s: exit %d, expected one of %s\nstdout: %s\nstderr: %s"
                      % (what, r.returncode, codes, r.stdout, r.stderr))
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "%s: expected a one-line message on stderr, got %r" % (what, r.stderr))
        self.assertTrue(lines[0].startswith("enlace "), "%s: %r" % (what, lines[0]))
        return lines[0]

    def assertJsonError(self, r, code):
        """An enlace resource's error: the TAXII error resource as application/json."""
        self.assertEqual(r.status_code, code, "%s %s -> %d: %s" % (r.request.method, r.url, r.status_code, r.text[:300]))
        self.assertEqual(r.headers.get("Content-Type", "").split(";")[0].strip(), JSON)
        j = r.json()
        self.assertEqual(j.get("http_status"), str(code), j)
        self.assertTrue(j.get("title"), j)
        return j


def sql(node, statement, args=()):
    """Run one statement on the node's store (WAL: fine next to a running server)."""
    db = sqlite3.connect(os.path.join(node.dir, "enlace.db"), timeout=30)
    try:
        cur = db.execute(statement, args)
        rows = cur.fetchall()
        db.commit()
        return rows
    finally:
        db.close()


def audit_entries(node):
    """The node's audit log entries (`enlace audit show --json`: one JSON object per line)."""
    r = node.cli("audit", "show", node.dir, "--json", check=False)
    assert r.returncode in (0, 1), r.stderr
    return [json.loads(l)["entry"] for l in r.stdout.splitlines() if l.strip()]


def make_mirror(node, title, alias, party="US"):
    """A collection of node made a mirror of party's (the row a sync pass would write). Returns
    (id, rowid)."""
    cid = node.create_collection(title, alias=alias)
    rowid = sql(node, "SELECT rowid FROM collection WHERE id = ?", (cid,))[0][0]
    sql(node, "INSERT INTO mirror(coll, party, remote_id) VALUES (?, ?, ?)", (rowid, party, "remote-" + alias))
    return cid, rowid


class TestPartnerCli(PartnerAsserts, unittest.TestCase):
    """partner add/list/set/resume/remove on an MX node, with the partner's token over HTTP."""

    @classmethod
    def setUpClass(cls):
        cls.node = en.Node(party="MX", org="SSPC")
        n = cls.node
        n.add_user("ana")
        cls.shared = n.create_collection("Shared with US", alias="shared", default_tlp="clear")
        cls.private = n.create_collection("Private", alias="private", default_tlp="clear")
        n.grant("shared", "ana")
        n.grant("private", "ana")
        n.start()
        cls.obj_shared = indicator(1, object_marking_refs=[TLP_CLEAR])
        cls.obj_private = indicator(2, object_marking_refs=[TLP_CLEAR])
        for coll, o in (("shared", cls.obj_shared), ("private", cls.obj_private)):
            r = n.post_envelope(coll, [o], user="ana")
            assert r.status_code == 202, r.text

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def partner_list(self):
        r = self.node.cli("partner", "list", self.node.dir, "--json")
        return {p["party"]: p for p in json.loads(r.stdout)["partners"]}

    def test_1_add_refusals(self):
        d = self.node.dir
        url = "http://127.0.0.1:9/api/"
        cases = [
            (["--party", "MX", "--url", url, "--pubkey", KEY_US], "own party"),
            (["--party", "us", "--url", url, "--pubkey", KEY_US], "lower-case party"),
            (["--party", "USA", "--url", url, "--pubkey", KEY_US], "three letters"),
            (["--party", "US", "--url", "ftp://x/", "--pubkey", KEY_US], "bad url"),
            (["--party", "US", "--url", "127.0.0.1:9/api/", "--pubkey", KEY_US], "url without scheme"),
            (["--party", "US", "--url", url, "--pubkey", "not-base64!"], "bad key"),
            (["--party", "US", "--url", url, "--pubkey", base64.b64encode(b"x" * 31).decode()], "31-byte key"),
            (["--party", "US", "--url", url], "no key"),
            (["--party", "US", "--pubkey", KEY_US], "no url"),
            (["--url", url, "--pubkey", KEY_US], "no party"),
        ]
        for args, what in cases:
            self.assertFails(run(["partner", "add", d] + args), (2,), what)
        self.assertEqual(self.partner_list(), {}, "a refused add left a partner behind")
        users = json.loads(self.node.cli("user", "list", d, "--json").stdout)
        self.assertNotIn("partner-us", [u["name"] for u in users["users"]])
        for sub in (["set", d, "--party", "GT", "--url", url], ["resume", d, "--party", "GT"],
                    ["remove", d, "--party", "GT"]):
            line = self.assertFails(run(["partner"] + sub), (1,), "unknown partner: %s" % sub[0])
            self.assertIn("GT is not a partner", line)
        self.assertFails(run(["partner", "frobnicate", d]), (2,), "unknown subcommand")
        self.assertEqual(run(["partner", "add", "--help"]).returncode, 0)

    def test_2_add_token_reads_only_agreements(self):
        n, d = self.node, self.node.dir
        r = n.cli("partner", "add", d, "--party", "US", "--url", "https://us.example:8443/api/", "--pubkey", KEY_US,
                  "--json")
        j = json.loads(r.stdout)
        self.assertEqual(sorted(j), ["identity_id", "org", "party", "token", "url", "user"])
        self.assertEqual(j["party"], "US")
        self.assertEqual(j["user"], "partner-us")
        self.assertEqual(j["org"], "US node")
        self.assertRegex(j["identity_id"], r"^identity--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        token = j["token"]
        # the same key names the same organization identity on any node
        other = en.Node(party="GT", org="PNC")
        try:
            j2 = json.loads(other.cli("partner", "add", other.dir, "--party", "US", "--url", "http://x/",
                                      "--pubkey", KEY_US, "--json").stdout)
            self.assertEqual(j2["identity_id"], j["identity_id"])
            self.assertNotEqual(j2["token"], token)
        finally:
            other.cleanup()
        # a duplicate is a failure, not a usage error, and changes nothing
        line = self.assertFails(run(["partner", "add", d, "--party", "US", "--url", "http://x/", "--pubkey", KEY_GT]),
                                (1,), "duplicate")
        self.assertIn("already a partner", line)
        self.assertEqual(self.partner_list()["US"]["url"], "https://us.example:8443/api/")

        # the token authenticates as partner-us, which sees no collection before an agreement
        r = n.get("/api/collections/", token=token)
        self.assertEqual(self.assertOk(r).get("collections", []), [])
        self.assertError(n.get(n.objects_path("shared"), token=token), 404)
        n.agreement("US", "shared")
        cs = self.assertOk(n.get("/api/collections/", token=token))["collections"]
        self.assertEqual([c["id"] for c in cs], [self.shared])
        self.assertTrue(cs[0]["can_read"])
        self.assertFalse(cs[0]["can_write"])
        got = self.assertOk(n.get(n.objects_path("shared"), token=token))["objects"]
        self.assertEqual([o["id"] for o in got], [self.obj_shared["id"]])
        self.assertError(n.get(n.objects_path("private"), token=token), 404)
        self.assertError(n.post_envelope("shared", [indicator(9)], token=token), 403)

        # text output: the token alone on the first line, shown once
        r = n.cli("partner", "add", d, "--party", "GT", "--url", "http://127.0.0.1:9/api/", "--pubkey", KEY_GT,
                  "--token", "secret-we-pull-gt-with")
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r"^enl_[A-Za-z0-9_-]{43}$")
        self.assertEqual(r.stdout.count(lines[0]), 1)
        self.assertIn("user: partner-gt", r.stdout)
        self.assertIn("shown only once", r.stderr)
        self.assertEqual(n.get("/api/collections/", token=lines[0]).status_code, 200)

    def test_3_list_set_resume(self):
        n, d = self.node, self.node.dir
        ps = self.partner_list()
        self.assertEqual(sorted(ps), ["GT", "US"])
        us, gt = ps["US"], ps["GT"]
        self.assertEqual(us["key_fingerprint"], KEY_US[:16])
        self.assertFalse(us["pull_token_set"])
        self.assertTrue(gt["pull_token_set"])
        self.assertEqual(us["user"], "partner-us")
        self.assertEqual(us["mirrors"], 0)
        self.assertIsNone(us["last_pass"])
        self.assertIsNone(us["stopped"])
        text = n.cli("partner", "list", d).stdout
        self.assertNotIn("secret-we-pull-gt-with", text)
        self.assertNotIn("secret-we-pull-gt-with", n.cli("partner", "list", d, "--json").stdout)
        self.assertIn(KEY_US[:16], text)
        self.assertNotIn(KEY_US, text)

        n.cli("partner", "set", d, "--party", "US", "--token", "tok-us", "--url", "http://127.0.0.1:8022/api/")
        us = self.partner_list()["US"]
        self.assertTrue(us["pull_token_set"])
        self.assertEqual(us["url"], "http://127.0.0.1:8022/api/")
        self.assertFails(run(["partner", "set", d, "--party", "US", "--url", "gopher://x"]), (2,), "set bad url")
        self.assertFails(run(["partner", "set", d, "--party", "US", "--pubkey", "AAAA"]), (2,), "set bad key")
        self.assertFails(run(["partner", "set", d, "--party", "US"]), (2,), "set nothing")
        self.assertEqual(self.partner_list()["US"]["url"], "http://127.0.0.1:8022/api/")

        # resume clears a stop (as a failed trust check leaves it)
        self.assertIn("not stopped", n.cli("partner", "resume", d, "--party", "US").stdout)
        sql(n, "UPDATE partner SET stopped = 'trust check failed: fork' WHERE party = 'US'")
        self.assertEqual(self.partner_list()["US"]["stopped"], "trust check failed: fork")
        self.assertIn("stopped", n.cli("partner", "list", d).stdout)
        out = n.cli("partner", "resume", d, "--party", "US").stdout
        self.assertIn("resumed", out)
        self.assertIsNone(self.partner_list()["US"]["stopped"])

        # every change is in the audit log
        log = n.cli("audit", "show", d, "--json").stdout
        actions = [e["action"] for e in audit_entries(n)]
        for action in ("partner-add", "partner-set", "partner-resume"):
            self.assertIn(action, actions)
        r = n.cli("audit", "show", d, "--action", "partner-add")
        self.assertEqual(len(r.stdout.splitlines()), 2, r.stdout)  # US and GT
        self.assertNotIn("secret-we-pull-gt-with", log)
        self.assertNotIn("tok-us", log)

    def test_4_remove(self):
        n, d = self.node, self.node.dir
        n.agreement("GT", "shared")
        r = n.cli("partner", "add", d, "--party", "CO", "--url", "http://127.0.0.1:9/api/", "--pubkey", key_b64(50),
                  "--json")
        token = json.loads(r.stdout)["token"]
        n.agreement("CO", "shared")
        self.assertEqual(n.get("/api/collections/", token=token).status_code, 200)
        mid, _ = make_mirror(n, "Leads (CO)", "co-leads", party="CO")
        out = n.cli("partner", "remove", d, "--party", "CO").stdout
        self.assertIn("1 agreement removed", out)
        self.assertNotIn("CO", self.partner_list())
        self.assertEqual(n.get("/api/collections/", token=token).status_code, 401)
        ags = json.loads(n.cli("agreement", "list", d, "--json").stdout)["agreements"]
        self.assertEqual(sorted(a["partner"] for a in ags), ["GT", "US"])
        # the mirror stays
        cs = json.loads(n.cli("collection", "list", d, "--json").stdout)["collections"]
        self.assertIn(mid, [c["id"] for c in cs])
        self.assertFails(run(["partner", "remove", d, "--party", "CO"]), (1,), "removed twice")
        self.assertIn("partner-remove", [e["action"] for e in audit_entries(n)])
        # added again with the same key: its account works again (new token)
        r = n.cli("partner", "add", d, "--party", "CO", "--url", "http://127.0.0.1:9/api/", "--pubkey", key_b64(50),
                  "--json")
        token2 = json.loads(r.stdout)["token"]
        self.assertEqual(n.get("/api/collections/", token=token2).status_code, 200)
        self.assertEqual(n.get("/api/collections/", token=token).status_code, 401, "an old token came back")
        self.assertEqual(self.partner_list()["CO"]["mirrors"], 1)


class TestEpoch(PartnerAsserts, unittest.TestCase):
    """GET /enlace/v1/epoch changes exactly when what the partner may read changes."""

    @classmethod
    def setUpClass(cls):
        cls.node = n = en.Node(party="MX", org="SSPC")
        n.add_user("ana")
        cls.coll = n.create_collection("Shared", alias="shared")
        cls.other = n.create_collection("Other", alias="other")
        n.grant("shared", "ana")
        cls.us_token = json.loads(n.cli("partner", "add", n.dir, "--party", "US", "--url", "http://127.0.0.1:9/api/",
                                        "--pubkey", KEY_US, "--json").stdout)["token"]
        cls.gt_token = json.loads(n.cli("partner", "add", n.dir, "--party", "GT", "--url", "http://127.0.0.1:9/api/",
                                        "--pubkey", KEY_GT, "--json").stdout)["token"]
        n.add_org("DEA", party="US")
        n.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def epoch(self, token=None):
        r = self.node.get("/enlace/v1/epoch", token=token or self.us_token, accept=JSON)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers.get("Content-Type", "").split(";")[0].strip(), JSON)
        j = r.json()
        self.assertEqual(sorted(j), ["collections", "epoch", "party"])
        self.assertIsInstance(j["collections"], list)
        self.assertRegex(j["epoch"], r"^[0-9a-f]{64}$")
        return j

    def test_access(self):
        n = self.node
        self.assertEqual(self.epoch()["party"], "US")
        self.assertEqual(self.epoch(self.gt_token)["party"], "GT")
        self.assertNotEqual(self.epoch()["epoch"], self.epoch(self.gt_token)["epoch"])
        self.assertEqual(n.get("/enlace/v1/epoch/", token=self.us_token, accept=JSON).status_code, 200)
        self.assertJsonError(n.get("/enlace/v1/epoch", user="ana", accept=JSON), 403)
        self.assertJsonError(n.get("/enlace/v1/epoch", accept=JSON), 401)
        self.assertJsonError(n.get("/enlace/v1/epoch", token="enl_not-a-token", accept=JSON), 401)
        self.assertJsonError(n.request("POST", "/enlace/v1/epoch", token=self.us_token, accept=JSON, data=b"{}"), 405)

    def test_changes(self):
        n, d = self.node, self.node.dir
        state = {"e": self.epoch()["epoch"]}

        def changed(what):
            e = self.epoch()["epoch"]
            self.assertNotEqual(e, state["e"], "the epoch did not change after: " + what)
            state["e"] = e

        def same(what):
            self.assertEqual(self.epoch()["epoch"], state["e"], "the epoch changed after: " + what)

        n.agreement("US", "shared", "amber")
        changed("agreement set")
        n.agreement("US", "shared", "amber")
        same("the same agreement set again")
        n.agreement("US", "shared", "green")
        changed("agreement max TLP")
        n.set_default_tlp("shared", "clear")
        changed("default TLP of an agreement collection")
        n.set_default_tlp("other", "green")
        same("default TLP of another collection")
        n.vet("DEA", "2030-01-01")
        changed("vetting set")
        n.vet("DEA", "2031-01-01")
        changed("vetting until")
        r = n.post_envelope("shared", [indicator(1)], user="ana")
        self.assertEqual(r.status_code, 202, r.text)
        same("an object posted")
        n.agreement("GT", "shared", "amber")
        same("another party's agreement")
        n.add_org("PNC", party="GT")
        n.vet("PNC", "2030-01-01")
        same("a vetting of another party's organization")
        n.unvet("DEA")
        changed("vetting removed")
        n.remove_agreement("US", "shared")
        changed("agreement removed")


class TestMirrorReadOnly(PartnerAsserts, unittest.TestCase):
    """A mirror collection: POST and DELETE 403 (audited), grant --write refused, reads work."""

    @classmethod
    def setUpClass(cls):
        cls.node = n = en.Node(party="MX", org="SSPC")
        n.add_user("ana")
        n.cli("partner", "add", n.dir, "--party", "US", "--url", "http://127.0.0.1:9/api/", "--pubkey", KEY_US)
        cls.own = n.create_collection("Own", alias="own")
        n.grant("own", "ana")
        cls.mirror, cls.rowid = make_mirror(n, "Sightings (US)", "us-sightings")
        n.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def test_grant(self):
        n, d = self.node, self.node.dir
        line = self.assertFails(run(["collection", "grant", d, "us-sightings", "--user", "ana", "--read", "--write"]),
                                (1,), "grant --write on a mirror")
        self.assertIn("read-only mirror of partner US", line)
        n.cli("collection", "grant", d, "us-sightings", "--user", "ana", "--read")
        cs = self.assertOk(n.get("/api/collections/", user="ana"))["collections"]
        m = [c for c in cs if c["id"] == self.mirror]
        self.assertEqual(len(m), 1)
        self.assertTrue(m[0]["can_read"])
        self.assertFalse(m[0]["can_write"])
        self.assertOk(n.get(n.objects_path("us-sightings"), user="ana"))

    def test_post_delete_refused(self):
        n, d = self.node, self.node.dir
        # even a write grant left from before (written behind the CLI's back) does not open it
        sql(n, "INSERT INTO grants(user, coll, can_read, can_write) VALUES "
               "((SELECT rowid FROM user WHERE name = 'ana'), ?, 1, 1) "
               "ON CONFLICT(user, coll) DO UPDATE SET can_read = 1, can_write = 1", (self.rowid,))
        before = len(audit_entries(n))
        o = indicator(3)
        j = self.assertError(n.post_envelope(self.mirror, [o], user="ana"), 403)
        self.assertIn("read-only mirror of partner US", j.get("description", ""))
        j = self.assertError(n.request("DELETE", n.objects_path(self.mirror) + o["id"] + "/", user="ana"), 403)
        self.assertIn("read-only mirror of partner US", j.get("description", ""))
        # the same requests on our own collection go through
        self.assertEqual(n.post_envelope("own", [o], user="ana").status_code, 202)
        self.assertOk(n.request("DELETE", n.objects_path("own") + o["id"] + "/", user="ana"))
        entries = audit_entries(n)[before:]
        denied = [e for e in entries if e.get("decision") == "deny" and e.get("collection") == self.mirror]
        self.assertEqual(sorted(e["action"] for e in denied), ["delete", "write"], entries)
        # nothing landed in the mirror
        self.assertEqual(self.assertOk(n.get(n.objects_path("us-sightings"), user="ana")).get("objects", []), [])


class TestHoldings(PartnerAsserts, unittest.TestCase):

    def test_holdings(self):
        n = en.Node(party="MX", org="SSPC")
        try:
            n.add_user("ana")
            cid = n.create_collection("Arrests", alias="arrests")
            n.create_collection("Empty", alias="empty")
            n.grant("arrests", "ana")
            n.start()
            a, b = indicator(1), indicator(2)
            a2 = dict(a, modified="2024-02-01T00:00:00.000Z", name="second version")
            self.assertEqual(n.post_envelope("arrests", [a, b, a2], user="ana").status_code, 202)
            n.stop()
            rows = json.loads(n.cli("holdings", n.dir, "--json").stdout)["holdings"]
            self.assertEqual(rows, [{"collection": cid, "title": "Arrests", "mirror_of": None, "originator": "SSPC",
                                     "party": "MX", "objects": 2, "versions": 3}])
            text = n.cli("holdings", n.dir).stdout.splitlines()
            self.assertEqual(len(text), 2, text)
            self.assertEqual(text[0].split(), ["COLLECTION", "SOURCE", "ORIGINATOR", "PARTY", "OBJECTS", "VERSIONS"])
            self.assertEqual(text[1].split(), ["Arrests", "own", "SSPC", "MX", "2", "3"])
            self.assertFails(run(["holdings"]), (2,), "no DIR")
            self.assertFails(run(["holdings", n.dir + "-missing"]), (1,), "no node")
        finally:
            n.cleanup()


if __name__ == "__main__":
    en.main()
