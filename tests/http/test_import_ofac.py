#!/usr/bin/python3
"""`enlace import ofac-sdn` against a real node (issue 5 must-have 5): the committed slice of the
2021 list then the 2024 list into one collection, read back over TAXII with match[version]=all:
deterministic ids, one new version per changed object, nothing twice, created kept; re-importing
the same list adds nothing; the import is one audited change; odd records are warned about with
their line number; usage errors. With ../shared/data/ofac-sdn present, the full 2021 set and the
2024 sdn.csv as well."""
import collections
import json
import os
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402

NS = uuid.UUID("73f9bb21-454e-4e93-8258-c4968d1658dd")
TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
D2021 = "2021-04-25T00:00:00.000Z"
D2024 = "2024-05-03T00:00:00.000Z"


def ofac_id(ent, kind):
    return "%s--%s" % (kind, uuid.uuid5(NS, "ofac-sdn:%d:%s" % (ent, kind)))


def slice_files(date):
    d = os.path.join(en.repo_data_dir(), "ofac-sdn", date)
    return [os.path.join(d, f) for f in ("sdn.csv", "add.csv", "alt.csv") if os.path.isfile(os.path.join(d, f))]


class ImportNode:
    """A node with collection 'ofac' and an analyst of its own organization who reads it."""

    def __init__(self):
        self.node = en.Node("US", "DEA")
        self.coll = self.node.create_collection("OFAC SDN", alias="ofac")
        self.node.add_user("ana", role="analyst")
        self.node.grant(self.coll, "ana", read=True, write=False)
        self.node.start()

    def imp(self, files, date, *extra, check=True):
        r = self.node.cli("import", "ofac-sdn", self.node.dir, "--collection", "ofac", *files,
                          "--list-date", date, "--json", *extra, check=check)
        return (json.loads(r.stdout) if r.returncode == 0 else None), r

    def versions(self):
        """Every (id, version) the collection serves, as ana, with match[version]=all."""
        objs, _ = self.node.get_all(self.node.objects_path(self.coll), user="ana",
                                    params=[("match[version]", "all")], limit=1000)
        return objs


class TestImportSlice(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = ImportNode()

    @classmethod
    def tearDownClass(cls):
        cls.n.node.cleanup()

    def test_both_dates(self):
        n = self.n
        a, r = n.imp(slice_files("2021-04"), "2021-04-25")
        # data/ofac-sdn/PROVENANCE.md: 430 individuals, 284 entities, one address each
        self.assertEqual((a["individuals"], a["entities"], a["locations"], a["threat_actors"], a["relationships"]),
                         (430, 284, 284, 8, 694))
        self.assertEqual((a["new"], a["versions"], a["unchanged"], a["refused"]), (1700, 0, 0, 0))
        # three remarks cut at 1,000 characters leave a Linked To unresolved: warned with the line
        self.assertEqual(a["warnings"], 3)
        self.assertIn("sdn.csv:278: warning: ent_num 12300: Linked To: PROMO RAI", r.stderr)
        # the same list again: nothing new
        b, _ = n.imp(slice_files("2021-04"), "2021-04-25")
        self.assertEqual((b["new"], b["versions"], b["unchanged"], b["refused"]), (0, 0, 1700, 0))
        # the newer list (sdn.csv only): new designations and new versions, no duplicates
        c, _ = n.imp(slice_files("2024-05-03"), "2024-05-03")
        self.assertEqual((c["individuals"], c["entities"], c["threat_actors"]), (522, 263, 10))
        self.assertEqual((c["new"], c["versions"], c["unchanged"], c["refused"]), (199, 17, 861, 0))
        d, _ = n.imp(slice_files("2024-05-03"), "2024-05-03")
        self.assertEqual((d["new"], d["versions"], d["refused"]), (0, 0, 0))
        # an older list after a newer one cannot rewrite history: the changed objects are refused
        e, r = n.imp(slice_files("2021-04"), "2021-04-25")
        self.assertEqual((e["new"], e["versions"]), (0, 0))
        self.assertEqual(e["refused"], 17)
        self.assertIn("which is not older than this list", r.stderr)

        objs = n.versions()
        pairs = [(o["id"], o["modified"]) for o in objs]
        self.assertEqual(len(pairs), len(set(pairs)), "a version served twice")
        by_id = collections.defaultdict(list)
        for o in objs:
            by_id[o["id"]].append(o)
        self.assertEqual(len(objs), 1700 + 199 + 17)
        self.assertEqual(len(by_id), 1700 + 199)
        twice = {i: v for i, v in by_id.items() if len(v) == 2}
        self.assertEqual(len(twice), 17)
        for i, vs in twice.items():
            self.assertEqual(sorted(v["modified"] for v in vs), [D2021, D2024])
            self.assertEqual({v["created"] for v in vs}, {D2021}, "created must stay the first list's date")
        for o in objs:
            self.assertEqual(o["object_marking_refs"], [TLP_CLEAR])
            self.assertEqual(o["created_by_ref"], n.node.identity_id)
            # created: the date of the first list the id was seen in
            self.assertEqual(o["created"], min(v["modified"] for v in by_id[o["id"]]))
        # deterministic ids: SINALOA CARTEL (ent_num 11440), identity and threat-actor, versioned
        sinaloa = by_id[ofac_id(11440, "identity")]
        self.assertEqual(len(sinaloa), 2)
        latest = max(sinaloa, key=lambda o: o["modified"])
        self.assertEqual(latest["name"], "SINALOA CARTEL")
        self.assertEqual(latest["x_ofac_programs"], ["SDNTK", "ILLICIT-DRUGS-EO14059"])
        # the 2024 file has no alt.csv: the aliases of the stored version are kept, the new ones added
        self.assertEqual(latest["x_ofac_aliases"], ["ALLIANCE", "FEDERATION", "MEXICAN FEDERATION", "GUADALAJARA CARTEL"])
        ta = by_id[ofac_id(11440, "threat-actor")]
        self.assertEqual(max(ta, key=lambda o: o["modified"])["threat_actor_types"], ["crime-syndicate"])
        # a Linked To relationship between two kept rows resolves to the deterministic ids
        rels = [o for o in objs if o["type"] == "relationship" and o["relationship_type"] == "related-to"]
        self.assertTrue(rels)
        targets = {o["target_ref"] for o in rels}
        self.assertIn(ofac_id(17671, "identity"), targets)  # CARTEL DE JALISCO NUEVA GENERACION
        for o in objs:
            if o["type"] == "relationship":
                self.assertIn(o["source_ref"], by_id)
                self.assertIn(o["target_ref"], by_id)

        # one audited admin change per import that stored something (three of the five)
        r = n.node.cli("audit", "show", n.node.dir, "--action", "import-ofac-sdn", "--json")
        entries = [json.loads(l)["entry"] for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(len(entries), 2)
        self.assertEqual(len(entries[0]["objects"]), 1700)
        self.assertEqual(len(entries[1]["objects"]), 199 + 17)
        self.assertIn(["identity--" + str(uuid.uuid5(NS, "ofac-sdn:11440:identity")), D2024], entries[1]["objects"])


class TestImportOptions(unittest.TestCase):
    def setUp(self):
        self.n = ImportNode()
        self.tmp = tempfile.mkdtemp(prefix="enlace-ofac-")

    def tearDown(self):
        self.n.node.cleanup()

    def test_tlp_and_program(self):
        a, _ = self.n.imp(slice_files("2021-04")[:1], "2021-04-25", "--tlp", "amber", "--program", "SDNTK")
        self.assertEqual(a["locations"], 0)
        objs = self.n.versions()
        self.assertEqual(len(objs), a["new"])
        self.assertTrue(all(o["object_marking_refs"] == [TLP_AMBER] for o in objs))

    def test_odd_file(self):
        p = os.path.join(self.tmp, "sdn.csv")
        with open(p, "wb") as f:
            f.write(b'1,"GOOD CARTEL",-0- ,"SDNTK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
                    b'2,"BAD \xff BYTE","individual","SDNTK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
                    b'3,"SHORT"\r\n'
                    b'x,"NO NUMBER",-0- ,"SDNTK"\r\n\x1a')
        a, r = self.n.imp([p], "2024-01-02")
        self.assertEqual(r.returncode, 0)
        self.assertIn("sdn.csv:2: warning: control bytes or ill-formed UTF-8 replaced", r.stderr)
        self.assertIn("sdn.csv:3: warning: 2 fields, expected 12", r.stderr)
        self.assertIn("sdn.csv:4: warning: ent_num 'x' is not a positive number; row skipped", r.stderr)
        self.assertEqual((a["individuals"], a["entities"], a["threat_actors"]), (1, 1, 1))
        names = {o["name"] for o in self.n.versions() if o["type"] == "identity"}
        self.assertEqual(names, {"GOOD CARTEL", "BAD ? BYTE"})

    def test_usage(self):
        node = self.n.node
        sdn = slice_files("2021-04")[0]
        r = node.cli("import", "ofac-sdn", node.dir, sdn, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--collection ID is required", r.stderr)
        r = node.cli("import", "ofac-sdn", node.dir, "--collection", "nope", sdn, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no collection 'nope'", r.stderr)
        r = node.cli("import", "ofac-sdn", node.dir, "--collection", "ofac", sdn, "--list-date", "2021-13-01",
                     check=False)
        self.assertEqual(r.returncode, 2)
        r = node.cli("import", "ofac-sdn", node.dir, "--collection", "ofac", "/nonexistent/sdn.csv",
                     "--list-date", "2021-01-01", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read /nonexistent/sdn.csv", r.stderr)
        r = node.cli("import", "ofac-sdn", node.dir, "--collection", "ofac", sdn, "--tlp", "purple", check=False)
        self.assertEqual(r.returncode, 2)
        r = node.cli("import", "nothing", node.dir, check=False)
        self.assertEqual(r.returncode, 2)
        r = node.cli("import", "ofac-sdn", "--help")
        self.assertIn("usage: enlace import ofac-sdn", r.stdout)
        self.assertEqual(self.n.versions(), [])


class TestImportFull(unittest.TestCase):
    """The full 2021 set then the 2024 sdn.csv (../shared/data/ofac-sdn)."""

    def test_full(self):
        shared = en.shared_data_dir()
        base = os.path.join(shared, "ofac-sdn") if shared else None
        if not base or not os.path.isdir(base):
            self.skipTest("../shared/data/ofac-sdn is not present")
        n = ImportNode()
        try:
            full21 = [os.path.join(base, "2021-04-complete-set", f) for f in ("sdn.csv", "add.csv", "alt.csv")]
            a, _ = n.imp(full21, "2021-04-25")
            # SDNTK: 1,813 rows in 2021, one an aircraft (no identity)
            self.assertEqual(a["individuals"] + a["entities"], 1812)
            self.assertEqual(a["refused"], 0)
            c, _ = n.imp([os.path.join(base, "2024-05-03-sdn-only", "sdn.csv")], "2024-05-03")
            # narcotics rows in 2024: 1,714, the same aircraft among them
            self.assertEqual(c["individuals"] + c["entities"], 1713)
            self.assertGreater(c["versions"], 0)
            self.assertGreater(c["new"], 0)
            self.assertEqual(c["refused"], 0)
            d, _ = n.imp([os.path.join(base, "2024-05-03-sdn-only", "sdn.csv")], "2024-05-03")
            self.assertEqual((d["new"], d["versions"]), (0, 0))
            objs = n.versions()
            pairs = {(o["id"], o["modified"]) for o in objs}
            self.assertEqual(len(pairs), len(objs))
            self.assertEqual(len(objs), a["new"] + c["new"] + c["versions"])
            self.assertEqual(len({o["id"] for o in objs}), a["new"] + c["new"])
        finally:
            n.node.cleanup()


if __name__ == "__main__":
    en.main()
