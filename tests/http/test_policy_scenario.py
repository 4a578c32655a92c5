"""test_policy_scenario.py - originator control over HTTP with the scenario's cast (issue 3;
../shared/SCENARIO.md): what ana.ruiz (SSPC analyst), luis.mora (UIN-7 approver), kate.doyle
(DEA liaison), sam.price (HSI liaison here), a UIN-7 analyst, the US partner node and a GT partner
node each see of the same collections on the MX node, through objects, manifest, versions and
single GETs, with paging; who may write and delete; and the node's signed directory.

Vettings: a node records the vettings its own party makes (`enlace org vet`). On the MX node
that is MX vetting DEA (valid) and HSI (expired), which decides MX's vetted_only objects. "US
vets UIN-7" is recorded where the scenario makes it, on the US node (class UsNodeVetting): a
vetted_only object of US reaches the MX partner node because US vets one of MX's units, and not
GT's. (Relaying, rule 6, needs objects received from a partner node: issue 5.)
"""

import base64
import json
import os
import subprocess
import tempfile
import unittest

from enlace_node import Node, TaxiiAsserts, main, new_id

EXT = "extension-definition--c05bc01b-2963-4d49-a373-a33e30f35e95"
TLP2 = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1 = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
# Fixed identities, so both nodes of the exchange name each organization alike.
ID = {
    "UIN-7": "identity--7a1c0d52-3b6e-4f0a-8d2c-1e9f4b6a7c01",
    "FGR": "identity--0f5e2a3b-6c7d-4e8f-9a0b-1c2d3e4f5a02",
    "DEA": "identity--d3a0b1c2-4e5f-4a6b-8c7d-9e0f1a2b3c03",
    "HSI": "identity--b5c6d7e8-9f0a-4b1c-8d2e-3f4a5b6c7d04",
    "US-NODE": "identity--e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a05",
    "GT-NODE": "identity--a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c06",
    "SSPC": "identity--5c5c0000-1111-4222-8333-444455556607",
}
MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"


def obj(name, version="2026-01-01T00:00:00.000Z", tlp=None, oid=None, created_by=None, **handling):
    """A small indicator carrying the given TLP marking id and handling extension members."""
    o = {"type": "indicator", "spec_version": "2.1", "id": oid or new_id("indicator"),
         "created": "2026-01-01T00:00:00.000Z", "modified": version, "name": name,
         "pattern": "[domain-name:value = '%s.example']" % name.replace("_", "-"),
         "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
    if tlp:
        o["object_marking_refs"] = [tlp]
    if created_by:
        o["created_by_ref"] = created_by
    if handling:
        h = {"extension_type": "property-extension"}
        h.update(handling)
        o["extensions"] = {EXT: h}
    return o


def ids_of(items):
    return [o["id"] for o in items]


class Scenario(TaxiiAsserts):
    """Shared helpers: POST and read the status, list, page."""

    def post(self, node, coll, user, objects):
        r = node.post_envelope(coll, objects, user=user)
        st = self.assertOk(r, 202)
        return st

    def post_ok(self, node, coll, user, objects):
        st = self.post(node, coll, user, objects)
        self.assertEqual(st.get("failure_count"), 0, st)
        self.assertEqual(st.get("success_count"), len(objects), st)
        return st

    def listing(self, node, coll, user, what="objects", params=None, limit=None):
        key = "objects"
        path = "/api/collections/%s/%s/" % (coll, "manifest" if what == "manifest" else "objects")
        items, resps = node.get_all(path, user=user, params=params, key=key, limit=limit)
        return items, resps


class MxNode(Scenario, unittest.TestCase):
    """The MX node: SSPC's, with the cast's users and two partner nodes."""

    @classmethod
    def setUpClass(cls):
        n = cls.node = Node(party="MX", org="SSPC")
        n.add_org("UIN-7", identity=ID["UIN-7"])
        n.add_org("FGR", identity=ID["FGR"])
        n.add_org("DEA", party="US", identity=ID["DEA"])
        n.add_org("HSI", party="US", identity=ID["HSI"])
        n.add_org("US-NODE", party="US", identity=ID["US-NODE"])
        n.add_org("GT-NODE", party="GT", identity=ID["GT-NODE"])
        n.vet("DEA", "2099-12-31")
        n.vet("HSI", "2020-01-01")  # expired long ago
        n.add_user("ana.ruiz", role="analyst", org="SSPC")
        n.add_user("uin7.analyst", role="analyst", org="UIN-7")
        n.add_user("luis.mora", role="approver", org="UIN-7")
        n.add_user("kate.doyle", role="liaison", org="DEA")
        n.add_user("sam.price", role="liaison", org="HSI")
        n.add_user("us-node", role="partner", org="US-NODE")
        n.add_user("gt-node", role="partner", org="GT-NODE")
        cls.joint = n.create_collection("Joint targeting", alias="joint")
        cls.internal = n.create_collection("SSPC internal", alias="internal")
        cls.public = n.create_collection("Public designations", alias="public", default_tlp="clear")
        for coll in (cls.joint, cls.internal, cls.public):
            n.grant(coll, "ana.ruiz", read=True, write=True)
            n.grant(coll, "luis.mora", read=True, write=False)
            n.grant(coll, "kate.doyle", read=True, write=False)
            n.grant(coll, "admin", read=True, write=True)
        n.grant(cls.joint, "uin7.analyst", read=True, write=True)
        n.grant(cls.joint, "sam.price", read=True, write=False)
        # The liaison gets a write grant too: its role, not the grant, keeps it from writing.
        n.grant(cls.internal, "kate.doyle", read=True, write=True)
        n.agreement("US", "joint")
        n.agreement("GT", "joint", max_tlp="green")
        n.agreement("US", "public")
        n.start()
        cls.o = o = {}
        past = "2021-06-30T00:00:00.000Z"
        o["clear"] = obj("clear", tlp=TLP2["clear"])
        o["green"] = obj("green", tlp=TLP1["green"])
        o["green_us"] = obj("green_us", tlp=TLP2["green"], releasable_to=["US"])
        o["amber"] = obj("amber", tlp=TLP1["amber"], created_by=n.info["identity_id"])
        o["amber_us"] = obj("amber_us", tlp=TLP2["amber"], releasable_to=["US"])
        o["strict"] = obj("strict", tlp=TLP2["amber+strict"], releasable_to_orgs=[ID["DEA"]])
        o["red"] = obj("red", tlp=TLP2["red"])
        o["orcon"] = obj("orcon", tlp=TLP2["green"], releasable_to=["US", "GT"], orcon=True)
        o["review"] = obj("review", tlp=TLP2["clear"], review_by=past)
        o["vetted"] = obj("vetted", tlp=TLP2["amber"], releasable_to=["US"], vetted_only=True)
        o["unmarked"] = obj("unmarked")
        o["mitre"] = obj("mitre", tlp=TLP2["green"], created_by=MITRE)  # an outside author
        # Version histories: the latest version decides whether the object shows at all.
        up1 = obj("hist_up", tlp=TLP2["green"])
        up2 = obj("hist_up", tlp=TLP2["amber"], oid=up1["id"], version="2026-02-01T00:00:00.000Z")
        down1 = obj("hist_down", tlp=TLP2["amber"])
        down2 = obj("hist_down", tlp=TLP2["green"], oid=down1["id"], version="2026-02-01T00:00:00.000Z")
        o["hist_up"], o["hist_down"] = up2, down2
        cls.hist = {"up": (up1, up2), "down": (down1, down2)}
        order = ["clear", "green", "green_us", "amber", "amber_us", "strict", "red", "orcon", "review",
                 "vetted", "unmarked", "mitre"]
        cls.suite = cls._post_all(cls, n, cls.joint, "ana.ruiz", [o[k] for k in order] + [up1, down1])
        cls._post_all(cls, n, cls.joint, "ana.ruiz", [up2, down2])
        o["uin7_amber"] = obj("uin7_amber", tlp=TLP2["amber"])
        o["uin7_red"] = obj("uin7_red", tlp=TLP2["red"])
        cls._post_all(cls, n, cls.joint, "uin7.analyst", [o["uin7_amber"], o["uin7_red"]])
        # Another collection without agreements, and one whose default TLP is CLEAR.
        o["i_clear"] = obj("i_clear", tlp=TLP2["clear"])
        o["i_green"] = obj("i_green", tlp=TLP2["green"])
        o["i_amber_us"] = obj("i_amber_us", tlp=TLP2["amber"], releasable_to=["US"])
        cls._post_all(cls, n, cls.internal, "ana.ruiz", [o["i_clear"], o["i_green"], o["i_amber_us"]])
        o["p_unmarked"] = obj("p_unmarked")
        o["p_amber"] = obj("p_amber", tlp=TLP2["amber"])
        cls._post_all(cls, n, cls.public, "ana.ruiz", [o["p_unmarked"], o["p_amber"]])

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    @staticmethod
    def _post_all(cls, n, coll, user, objects):
        r = n.post_envelope(coll, objects, user=user)
        if r.status_code != 202:
            raise AssertionError("POST -> %d %s" % (r.status_code, r.text[:500]))
        st = r.json()
        if st.get("failure_count") != 0:
            raise AssertionError("setup objects refused: %s" % json.dumps(st.get("failures"))[:2000])
        return st

    # What each principal must see in each collection (latest versions), by name.
    EXPECT = {
        "joint": {
            "ana.ruiz": ["clear", "green", "green_us", "amber", "amber_us", "strict", "red", "orcon", "review",
                         "vetted", "unmarked", "mitre", "hist_up", "hist_down", "uin7_amber"],
            "uin7.analyst": ["clear", "green", "green_us", "amber", "amber_us", "orcon", "unmarked", "mitre",
                             "hist_up", "hist_down", "uin7_amber", "uin7_red"],
            "luis.mora": ["clear", "green", "green_us", "amber", "amber_us", "orcon", "unmarked", "mitre",
                          "hist_up", "hist_down", "uin7_amber", "uin7_red"],
            "kate.doyle": ["clear", "green", "green_us", "amber_us", "strict", "orcon", "vetted", "mitre",
                           "hist_down"],
            "sam.price": ["clear", "green", "green_us", "amber_us", "orcon", "mitre", "hist_down"],
            "us-node": ["clear", "green", "green_us", "amber_us", "orcon", "vetted", "mitre", "hist_down"],
            "gt-node": ["clear", "green", "orcon", "mitre", "hist_down"],
        },
        "internal": {
            "ana.ruiz": ["i_clear", "i_green", "i_amber_us"],
            "luis.mora": ["i_clear", "i_green", "i_amber_us"],
            # No agreement covers it: GREEN without releasable_to stays in MX.
            "kate.doyle": ["i_clear", "i_amber_us"],
        },
        "public": {
            "ana.ruiz": ["p_unmarked", "p_amber"],
            "luis.mora": ["p_unmarked", "p_amber"],
            "kate.doyle": ["p_unmarked"],
            "us-node": ["p_unmarked"],
        },
    }
    # Who may not even see a collection (no grant; for a partner node no agreement).
    HIDDEN = {"internal": ["us-node", "gt-node", "sam.price", "uin7.analyst"],
              "public": ["gt-node", "sam.price", "uin7.analyst"]}

    def coll(self, alias):
        return {"joint": self.joint, "internal": self.internal, "public": self.public}[alias]

    def expected_ids(self, alias, user):
        names = self.EXPECT[alias][user]
        return {self.o[k]["id"] for k in names}

    def all_ids(self, alias):
        pre = {"joint": "", "internal": "i_", "public": "p_"}[alias]
        names = [k for k in self.o if (k.startswith(pre) if pre else not k[:2] in ("i_", "p_"))]
        return {self.o[k]["id"]: k for k in names}

    def name_of(self, oid):
        for k, v in self.o.items():
            if v["id"] == oid:
                return k
        return oid

    def names(self, ids):
        return sorted(self.name_of(i) for i in ids)

    # ---- listings ----------------------------------------------------------------------------

    def test_objects_and_manifest_per_principal(self):
        for alias, per_user in self.EXPECT.items():
            for user in per_user:
                with self.subTest(collection=alias, user=user):
                    want = self.expected_ids(alias, user)
                    objs, _ = self.listing(self.node, self.coll(alias), user)
                    got = ids_of(objs)
                    self.assertEqual(len(got), len(set(got)), "an id twice in the latest-version listing")
                    self.assertEqual(self.names(got), self.names(want))
                    man, _ = self.listing(self.node, self.coll(alias), user, what="manifest")
                    self.assertEqual(self.names(ids_of(man)), self.names(want))
                    # The served bodies are the stored ones; the latest version is the one listed.
                    for o in objs:
                        self.assertEqual(o, self.o[self.name_of(o["id"])])

    def test_paging_stays_exact(self):
        """limit=1 and 2 give the same ids in the same order, ceil(n/limit) pages, more=false only
        on the last: the decision is in the query, not applied after it."""
        for alias, per_user in self.EXPECT.items():
            for user in per_user:
                full, _ = self.listing(self.node, self.coll(alias), user)
                for limit in (1, 2):
                    for what in ("objects", "manifest"):
                        with self.subTest(collection=alias, user=user, limit=limit, what=what):
                            items, resps = self.listing(self.node, self.coll(alias), user, what=what, limit=limit)
                            self.assertEqual(ids_of(items), ids_of(full))
                            n = len(full)
                            self.assertEqual(len(resps), max(1, -(-n // limit)))
                            for i, r in enumerate(resps):
                                j = r.json()
                                last = i == len(resps) - 1
                                self.assertEqual(j.get("more"), not last, j)
                                self.assertEqual("next" in j, not last, j)
                                if n:
                                    self.assertEqual(len(j.get("objects", [])), min(limit, n - i * limit))

    def test_single_get_is_404_when_invisible(self):
        missing = self.node.get(self.node.objects_path(self.joint) + new_id("indicator") + "/", user="ana.ruiz")
        missing_body = self.assertError(missing, 404)
        for alias, per_user in self.EXPECT.items():
            every = self.all_ids(alias)
            for user in per_user:
                want = self.expected_ids(alias, user)
                for oid, name in every.items():
                    with self.subTest(collection=alias, user=user, object=name):
                        path = self.node.objects_path(self.coll(alias)) + oid + "/"
                        r = self.node.get(path, user=user)
                        if oid in want:
                            j = self.assertOk(r)
                            self.assertEqual(ids_of(j["objects"]), [oid])
                        else:
                            self.assertEqual(self.assertError(r, 404), missing_body,
                                             "an invisible object must look exactly like a missing one")
                        rv = self.node.get(path + "versions/", user=user)
                        if oid in want:
                            self.assertOk(rv)
                        else:
                            self.assertEqual(self.assertError(rv, 404), missing_body)

    def test_versions_need_the_latest_allowed(self):
        up1, up2 = self.hist["up"]
        down1, down2 = self.hist["down"]
        cases = {
            # user: (versions of hist_up, versions of hist_down), None = 404
            "ana.ruiz": ([up1, up2], [down1, down2]),
            "luis.mora": ([up1, up2], [down1, down2]),
            "kate.doyle": (None, [down2]),
            "us-node": (None, [down2]),
            "gt-node": (None, [down2]),
        }
        for user, (want_up, want_down) in cases.items():
            for o, want in ((up1, want_up), (down1, want_down)):
                with self.subTest(user=user, object=o["name"]):
                    path = self.node.objects_path(self.joint) + o["id"] + "/versions/"
                    r = self.node.get(path, user=user)
                    if want is None:
                        self.assertError(r, 404)
                        r = self.node.get(self.node.objects_path(self.joint) + o["id"] + "/", user=user,
                                          params={"match[version]": "all"})
                        self.assertError(r, 404)
                        continue
                    self.assertEqual(self.assertOk(r)["versions"], [v["modified"] for v in want])
                    r = self.node.get(self.node.objects_path(self.joint) + o["id"] + "/", user=user,
                                      params={"match[version]": "all"})
                    self.assertEqual(self.assertOk(r)["objects"], want)
                    # Asking for the hidden older version by its timestamp finds nothing.
                    if len(want) == 1:
                        r = self.node.get(self.node.objects_path(self.joint) + o["id"] + "/", user=user,
                                          params={"match[version]": down1["modified"]})
                        self.assertError(r, 404)
        # All versions of the whole collection for the liaison: hist_down's AMBER first version
        # is not among them, hist_up not at all.
        items, _ = self.listing(self.node, self.joint, "kate.doyle", params=[("match[version]", "all")], limit=2)
        pairs = {(o["id"], o["modified"]) for o in items}
        self.assertIn((down2["id"], down2["modified"]), pairs)
        self.assertNotIn((down1["id"], down1["modified"]), pairs)
        self.assertFalse(any(i == up1["id"] for i, _ in pairs))

    # ---- who may do what ---------------------------------------------------------------------

    def test_collections_flags_follow_roles(self):
        def flags(user):
            j = self.assertOk(self.node.get("/api/collections/", user=user))
            return {c["alias"]: (c["can_read"], c["can_write"]) for c in j.get("collections", [])}
        self.assertEqual(flags("ana.ruiz"), {"joint": (True, True), "internal": (True, True), "public": (True, True)})
        self.assertEqual(flags("luis.mora"), {"joint": (True, False), "internal": (True, False),
                                              "public": (True, False)})
        self.assertEqual(flags("kate.doyle"), {"joint": (True, False), "internal": (True, False),
                                               "public": (True, False)})
        self.assertEqual(flags("us-node"), {"joint": (True, False), "public": (True, False)})
        self.assertEqual(flags("gt-node"), {"joint": (True, False)})
        self.assertEqual(flags("admin"), {"joint": (False, False), "internal": (False, False),
                                          "public": (False, False)})
        for alias, users in self.HIDDEN.items():
            for user in users:
                with self.subTest(collection=alias, user=user):
                    self.assertError(self.node.get("/api/collections/%s/" % self.coll(alias), user=user), 404)
                    self.assertError(self.node.get(self.node.objects_path(self.coll(alias)), user=user), 404)

    def test_admin_reads_no_objects(self):
        oid = self.o["clear"]["id"]
        base = self.node.objects_path(self.joint)
        for path in (base, "/api/collections/%s/manifest/" % self.joint, base + oid + "/",
                     base + oid + "/versions/"):
            with self.subTest(path=path):
                j = self.assertError(self.node.get(path, user="admin"), 403)
                self.assertIn("roles", j.get("description", ""))
        self.assertError(self.node.request("DELETE", base + oid + "/", user="admin"), 403)
        self.assertError(self.node.post_envelope(self.joint, [obj("by_admin")], user="admin"), 403)

    def test_only_analysts_write(self):
        for user in ("kate.doyle", "sam.price", "luis.mora", "us-node", "gt-node"):
            coll = self.internal if user == "kate.doyle" else self.joint  # kate holds a write grant there
            with self.subTest(user=user):
                o = obj("by_" + user.replace(".", "_").replace("-", "_"))
                r = self.node.post_envelope(coll, [o], user=user)
                j = self.assertError(r, 403)
                self.assertIn("analyst", j.get("description", ""))
        # Nothing of those posts landed.
        objs, _ = self.listing(self.node, self.internal, "ana.ruiz")
        self.assertEqual(self.names(ids_of(objs)), self.names(self.expected_ids("internal", "ana.ruiz")))

    def test_no_one_speaks_for_another_agency(self):
        fgr = obj("said_by_fgr", tlp=TLP2["green"], created_by=ID["FGR"])
        dea = obj("said_by_dea", tlp=TLP2["green"], created_by=ID["DEA"])
        own = obj("said_by_sspc", tlp=TLP2["green"], created_by=self.node.info["identity_id"])
        st = self.post(self.node, self.internal, "ana.ruiz", [fgr, own, dea])
        self.assertStatusComplete(st, 3, 1, 2)
        self.assertEqual([f["id"] for f in st["failures"]], [fgr["id"], dea["id"]])
        self.assertEqual([s["id"] for s in st["successes"]], [own["id"]])
        for f in st["failures"]:
            self.assertTrue(f.get("message"))
        self.assertError(self.node.get(self.node.objects_path(self.internal) + fgr["id"] + "/",
                                       user="ana.ruiz"), 404)
        # Clean up so the per-principal expectations on `internal` hold.
        r = self.node.request("DELETE", self.node.objects_path(self.internal) + own["id"] + "/", user="ana.ruiz")
        self.assertOk(r)

    def test_only_the_originator_versions(self):
        base = dict(self.o["green"])
        v2 = dict(base, modified="2026-03-01T00:00:00.000Z", name="green by UIN-7")
        st = self.post(self.node, self.joint, "uin7.analyst", [v2])
        self.assertStatusComplete(st, 1, 0, 1)
        self.assertEqual(st["failures"][0]["id"], base["id"])
        r = self.node.get(self.node.objects_path(self.joint) + base["id"] + "/versions/", user="ana.ruiz")
        self.assertEqual(self.assertOk(r)["versions"], [base["modified"]])
        # And the other way round: SSPC may not version UIN-7's object either.
        theirs = dict(self.o["uin7_amber"], modified="2026-03-01T00:00:00.000Z")
        st = self.post(self.node, self.joint, "ana.ruiz", [theirs])
        self.assertStatusComplete(st, 1, 0, 1)

    def test_malformed_handling_refused(self):
        bad = [obj("bad_party", tlp=TLP2["amber"], releasable_to=["usa"]),
               obj("bad_flag", tlp=TLP2["amber"], orcon="yes"),
               obj("bad_org", tlp=TLP2["amber+strict"], releasable_to_orgs=["DEA"]),
               obj("bad_review", tlp=TLP2["amber"], review_by="next year")]
        st = self.post(self.node, self.internal, "ana.ruiz", bad)
        self.assertStatusComplete(st, 4, 0, 4)
        self.assertEqual([f["id"] for f in st["failures"]], [o["id"] for o in bad])

    def test_delete_only_by_originator(self):
        mine = obj("to_delete", tlp=TLP2["green"])
        self.post_ok(self.node, self.joint, "ana.ruiz", [mine])
        path = self.node.objects_path(self.joint) + mine["id"] + "/"
        # UIN-7's analyst sees it (same party) but did not originate it.
        self.assertOk(self.node.get(path, user="uin7.analyst"))
        j = self.assertError(self.node.request("DELETE", path, user="uin7.analyst"), 403)
        self.assertIn("originator", j.get("description", ""))
        # A liaison may not delete (it never writes); an invisible object is simply not found.
        self.assertError(self.node.request("DELETE", path, user="kate.doyle"), 403)
        red = self.node.objects_path(self.joint) + self.o["uin7_red"]["id"] + "/"
        self.assertError(self.node.request("DELETE", red, user="ana.ruiz"), 404)
        self.assertOk(self.node.get(red, user="luis.mora"))
        self.assertOk(self.node.request("DELETE", path, user="ana.ruiz"))
        self.assertError(self.node.get(path, user="ana.ruiz"), 404)

    # ---- the directory -----------------------------------------------------------------------

    def test_directory_is_signed(self):
        for user in ("ana.ruiz", "admin", "us-node", "kate.doyle"):
            with self.subTest(user=user):
                r = self.node.get("/enlace/v1/directory", user=user, accept="application/json")
                self.assertEqual(r.status_code, 200, r.text[:300])
                self.assertEqual(r.headers.get("Content-Type"), "application/json")
                body = r.json()
                with open(os.path.join(self.node.dir, "node.pub")) as f:
                    self.assertEqual(body["public_key"], f.read().strip())
                verify_ed25519(body["public_key"], body["payload"].encode("utf-8"),
                               base64.b64decode(body["signature"]))
                p = json.loads(body["payload"])
                self.assertEqual(p["party"], "MX")
                self.assertEqual(p["node_organization"], self.node.info["identity_id"])
                orgs = {o["id"]: o for o in p["organizations"]}
                self.assertEqual(set(orgs), {self.node.info["identity_id"], ID["UIN-7"], ID["FGR"]})
                for o in orgs.values():
                    self.assertEqual(o["type"], "identity")
                    self.assertEqual(o["identity_class"], "organization")
                    self.assertEqual(o.get("object_marking_refs"), [TLP2["clear"]], "published as TLP:CLEAR")
                vet = {(v["organization"], v["party"], v["vetted_by"]): v["until"] for v in p["vettings"]}
                self.assertEqual(set(vet), {(ID["DEA"], "US", "MX"), (ID["HSI"], "US", "MX")})
                self.assertTrue(vet[(ID["DEA"], "US", "MX")].startswith("2099-12-31T") or
                                vet[(ID["DEA"], "US", "MX")].startswith("2100-01-01T"))
        # A tampered payload does not verify.
        with self.assertRaises(AssertionError):
            verify_ed25519(body["public_key"], body["payload"].replace("MX", "GT").encode("utf-8"),
                           base64.b64decode(body["signature"]))
        # Authentication first; application/json for its errors too; TAXII's Accept is not JSON.
        r = self.node.get("/enlace/v1/directory", accept="application/json")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.headers.get("Content-Type"), "application/json")
        r = self.node.get("/enlace/v1/directory/", user="ana.ruiz", accept="application/taxii+json;version=2.1")
        self.assertEqual(r.status_code, 406)
        self.assertEqual(r.json()["http_status"], "406")
        r = self.node.request("POST", "/enlace/v1/directory", user="ana.ruiz", accept=None, data=b"{}")
        self.assertEqual(r.status_code, 405)


def verify_ed25519(pub_b64, message, signature):
    """Raise AssertionError unless signature is pub's Ed25519 signature of message."""
    pub = base64.b64decode(pub_b64)
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        Ed25519PublicKey = None
    if Ed25519PublicKey is not None:
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(signature, message)
        except InvalidSignature:
            raise AssertionError("bad signature")
        return
    # openssl: the raw key wrapped as a SubjectPublicKeyInfo (RFC 8410).
    der = bytes.fromhex("302a300506032b6570032100") + pub
    with tempfile.TemporaryDirectory() as d:
        paths = {k: os.path.join(d, k) for k in ("pub.der", "msg", "sig")}
        for k, v in (("pub.der", der), ("msg", message), ("sig", signature)):
            with open(paths[k], "wb") as f:
                f.write(v)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey",
                            paths["pub.der"], "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise AssertionError("bad signature")


class UsNodeVetting(Scenario, unittest.TestCase):
    """US vets MX's unit UIN-7 (SCENARIO.md), recorded on the US node that makes the vetting. A
    vetted_only object of US reaches the MX partner node (US vets one of MX's units) and not GT's
    (no GT unit is vetted), whatever its TLP allows."""

    @classmethod
    def setUpClass(cls):
        n = cls.node = Node(party="US", org="US-NODE")
        n.add_org("HSI", identity=ID["HSI"])
        n.add_org("SSPC", party="MX", identity=ID["SSPC"])
        n.add_org("UIN-7", party="MX", identity=ID["UIN-7"])
        n.add_org("GT-NODE", party="GT", identity=ID["GT-NODE"])
        n.vet("UIN-7", "2099-12-31")
        n.add_user("sam.price", role="analyst", org="HSI")
        n.add_user("mx-node", role="partner", org="SSPC")
        n.add_user("gt-node", role="partner", org="GT-NODE")
        cls.joint = n.create_collection("Joint targeting", alias="joint")
        n.grant(cls.joint, "sam.price", read=True, write=True)
        n.agreement("MX", "joint")
        n.agreement("GT", "joint", max_tlp="green")
        n.start()
        cls.o = {
            "plain": obj("plain", tlp=TLP2["green"], releasable_to=["MX", "GT"]),
            "vetted_green": obj("vetted_green", tlp=TLP2["green"], releasable_to=["MX", "GT"], vetted_only=True),
            "vetted_amber": obj("vetted_amber", tlp=TLP2["amber"], releasable_to=["MX"], vetted_only=True),
        }
        r = n.post_envelope(cls.joint, list(cls.o.values()), user="sam.price")
        if r.status_code != 202 or r.json().get("failure_count") != 0:
            raise AssertionError("setup: %d %s" % (r.status_code, r.text[:1000]))

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def test_vetted_only_reaches_the_vetted_party(self):
        want = {"sam.price": {"plain", "vetted_green", "vetted_amber"},
                "mx-node": {"plain", "vetted_green", "vetted_amber"},
                "gt-node": {"plain"}}
        names = {v["id"]: k for k, v in self.o.items()}
        for user, names_wanted in want.items():
            with self.subTest(user=user):
                items, _ = self.listing(self.node, self.joint, user, limit=1)
                self.assertEqual({names[i] for i in ids_of(items)}, names_wanted)
                for k, o in self.o.items():
                    r = self.node.get(self.node.objects_path(self.joint) + o["id"] + "/", user=user)
                    if k in names_wanted:
                        self.assertOk(r)
                    else:
                        self.assertError(r, 404)

    def test_directory_names_the_vetting(self):
        r = self.node.get("/enlace/v1/directory", user="mx-node", accept="application/json")
        self.assertEqual(r.status_code, 200, r.text[:300])
        p = json.loads(r.json()["payload"])
        self.assertEqual(p["party"], "US")
        self.assertEqual([(v["organization"], v["party"], v["vetted_by"]) for v in p["vettings"]],
                         [(ID["UIN-7"], "MX", "US")])
        self.assertEqual({o["id"] for o in p["organizations"]}, {self.node.info["identity_id"], ID["HSI"]})


if __name__ == "__main__":
    main()
