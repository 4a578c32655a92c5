"""test_cli_policy.py - the originator-control admin commands (issue 3): party, org (vet, unvet),
user with organization and roles, agreement, collection default TLP, review and purge.

Each command: success with its documented --json shape, bad input exits 2 with one line on
stderr, a missing thing exits 1 with one line; and where a command changes what a principal may
read, that change is checked over HTTP (a liaison sees an unmarked object only under a CLEAR
default; a purged id is gone and never taken in again).
"""

import json
import os
import re
import sys
import unittest
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TaxiiAsserts, indicator, run  # noqa: E402

HANDLING = "extension-definition--c05bc01b-2963-4d49-a373-a33e30f35e95"
MS_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def stix_ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def with_review(obj, when):
    """obj with the enlace handling extension carrying review_by = when (a datetime)."""
    obj["extensions"] = {HANDLING: {"extension_type": "property-extension", "review_by": stix_ts(when)}}
    return obj


class CliAsserts(TaxiiAsserts):

    def assertFails(self, r, codes, what=""):
        self.assertIn(r.returncode, codes, "%s: exit %d, expected one of %s\nstdout: %s\nstderr: %s"
                      % (what, r.returncode, codes, r.stdout, r.stderr))
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "%s: expected a one-line message on stderr, got %r" % (what, r.stderr))
        self.assertTrue(lines[0].startswith("enlace "), "%s: %r" % (what, lines[0]))
        return lines[0]

    def json_of(self, *args, input=None):
        r = run(list(args), input=input)
        self.assertEqual(r.returncode, 0, "enlace %s -> %d: %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
        return json.loads(r.stdout)


class TestWhoIsWho(CliAsserts, unittest.TestCase):
    """party, org, vet/unvet, user with organization and roles, on an MX node (SSPC)."""

    @classmethod
    def setUpClass(cls):
        cls.node = en.Node(party="MX", org="SSPC")

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def test_party(self):
        n = self.node
        j = self.json_of("party", "add", n.dir, "US", "--name", "United States", "--json")
        self.assertEqual(j, {"code": "US", "name": "United States", "self": False})
        # again without --name keeps the name; text mode says something
        r = n.cli("party", "add", n.dir, "US")
        self.assertIn("US", r.stdout)
        j = self.json_of("party", "add", n.dir, "GT", "--json")
        self.assertEqual(j, {"code": "GT", "name": None, "self": False})
        j = self.json_of("party", "list", n.dir, "--json")
        self.assertEqual(set(j), {"parties"})
        ps = j["parties"]
        self.assertEqual(ps[0]["code"], "MX", "the node's own party comes first")
        self.assertIs(ps[0]["self"], True)
        byc = {p["code"]: p for p in ps}
        self.assertEqual(byc["US"], {"code": "US", "name": "United States", "self": False})
        self.assertEqual(len(ps), len(byc), "each party once")
        for p in ps:
            self.assertEqual(set(p), {"code", "name", "self"})
        self.assertIn("GT", n.cli("party", "list", n.dir).stdout)
        for bad in ("us", "USA", "U", "U1", ""):
            self.assertFails(run(["party", "add", n.dir, bad]), (2,), "party add %r" % bad)
        self.assertFails(run(["party", "add", n.dir]), (2,), "party add without CODE")
        self.assertFails(run(["party", "add", n.dir, "CA", "--name", "x\ny"]), (2,), "name with a newline")
        self.assertFails(run(["party", "frob", n.dir]), (2,), "unknown subcommand")
        self.assertFails(run(["party", "list", "/nonexistent/node"]), (1,), "no such node")

    def test_org_add_and_list(self):
        n = self.node
        j = self.json_of("org", "add", n.dir, "UIN-7", "--description", "navy intelligence unit", "--json")
        self.assertEqual(set(j), {"name", "identity_id", "party", "self", "vouched"})
        self.assertEqual((j["name"], j["party"], j["self"], j["vouched"]), ("UIN-7", "MX", False, True),
                         "an organization of the node's own party is vouched for")
        self.assertRegex(j["identity_id"], r"^identity--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        dea_id = "identity--%s" % uuid.uuid4()
        j = self.json_of("org", "add", n.dir, "DEA-org", "--party", "US", "--identity", dea_id, "--json")
        self.assertEqual(j, {"name": "DEA-org", "identity_id": dea_id, "party": "US", "self": False, "vouched": False},
                         "another party's organization is known, not vouched, and keeps the given identity")
        orgs = n.orgs()
        self.assertIs(orgs["SSPC"]["self"], True)
        self.assertEqual(orgs["SSPC"]["identity_id"], n.identity_id, "init's organization is the node's own")
        self.assertEqual(list(orgs)[0], "SSPC", "the node's own organization comes first")
        for o in orgs.values():
            self.assertEqual(set(o), {"name", "identity_id", "party", "self", "vouched", "created", "vettings"})
            self.assertRegex(o["created"], MS_TS_RE)
        self.assertIn("US", [p["code"] for p in self.json_of("party", "list", n.dir, "--json")["parties"]],
                      "org add records a new party")
        self.assertIn("UIN-7", n.cli("org", "list", n.dir).stdout)
        # failures and usage errors
        self.assertFails(run(["org", "add", n.dir, "UIN-7"]), (1,), "name taken")
        self.assertFails(run(["org", "add", n.dir, "Other", "--identity", dea_id]), (1,), "identity taken")
        self.assertFails(run(["org", "add", n.dir, "X1", "--party", "usa"]), (2,), "bad party")
        self.assertFails(run(["org", "add", n.dir, "X2", "--identity", "indicator--%s" % uuid.uuid4()]), (2,),
                         "identity of another type")
        self.assertFails(run(["org", "add", n.dir, "X3", "--identity", "identity--1234"]), (2,), "malformed identity")
        self.assertFails(run(["org", "add", n.dir, "identity--%s" % uuid.uuid4()]), (2,), "name shaped as an id")
        self.assertFails(run(["org", "add", n.dir, "x" * 128]), (2,), "name too long")
        self.assertFails(run(["org", "add", n.dir]), (2,), "missing NAME")
        self.assertFails(run(["org", "add", n.dir, "X4", "--until", "2030-01-01"]), (2,), "--until on add")
        self.assertFails(run(["org", "list", "/nonexistent/node"]), (1,), "no such node")

    def test_vet_unvet(self):
        n = self.node
        n.add_org("HSI", party="US")
        n.add_org("FGR")
        j = n.vet("HSI", "2030-06-30")
        self.assertEqual(set(j), {"org", "identity_id", "party", "by", "until", "expired"})
        self.assertEqual((j["org"], j["party"], j["by"], j["expired"]), ("HSI", "US", "MX", False))
        self.assertEqual(j["until"], "2030-07-01T00:00:00.000Z", "a date means through the end of that day (UTC)")
        j = n.vet("HSI", "2030-06-30T12:00:00+02:00")
        self.assertEqual(j["until"], "2030-06-30T10:00:00.000Z", "an RFC 3339 instant with an offset, in UTC")
        hsi = n.orgs()["HSI"]
        self.assertEqual(hsi["vettings"], [{"by": "MX", "until": "2030-06-30T10:00:00.000Z", "expired": False}],
                         "vetting again replaces the earlier one")
        j = n.vet(hsi["identity_id"], "2001-01-01T00:00:00Z")
        self.assertIs(j["expired"], True, "a past date is recorded as expired (tests of expiry need it)")
        self.assertIs(n.orgs()["HSI"]["vettings"][0]["expired"], True)
        self.assertIn("HSI", n.cli("org", "list", n.dir).stdout)
        # the vetting party is the node's own: an MX unit is refused
        msg = self.assertFails(run(["org", "vet", n.dir, "FGR", "--until", "2030-01-01"]), (2,), "vet own party's org")
        self.assertIn("MX", msg)
        self.assertFails(run(["org", "vet", n.dir, "SSPC", "--until", "2030-01-01"]), (2,), "vet the node's org")
        for bad in ("2030-02-30", "2030-13-01", "tomorrow", "2030-1-1", "2030-06-30T12:00:00", "2030-06-30 12:00:00Z",
                    "2030-06-30T25:00:00Z", ""):
            self.assertFails(run(["org", "vet", n.dir, "HSI", "--until", bad]), (2,), "--until %r" % bad)
        self.assertFails(run(["org", "vet", n.dir, "HSI"]), (2,), "vet without --until")
        self.assertFails(run(["org", "vet", n.dir, "NOPE", "--until", "2030-01-01"]), (1,), "vet unknown org")
        r = n.cli("org", "unvet", n.dir, "HSI")
        self.assertIn("HSI", r.stdout)
        self.assertEqual(n.orgs()["HSI"]["vettings"], [])
        self.assertFails(run(["org", "unvet", n.dir, "HSI"]), (1,), "unvet twice")
        self.assertFails(run(["org", "unvet", n.dir, "NOPE"]), (1,), "unvet unknown org")

    def test_users_orgs_roles(self):
        n = self.node
        n.add_org("DEA", party="US")
        n.add_org("UIN-7b")
        # the scenario's cast: an SSPC analyst (default org), a UIN-7 approver, a DEA liaison
        j = self.json_of("user", "add", n.dir, "ana.ruiz", "--password", "pw-ana-ruiz-1", "--json")
        self.assertEqual(j, {"user": "ana.ruiz", "roles": ["analyst"], "org": "SSPC", "party": "MX"})
        j = self.json_of("user", "add", n.dir, "luis.mora", "--org", "UIN-7b", "--role", "approver",
                         "--password", "pw-luis-mora-1", "--json")
        self.assertEqual(j, {"user": "luis.mora", "roles": ["approver"], "org": "UIN-7b", "party": "MX"})
        j = self.json_of("user", "add", n.dir, "kate.doyle", "--org", "DEA", "--role", "liaison", "--json")
        self.assertEqual((j["roles"], j["org"], j["party"]), (["liaison"], "DEA", "US"))
        self.assertGreaterEqual(len(j["password"]), 12, "a generated password is printed once")
        j = self.json_of("user", "add", n.dir, "multi", "--role", "analyst,approver", "--password", "pw-multi-12",
                         "--json")
        self.assertEqual(sorted(j["roles"]), ["analyst", "approver"])
        users = {u["name"]: u for u in self.json_of("user", "list", n.dir, "--json")["users"]}
        self.assertEqual(set(users["kate.doyle"]), {"name", "roles", "org", "party", "disabled", "created"})
        self.assertEqual((users["kate.doyle"]["org"], users["kate.doyle"]["party"]), ("DEA", "US"))
        self.assertEqual(users["admin"]["roles"], ["admin"])
        text = n.cli("user", "list", n.dir).stdout
        self.assertIn("liaison", text)
        self.assertIn("DEA", text)
        # roles must fit the organization: a liaison is another party's officer, analysts ours
        self.assertFails(run(["user", "add", n.dir, "bad.l", "--role", "liaison", "--password", "pw-pw-pw-pw"]),
                         (2,), "liaison of the node's own organization")
        self.assertFails(run(["user", "add", n.dir, "bad.a", "--org", "DEA", "--role", "analyst",
                              "--password", "pw-pw-pw-pw"]), (2,), "analyst of another party's organization")
        self.assertFails(run(["user", "add", n.dir, "bad.r", "--role", "analyst,emperor", "--password", "pw-pw-pw-pw"]),
                         (2,), "unknown role in a list")
        self.assertFails(run(["user", "add", n.dir, "bad.o", "--org", "NOPE", "--password", "pw-pw-pw-pw"]),
                         (1,), "unknown organization")
        self.assertFails(run(["user", "add", n.dir, "bad.e", "--org", "", "--password", "pw-pw-pw-pw"]),
                         (2,), "empty organization")


class TestAgreementsAndDefaultTlp(CliAsserts, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node(party="MX", org="SSPC")
        n.add_org("DEA", party="US")
        n.add_user("ana.ruiz")
        n.add_user("kate.doyle", role="liaison", org="DEA")
        cls.c = n.create_collection("Shared", alias="shared")
        for u in ("ana.ruiz", "kate.doyle"):
            n.grant(cls.c, u, read=True, write=(u == "ana.ruiz"))
        n.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def test_agreements(self):
        n = self.node
        j = n.agreement("US", "shared", max_tlp="amber")
        self.assertEqual(j, {"partner": "US", "collection": self.c, "alias": "shared", "max_tlp": "amber"})
        j = n.agreement("US", self.c, max_tlp="GREEN")
        self.assertEqual(j["max_tlp"], "green", "set again replaces; level names are case-insensitive")
        j = n.agreement("GT", "shared")
        self.assertEqual(j["max_tlp"], "red", "default: no cap beyond the markings")
        ag = self.json_of("agreement", "list", n.dir, "--json")
        self.assertEqual(set(ag), {"agreements"})
        by = {a["partner"]: a for a in ag["agreements"]}
        self.assertEqual(len(ag["agreements"]), 2, ag)
        self.assertEqual(set(by["US"]), {"partner", "collection", "alias", "max_tlp", "created"})
        self.assertEqual((by["US"]["collection"], by["US"]["alias"], by["US"]["max_tlp"]), (self.c, "shared", "green"))
        self.assertRegex(by["US"]["created"], MS_TS_RE)
        self.assertIn("GT", [p["code"] for p in self.json_of("party", "list", n.dir, "--json")["parties"]],
                      "an agreement with a new party records the party")
        self.assertIn("shared", n.cli("agreement", "list", n.dir).stdout)
        # errors
        self.assertFails(run(["agreement", "set", n.dir, "--partner", "MX", "--collection", "shared"]), (2,),
                         "agreement with the node's own party")
        self.assertFails(run(["agreement", "set", n.dir, "--partner", "US", "--collection", "shared",
                              "--max-tlp", "purple"]), (2,), "bad TLP")
        self.assertFails(run(["agreement", "set", n.dir, "--partner", "US", "--collection", "shared",
                              "--max-tlp", "none"]), (2,), "none is not a cap")
        self.assertFails(run(["agreement", "set", n.dir, "--partner", "usa", "--collection", "shared"]), (2,),
                         "bad partner code")
        self.assertFails(run(["agreement", "set", n.dir, "--collection", "shared"]), (2,), "no partner")
        self.assertFails(run(["agreement", "set", n.dir, "--partner", "US"]), (2,), "no collection")
        self.assertFails(run(["agreement", "set", n.dir, "--partner", "US", "--collection", "nope"]), (1,),
                         "unknown collection")
        n.remove_agreement("GT", "shared")
        ag = self.json_of("agreement", "list", n.dir, "--json")["agreements"]
        self.assertEqual([a["partner"] for a in ag], ["US"])
        self.assertFails(run(["agreement", "remove", n.dir, "--partner", "GT", "--collection", "shared"]), (1,),
                         "remove twice")

    def test_default_tlp(self):
        n = self.node
        j = self.json_of("collection", "create", n.dir, "--title", "Public", "--default-tlp", "clear", "--json")
        self.assertEqual(j["default_tlp"], "clear")
        pub = j["id"]
        self.assertFails(run(["collection", "create", n.dir, "--title", "X", "--default-tlp", "purple"]), (2,),
                         "bad default TLP")
        self.assertFails(run(["collection", "set", n.dir, pub, "--default-tlp", "purple"]), (2,), "bad level on set")
        self.assertFails(run(["collection", "set", n.dir, pub]), (2,), "set without --default-tlp")
        self.assertFails(run(["collection", "set", n.dir, "nope", "--default-tlp", "clear"]), (1,),
                         "set on an unknown collection")
        for u in ("ana.ruiz", "kate.doyle"):
            n.grant(pub, u, read=True, write=(u == "ana.ruiz"))
        # an unmarked object of SSPC: CLEAR under the collection's default, so the US liaison
        # sees it; without a default it is AMBER and invisible to a party it was not released to
        o = indicator(1)
        r = n.post_envelope(pub, [o], user="ana.ruiz")
        self.assertStatusComplete(self.assertOk(r, 202), 1, 1, 0)
        path = "/api/collections/%s/objects/%s/" % (pub, o["id"])
        self.assertEqual(self.assertOk(n.get(path, user="kate.doyle"))["objects"][0]["id"], o["id"])
        n.cli("collection", "set", n.dir, pub, "--default-tlp", "none")
        self.assertError(n.get(path, user="kate.doyle"), 404)
        self.assertOk(n.get(path, user="ana.ruiz"))  # the originator always sees its own
        j = self.assertOk(n.get("/api/collections/%s/objects/" % pub, user="kate.doyle"))
        self.assertNotIn(o["id"], [x["id"] for x in j.get("objects", [])], "absent from listings too")
        n.set_default_tlp(pub, "green")
        self.assertError(n.get(path, user="kate.doyle"), 404)  # GREEN: US has no agreement on it
        n.set_default_tlp(pub, "CLEAR")
        self.assertOk(n.get(path, user="kate.doyle"))

    def test_admin_reads_no_objects(self):
        # the admin made by init manages the node but reads no objects (issue 3 "Who is who")
        n = self.node
        r = n.get("/api/collections/%s/objects/" % self.c, user=n.info["admin_user"])
        self.assertIn(r.status_code, (403, 404), r.text[:300])
        self.assertOk(n.get("/api/collections/%s/objects/" % self.c, user="ana.ruiz"))


class TestReviewPurge(CliAsserts, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node(party="MX", org="SSPC")
        n.add_user("ana.ruiz")
        cls.c = n.create_collection("Cases", alias="cases")
        n.grant(cls.c, "ana.ruiz")
        n.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def test_review_and_purge(self):
        n = self.node
        now = datetime.now(timezone.utc)
        overdue = with_review(indicator(1), now - timedelta(days=2))
        soon = with_review(indicator(2), now + timedelta(days=10))
        later = with_review(indicator(3), now + timedelta(days=100))
        never = indicator(4)
        st = self.assertOk(n.post_envelope(self.c, [overdue, soon, later, never], user="ana.ruiz"), 202)
        self.assertStatusComplete(st, 4, 4, 0)

        j = self.json_of("review", n.dir, "--json")
        self.assertEqual(set(j), {"now", "until", "objects"})
        items = {i["id"]: i for i in j["objects"]}
        self.assertEqual(set(items), {overdue["id"], soon["id"]}, "default: due within 30 days")
        self.assertEqual(set(items[overdue["id"]]),
                         {"id", "type", "collection", "originator", "review_by", "overdue"})
        self.assertEqual(items[overdue["id"]]["type"], "indicator")
        self.assertEqual(items[overdue["id"]]["collection"], self.c)
        self.assertEqual(items[overdue["id"]]["originator"], {"org": "SSPC", "party": "MX"})
        self.assertIs(items[overdue["id"]]["overdue"], True)
        self.assertIs(items[soon["id"]]["overdue"], False)
        self.assertEqual(items[soon["id"]]["review_by"], stix_ts(now + timedelta(days=10)))
        self.assertNotIn("pattern", json.dumps(j), "metadata only, never contents")
        self.assertEqual([i["id"] for i in j["objects"]], [overdue["id"], soon["id"]], "oldest first")
        j = self.json_of("review", n.dir, "--within", "200", "--json")
        self.assertEqual({i["id"] for i in j["objects"]}, {overdue["id"], soon["id"], later["id"]})
        j = self.json_of("review", n.dir, "--within", "0", "--json")
        self.assertEqual({i["id"] for i in j["objects"]}, {overdue["id"]})
        self.assertIn("overdue", n.cli("review", n.dir).stdout)
        for bad in ("-1", "abc", "", "36501", "1.5"):
            self.assertFails(run(["review", n.dir, "--within", bad]), (2,), "--within %r" % bad)
        self.assertFails(run(["review", n.dir, "--dry-run"]), (2,), "--dry-run is purge's")
        self.assertFails(run(["review", "/nonexistent/node"]), (1,), "no such node")

        # dry run: says what would go, changes nothing
        j = self.json_of("purge", n.dir, "--dry-run", "--json")
        self.assertEqual(set(j), {"dry_run", "purged", "count"})
        self.assertIs(j["dry_run"], True)
        self.assertEqual([p["id"] for p in j["purged"]], [overdue["id"]])
        self.assertEqual(j["count"], 1)
        self.assertIn(overdue["id"], n.cli("purge", n.dir, "--dry-run").stdout)
        path = "/api/collections/%s/objects/%s/" % (self.c, overdue["id"])
        self.assertOk(n.get(path, user="ana.ruiz"))  # the originator still sees it until purged

        j = self.json_of("purge", n.dir, "--json")
        self.assertIs(j["dry_run"], False)
        self.assertEqual([p["id"] for p in j["purged"]], [overdue["id"]])
        self.assertEqual(j["purged"][0]["originator"], {"org": "SSPC", "party": "MX"})
        self.assertEqual(j["count"], 1)
        self.assertError(n.get(path, user="ana.ruiz"), 404)
        self.assertNotIn(overdue["id"], {i["id"] for i in self.json_of("review", n.dir, "--json")["objects"]})
        # the tombstone keeps the id out for good, even with a later review date
        again = dict(overdue)
        again["modified"] = "2025-01-01T00:00:00.000Z"
        with_review(again, now + timedelta(days=365))
        st = self.assertOk(n.post_envelope(self.c, [again], user="ana.ruiz"), 202)
        self.assertStatusComplete(st, 1, 0, 1)
        self.assertError(n.get(path, user="ana.ruiz"), 404)
        # nothing else was touched
        for o in (soon, later, never):
            self.assertOk(n.get("/api/collections/%s/objects/%s/" % (self.c, o["id"]), user="ana.ruiz"))
        j = self.json_of("purge", n.dir, "--json")
        self.assertEqual((j["purged"], j["count"]), ([], 0), "a second purge finds nothing")
        self.assertIn("0 objects", n.cli("purge", n.dir).stdout)

        # eleven days on (the clock moved by ENLACE_CLOCK_OFFSET), the next one is due
        later_env = {"ENLACE_CLOCK_OFFSET": str(11 * 86400)}
        r = run(["purge", n.dir, "--json"], env=later_env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([p["id"] for p in json.loads(r.stdout)["purged"]], [soon["id"]])
        self.assertError(n.get("/api/collections/%s/objects/%s/" % (self.c, soon["id"]), user="ana.ruiz"), 404)
        self.assertFails(run(["purge", n.dir, "--within", "3"]), (2,), "--within is review's")
        self.assertFails(run(["purge", n.dir, "extra"]), (2,), "extra argument")


if __name__ == "__main__":
    en.main()
