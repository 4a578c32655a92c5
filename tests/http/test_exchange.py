#!/usr/bin/python3
"""test_exchange.py - the main job's three-node exchange (scripts/exchange.py: MX, US, GT on
127.0.0.1, cast of SCENARIO.md) as an automated test (issue 5 must-have 7).

It drives the exchange step by step with the same code the demo runs, and after each sync round
reads every node's store (read-only SQLite) and asserts EXACTLY which (id, version) pairs each
node holds in each mirror collection, and which mirrors exist. The expected sets are computed here
from data/exchange/*.json and the agreements with the policy rules of docs/policy.md (rules 3-6),
independently of the nodes; only the OFAC designations' ids come from the US node's own
collection (they are made by the importer), and every partner must hold all of them. Then
re-sync idempotence: more --once rounds add, remove and restart nothing.
"""

import os
import sqlite3
import sys
import tempfile
import shutil
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402

sys.path.insert(0, os.path.join(en.src_dir(), "scripts"))
import exchange as xc  # noqa: E402

TLP_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
}
RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}

# (serving party, collection alias) -> {partner party: agreement's max TLP}: the exchange's
# agreements, written out here rather than read back from the nodes
AGREEMENTS = {
    ("US", "liaison"): {"MX": "amber"},
    ("US", "designations"): {"MX": "clear", "GT": "clear"},
    ("MX", "arrests"): {"US": "green", "GT": "green"},
    ("MX", "us-liaison"): {"GT": "amber"},
}


def tlp_of(o, default="amber"):
    levels = [TLP_IDS[r] for r in o.get("object_marking_refs", []) if r in TLP_IDS]
    return max(levels, key=RANK.get) if levels else default


def may_pull(puller, node_party, orig_party, max_tlp, o, vets):
    """docs/policy.md rules 3-6 for a partner node `puller` pulling object o, originated by
    orig_party, from the node of node_party under an agreement up to max_tlp. vets: set of
    (vetting party, vetted organization's party)."""
    tlp = tlp_of(o)
    ext = (o.get("extensions") or {}).get(xc.EXT) or {}
    rel = ext.get("releasable_to")
    if RANK[tlp] > RANK[max_tlp]:                                   # rule 3
        return False
    if tlp == "green":                                              # rule 4
        ok = puller == orig_party or rel is None or puller in rel
    elif tlp == "amber":
        ok = puller == orig_party or (rel is not None and puller in rel)
    else:
        ok = tlp == "clear"
    if not ok:
        return False
    if ext.get("vetted_only") and (orig_party, puller) not in vets:  # rule 5
        return False
    if node_party != orig_party and tlp != "clear":                 # rule 6 (relay)
        if ext.get("orcon") or rel is None or puller not in rel:
            return False
    return True


def store_pairs(node, alias):
    """{(id, version)} stored in collection alias of node (read-only SQLite); an SCO without
    timestamps has version ''."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(node.dir, "enlace.db"), uri=True, timeout=30)
    try:
        rows = db.execute("SELECT o.id, o.version, o.sco_nv FROM object o JOIN collection c ON c.rowid = o.coll "
                          "WHERE c.alias = ?", (alias,)).fetchall()
    finally:
        db.close()
    return {(i.lower(), "" if nv else xc.norm_ts(v)) for i, v, nv in rows}


def mirror_aliases(node):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(node.dir, "enlace.db"), uri=True, timeout=30)
    try:
        return {a for (a,) in db.execute("SELECT c.alias FROM mirror m JOIN collection c ON c.rowid = m.coll")}
    finally:
        db.close()


class TestExchange(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="enlace-exchange-")
        cls.log = []
        cls.x = xc.Exchange(en.enlace_bin(), cls.work, say=cls.log.append, data=en.repo_data_dir())

    @classmethod
    def tearDownClass(cls):
        cls.x.stop_all()
        shutil.rmtree(cls.work, ignore_errors=True)

    def file_objs(self, key):
        return self.x.objs[key]

    def expected(self, vets):
        """mirror alias per node -> expected {(id, version)}."""
        x = self.x
        src = {("US", "liaison"): ("US", self.file_objs("us-lab-surveillance") + self.file_objs("us-vetted-lead")
                                   + self.file_objs("us-border-advisory")),
               ("MX", "arrests"): ("MX", self.file_objs("mx-arrest-report"))}
        designations = store_pairs(x.us, "designations")
        self.assertGreater(len(designations), 100, "US imported the OFAC slice")
        exp = {"MX": {}, "US": {}, "GT": {}}
        for (node_party, alias), (orig, objs) in src.items():
            for puller, max_tlp in AGREEMENTS[(node_party, alias)].items():
                exp[puller]["%s-%s" % (node_party.lower(), alias)] = xc.pairs(
                    [o for o in objs if may_pull(puller, node_party, orig, max_tlp, o, vets)])
        for puller in AGREEMENTS[("US", "designations")]:
            exp[puller]["us-designations"] = designations
        # GT pulls MX's mirror of US's liaison collection: what MX holds, relayed under rule 6
        mx_liaison = exp["MX"]["us-liaison"]
        relay = [o for o in src[("US", "liaison")][1] if xc.pairs([o]) <= mx_liaison
                 and may_pull("GT", "MX", "US", AGREEMENTS[("MX", "us-liaison")]["GT"], o, vets)]
        exp["GT"]["mx-us-liaison"] = xc.pairs(relay)
        return exp

    def assertHoldings(self, vets, when):
        exp = self.expected(vets)
        for n in self.x.nodes:
            self.assertEqual(mirror_aliases(n), set(exp[n.party]), "%s: %s's mirrors" % (when, n.party))
            for alias, pairs in exp[n.party].items():
                self.assertEqual(store_pairs(n, alias), pairs, "%s: %s's mirror %s" % (when, n.party, alias))
        return exp

    def test_exchange(self):
        x = self.x
        x.setup()
        x.wire()
        x.load()
        # the data as posted: the originators' own collections hold exactly the files
        self.assertEqual(store_pairs(x.us, "liaison"),
                         xc.pairs(self.file_objs("us-lab-surveillance") + self.file_objs("us-vetted-lead")
                                  + self.file_objs("us-border-advisory")))
        self.assertEqual(store_pairs(x.mx, "arrests"), xc.pairs(self.file_objs("mx-arrest-report")))
        # two OFAC list dates, older then newer: the newer one versions objects, never duplicates
        self.assertEqual(len(x.imports), 2, "the slice holds two list dates")
        self.assertGreater(x.imports[1]["versions"], 0, x.imports[1])
        self.assertGreater(x.imports[1]["unchanged"], 0, x.imports[1])
        desig = store_pairs(x.us, "designations")
        self.assertEqual(len(desig) - len({i for i, _ in desig}), x.imports[1]["versions"])

        x.sync_round("first")
        x.offer_relay()
        x.sync_once(x.gt, "relay")
        exp1 = self.assertHoldings(set(), "after the first round (no vetting yet)")
        lead = xc.pairs(self.file_objs("us-vetted-lead"))
        self.assertFalse(lead & exp1["MX"]["us-liaison"], "the vetted-only lead must wait for a vetting")
        self.assertEqual(len(exp1["MX"]["us-liaison"]), 9, "the 7 lab observation versions and the 2 advisories")
        self.assertEqual(len(exp1["US"]["mx-arrests"]), 4)
        self.assertEqual(len(exp1["GT"]["mx-arrests"]), 1, "GT: only the CLEAR cartel")
        self.assertEqual({i.split("--")[0] for i, _ in exp1["GT"]["mx-us-liaison"]}, {"note"},
                         "relayed to GT: the advisory without ORCON only")

        x.liaison_and_grants()
        x.vet_uin7()
        x.worker_pass()
        vets = {("US", "MX")}
        exp2 = self.assertHoldings(vets, "after the vetting and MX's worker pass")
        self.assertTrue(lead <= exp2["MX"]["us-liaison"])

        x.sync_round("second")
        self.assertHoldings(vets, "after the second round")
        for label, party, j, text in x.sync_results:
            if label != "second":
                continue
            self.assertIsNotNone(j, "sync --json of %s printed JSON: %r" % (party, text[:300]))
            for p in x.partner_reports(j):
                self.assertTrue(p.get("ok", True), p)
                for m in p.get("mirrors") or []:
                    self.assertEqual(m.get("added"), 0, "%s: second round: %r" % (party, m))
                    self.assertFalse(m.get("restarted"), "%s: second round restarted: %r" % (party, m))
                    self.assertFalse(m.get("swept"), "%s: second round swept: %r" % (party, m))

        x.sync_round("third")
        self.assertHoldings(vets, "after the third round")

        x.check_reads()
        x.check_trust()
        self.assertEqual(x.failures, [], "\n".join(self.log[-60:]))


if __name__ == "__main__":
    en.main()
