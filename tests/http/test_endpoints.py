"""test_endpoints.py - every TAXII 2.1 endpoint and query parameter of an enlace node, over HTTP.

Uses the OASIS medallion seed data (taxii21-medallion/default_data.json, from the repo's data/ or
the shared data folder) for the match[spec_version] tests; those tests are skipped when the file
is absent. Everything else uses objects made here.
"""

import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TAXII, TAXII_TS_RE, TaxiiAsserts, indicator, identity, ts_key  # noqa: E402

MEDALLION_COLL = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
MALWARE = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"
IND3 = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"


def medallion_objects():
    p = en.find_data_file("taxii21-medallion/default_data.json")
    if p is None:
        return None, None
    with open(p, encoding="utf-8") as fh:
        d = json.load(fh)
    for c in d["trustgroup1"]["collections"]:
        if c["id"] == MEDALLION_COLL:
            return c["objects"], p
    return None, p


class Base(TaxiiAsserts, unittest.TestCase):
    node = None

    @classmethod
    def tearDownClass(cls):
        if cls.node:
            cls.node.stop()
            cls.node.cleanup()
            cls.node = None

    def objs(self, coll, user="alice", params=None, path_suffix=""):
        r = self.node.get(self.node.objects_path(coll) + path_suffix, user=user, params=params)
        return r


class TestResources(Base):
    """Discovery, API root, collections, collection, users' can_read / can_write."""

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        for u in ("alice", "bob", "carol", "wanda"):
            n.add_user(u)
        cls.c1 = n.create_collection("Main", description="the main collection")
        cls.c2 = n.create_collection("Second")
        n.grant(cls.c1, "alice", read=True, write=True)
        n.grant(cls.c1, "bob", read=True, write=False)
        n.grant(cls.c2, "bob", read=True, write=True)
        n.grant(cls.c1, "wanda", read=False, write=True)
        n.start()

    def test_discovery(self):
        r = self.node.get("/taxii2/", user="alice")
        j = self.assertOk(r)
        self.assertIsInstance(j.get("title"), str)
        roots = j.get("api_roots")
        self.assertIsInstance(roots, list)
        self.assertTrue(any(x == "/api/" or x.endswith("/api/") for x in roots), roots)
        for x in roots:
            self.assertFalse(x.startswith("//") or x.startswith("../") or "?" in x, x)
        if "default" in j:
            self.assertIn(j["default"], roots)

    def test_api_root(self):
        j = self.assertOk(self.node.get("/api/", user="alice"))
        self.assertIsInstance(j.get("title"), str)
        self.assertIn(TAXII, j.get("versions", []))
        for v in j["versions"]:
            self.assertTrue(v.startswith("application/taxii+json"), v)
        self.assertEqual(j.get("max_content_length"), 10485760)

    def test_collections_none_is_empty_object(self):
        j = self.assertOk(self.node.get("/api/collections/", user="carol"))
        self.assertEqual(j, {}, "a user with no collections must get {} (T5.1.1, lists never empty)")

    def test_collections_flags_per_user(self):
        j = self.assertOk(self.node.get("/api/collections/", user="alice"))
        cs = {c["id"]: c for c in j["collections"]}
        self.assertEqual(set(cs), {self.c1})
        self.assertIs(cs[self.c1]["can_read"], True)
        self.assertIs(cs[self.c1]["can_write"], True)
        self.assertEqual(cs[self.c1]["title"], "Main")
        self.assertEqual(cs[self.c1].get("description"), "the main collection")

        j = self.assertOk(self.node.get("/api/collections/", user="bob"))
        cs = {c["id"]: c for c in j["collections"]}
        self.assertEqual(set(cs), {self.c1, self.c2})
        self.assertIs(cs[self.c1]["can_read"], True)
        self.assertIs(cs[self.c1]["can_write"], False)
        self.assertIs(cs[self.c2]["can_write"], True)
        # stable order across requests (T3.3)
        j2 = self.assertOk(self.node.get("/api/collections/", user="bob"))
        self.assertEqual([c["id"] for c in j["collections"]], [c["id"] for c in j2["collections"]])

        j = self.assertOk(self.node.get("/api/collections/", user="wanda"))
        cs = {c["id"]: c for c in j["collections"]}
        self.assertEqual(set(cs), {self.c1})
        self.assertIs(cs[self.c1]["can_read"], False)
        self.assertIs(cs[self.c1]["can_write"], True)

    def test_collection_by_id(self):
        j = self.assertOk(self.node.get("/api/collections/%s/" % self.c1, user="bob"))
        self.assertEqual(j["id"], self.c1)
        self.assertEqual(j["title"], "Main")
        self.assertIs(j["can_read"], True)
        self.assertIs(j["can_write"], False)
        for mt in j.get("media_types", ["application/stix+json"]):
            self.assertTrue(mt.startswith("application/stix+json"), mt)
        # carol has no grant: not visible (404, no leak of existence; T App. B)
        self.assertError(self.node.get("/api/collections/%s/" % self.c1, user="carol"), 404)


class TestObjects(Base):
    """POST, GET objects / object / versions / manifest, filters, status, DELETE."""

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        for u in ("alice", "bob", "carol"):
            n.add_user(u)
        cls.c = n.create_collection("Objects")
        cls.empty = n.create_collection("Empty")
        cls.cdel = n.create_collection("Deletions")
        cls.cver = n.create_collection("Versions")
        cls.cmed = n.create_collection("Medallion")
        for c in (cls.c, cls.empty, cls.cdel, cls.cver, cls.cmed):
            n.grant(c, "alice", read=True, write=True)
            n.grant(c, "bob", read=True, write=False)
        n.start()

    def post(self, coll, objects, user="alice"):
        r = self.node.post_envelope(coll, objects, user=user)
        return self.assertOk(r, 202)

    def manifest(self, coll, params=None, user="alice"):
        recs, _ = self.node.get_all("/api/collections/%s/manifest/" % coll, user=user,
                                    params=params, key="objects")
        return recs

    # -- basic POST / GET -------------------------------------------------------------------

    def test_post_and_get_roundtrip(self):
        objs = [indicator(i) for i in range(3)] + [identity(1)]
        st = self.post(self.c, objs)
        self.assertStatusComplete(st, 4, 4, 0)
        self.assertEqual({(e["id"], e["version"]) for e in st["successes"]},
                         {(o["id"], o["modified"]) for o in objs})
        uuid.UUID(st["id"])
        if "request_timestamp" in st:
            self.assertRegex(st["request_timestamp"], TAXII_TS_RE)
        ids = [o["id"] for o in objs]
        r = self.objs(self.c, params=[("match[id]", ",".join(ids))])
        j = self.assertOk(r)
        self.assertDateHeaders(r)
        got = {o["id"]: o for o in j["objects"]}
        self.assertEqual(set(got), set(ids))
        for o in objs:
            self.assertEqual(got[o["id"]], o)
        # single object endpoint
        r = self.node.get(self.node.objects_path(self.c) + ids[0] + "/", user="bob")
        j = self.assertOk(r)
        self.assertDateHeaders(r)
        self.assertEqual(j["objects"], [objs[0]])
        # manifest records
        recs = self.manifest(self.c, params=[("match[id]", ",".join(ids))])
        self.assertEqual(len(recs), 4)
        for rec in recs:
            self.assertRegex(rec["date_added"], TAXII_TS_RE)
            self.assertEqual(rec["version"], "2024-01-01T00:00:00.000Z")
            if "media_type" in rec:
                self.assertEqual(rec["media_type"].replace(" ", ""), "application/stix+json;version=2.1")
        # sorted by date_added ascending (T3.3); one envelope -> strictly increasing
        das = [rec["date_added"] for rec in recs]
        self.assertEqual(das, sorted(das))
        self.assertEqual(len(set(das)), len(das), "date_added must be strictly increasing")

    def test_bytes_preserved_minus_whitespace(self):
        # Members in unusual order, string escapes kept as escapes, raw UTF-8, number tokens
        # spelled oddly, an escaped NUL: the object must come back as the same bytes minus
        # insignificant whitespace (DESIGN: responses stream stored text, never re-serialize).
        oid = en.new_id("identity")
        obj_text = ('{"name" : "Caf\\u00e9 \\"quoted\\" \u00fc\u5b66 \\u0000 nul",\n  "modified":"2024-02-03T04:05:06.1234567Z",'
                    '"type":"identity","identity_class":"organization","confidence":42,'
                    '"id":"%s","created":"2024-02-03T04:05:06.123Z","spec_version":"2.1",'
                    '"x_custom":{"n":1.50,"e":1E+2,"z":-0,"f":0.1000,"list":[1, 2 ,{"deep":true}],"s":"a\\/b"}}' % oid)
        text = '{"objects":[ ' + obj_text + ' ]}'
        minified = ('{"name":"Caf\\u00e9 \\"quoted\\" \u00fc\u5b66 \\u0000 nul","modified":"2024-02-03T04:05:06.1234567Z",'
                    '"type":"identity","identity_class":"organization","confidence":42,'
                    '"id":"%s","created":"2024-02-03T04:05:06.123Z","spec_version":"2.1",'
                    '"x_custom":{"n":1.50,"e":1E+2,"z":-0,"f":0.1000,"list":[1,2,{"deep":true}],"s":"a\\/b"}}' % oid)
        r = self.node.request("POST", self.node.objects_path(self.c), user="alice",
                              data=text.encode("utf-8"), content_type=TAXII)
        st = self.assertOk(r, 202)
        self.assertStatusComplete(st, 1, 1, 0)
        self.assertEqual(st["successes"][0]["version"], "2024-02-03T04:05:06.1234567Z")
        r = self.node.get(self.node.objects_path(self.c) + oid + "/", user="alice")
        self.assertOk(r)
        want = json.loads(text)["objects"][0]
        self.assertEqual(r.json()["objects"], [want])
        body = r.content.decode("utf-8")
        self.assertIn(minified, body, "the stored object must be served as received, minus whitespace")
    def test_empty_shapes(self):
        r = self.objs(self.empty)
        j = self.assertOk(r)
        self.assertNotIn("objects", j, "empty envelope must omit objects (T3.7)")
        self.assertFalse(j.get("more", False))
        self.assertNotIn("next", j)
        # on an empty result the date headers are absent or well-formed (never "", "undefined"...)
        for h in ("X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"):
            if h in r.headers:
                self.assertRegex(r.headers[h], TAXII_TS_RE)
        j = self.assertOk(self.node.get("/api/collections/%s/manifest/" % self.empty, user="alice"))
        self.assertNotIn("objects", j, "empty manifest must omit objects (T5.3.1)")
        # a filter matching nothing in a non-empty collection
        self.post(self.c, [indicator(77)])
        j = self.assertOk(self.objs(self.c, params=[("match[type]", "tool")]))
        self.assertNotIn("objects", j)
        j = self.assertOk(self.objs(self.c, params=[("match[id]", en.new_id("indicator"))]))
        self.assertNotIn("objects", j)

    # -- added_after ------------------------------------------------------------------------

    def test_added_after_strictly_after(self):
        coll = self.cver
        objs = [indicator(100 + i) for i in range(5)]
        self.post(coll, objs)
        ids = {o["id"] for o in objs}
        recs = [x for x in self.manifest(coll) if x["id"] in ids]
        self.assertEqual(len(recs), 5)
        for k in range(5):
            cut = recs[k]["date_added"]
            got, _ = self.node.get_all(self.node.objects_path(coll), user="alice",
                                       params=[("added_after", cut)])
            got_ids = [o["id"] for o in got if o["id"] in ids]
            self.assertEqual(got_ids, [x["id"] for x in recs[k + 1:]],
                             "added_after=%s must return exactly the objects added after it" % cut)
        # manifest too
        cut = recs[1]["date_added"]
        m = [x for x in self.manifest(coll, params=[("added_after", cut)]) if x["id"] in ids]
        self.assertEqual([x["id"] for x in m], [x["id"] for x in recs[2:]])
        for x in m:
            self.assertGreater(x["date_added"], cut)

    # -- versions, match[version] -------------------------------------------------------------

    def test_versions_and_match_version(self):
        oid = en.new_id("indicator")
        base = indicator(5, id=oid, created="2020-01-01T00:00:00.000Z")
        v1 = dict(base, modified="2020-01-01T00:00:00.000Z", name="v1")
        v2 = dict(base, modified="2020-01-01T00:00:00.500Z", name="v2")
        v3 = dict(base, modified="2021-06-01T12:00:00.000Z", name="v3")
        # post out of order, in two envelopes
        self.assertStatusComplete(self.post(self.cver, [v2]), 1, 1, 0)
        self.assertStatusComplete(self.post(self.cver, [v3, v1]), 2, 2, 0)
        p = self.node.objects_path(self.cver) + oid + "/"
        # default: latest only
        j = self.assertOk(self.node.get(p, user="alice"))
        self.assertEqual(j["objects"], [v3])
        # collection endpoint with match[id]: latest only
        j = self.assertOk(self.objs(self.cver, params=[("match[id]", oid)]))
        self.assertEqual(j["objects"], [v3])

        def names(params):
            j = self.assertOk(self.node.get(p, user="alice", params=params))
            return sorted(o["name"] for o in j.get("objects", []))

        self.assertEqual(names([("match[version]", "last")]), ["v3"])
        self.assertEqual(names([("match[version]", "first")]), ["v1"])
        self.assertEqual(names([("match[version]", "all")]), ["v1", "v2", "v3"])
        self.assertEqual(names([("match[version]", "first,last")]), ["v1", "v3"])
        self.assertEqual(names([("match[version]", "2020-01-01T00:00:00.500Z")]), ["v2"])
        # instant equality across spellings
        self.assertEqual(names([("match[version]", "2020-01-01T00:00:00.5Z")]), ["v2"])
        self.assertEqual(names([("match[version]", "2020-01-01T00:00:00.500000Z")]), ["v2"])
        self.assertEqual(names([("match[version]", "2020-01-01T00:00:00Z")]), ["v1"])
        self.assertEqual(names([("match[version]", "2020-01-01T00:00:00.5Z,2021-06-01T12:00:00.000Z")]),
                         ["v2", "v3"])
        # a version that does not exist: 404 on the object endpoint (T5.6), like a deleted one
        self.assertError(self.node.get(p, user="alice", params=[("match[version]", "2019-01-01T00:00:00.000Z")]), 404)
        # the stored spelling is served byte-exact
        j = self.node.get(p, user="alice", params=[("match[version]", "2020-01-01T00:00:00.5Z")])
        self.assertIn('"2020-01-01T00:00:00.500Z"', j.text)
        # collection-level match[version]
        j = self.assertOk(self.objs(self.cver, params=[("match[id]", oid), ("match[version]", "all")]))
        self.assertEqual(sorted(o["name"] for o in j["objects"]), ["v1", "v2", "v3"])
        # versions endpoint; its date headers span the object's versions (date_added order)
        r = self.node.get(p + "versions/", user="bob")
        j = self.assertOk(r)
        f, l = self.assertDateHeaders(r)
        das = sorted(x["date_added"] for x in self.manifest(self.cver, params=[("match[id]", oid), ("match[version]", "all")]))
        self.assertEqual((f, l), (das[0], das[-1]))
        # object endpoint with all versions: same span
        r = self.node.get(p, user="alice", params=[("match[version]", "all")])
        self.assertOk(r)
        self.assertEqual(self.assertDateHeaders(r), (das[0], das[-1]))
        # literal (unencoded) brackets in the query, as curl -g and many clients send them
        r = self.node.raw("GET", self.node.objects_path(self.cver) + "?match[id]=%s&match[version]=all" % oid, user="alice")
        j2 = self.assertOk(r)
        self.assertEqual(sorted(o["name"] for o in j2["objects"]), ["v1", "v2", "v3"])
        self.assertEqual(sorted(j["versions"]), sorted([v1["modified"], v2["modified"], v3["modified"]]))
        # manifest: one record per version
        recs = self.manifest(self.cver, params=[("match[id]", oid), ("match[version]", "all")])
        self.assertEqual(sorted(x["version"] for x in recs),
                         sorted([v1["modified"], v2["modified"], v3["modified"]]))
        # limit on versions
        r = self.node.get(p + "versions/", user="alice", params=[("limit", "1")])
        j = self.assertOk(r)
        self.assertEqual(len(j["versions"]), 1)
        self.assertIs(j.get("more"), True)
        allv, _ = self.node.get_all(p + "versions/", user="alice", key="versions", limit=1)
        self.assertEqual(sorted(allv), sorted([v1["modified"], v2["modified"], v3["modified"]]))

    def test_match_id_and_type(self):
        ind = [indicator(200 + i) for i in range(3)]
        ids = [identity(200 + i) for i in range(2)]
        self.post(self.cver, ind + ids)
        want_all = {o["id"] for o in ind + ids}

        def got(params):
            items, _ = self.node.get_all(self.node.objects_path(self.cver), user="alice", params=params)
            return {o["id"] for o in items}

        self.assertEqual(got([("match[id]", ind[0]["id"])]), {ind[0]["id"]})
        self.assertEqual(got([("match[id]", "%s,%s" % (ind[1]["id"], ids[1]["id"]))]),
                         {ind[1]["id"], ids[1]["id"]})
        self.assertEqual(got([("match[type]", "identity")]) & want_all, {o["id"] for o in ids})
        for t in got([("match[type]", "identity")]):
            self.assertTrue(t.startswith("identity--"), t)
        self.assertEqual(got([("match[type]", "identity,indicator")]) & want_all, want_all)
        # id and type together are ANDed
        self.assertEqual(got([("match[id]", ind[0]["id"]), ("match[type]", "identity")]), set())
        self.assertEqual(got([("match[id]", ind[0]["id"]), ("match[type]", "indicator")]), {ind[0]["id"]})
        # the manifest obeys the same filters
        recs = self.manifest(self.cver, params=[("match[type]", "identity")])
        self.assertTrue({x["id"] for x in recs} >= {o["id"] for o in ids})
        self.assertTrue(all(x["id"].startswith("identity--") for x in recs))

    def test_unversioned_objects_use_created(self):
        md = {"type": "marking-definition", "spec_version": "2.1", "id": en.new_id("marking-definition"),
              "created": "2023-03-04T05:06:07.890Z", "name": "test statement",
              "definition_type": "statement", "definition": {"statement": "Copyright test"}}
        st = self.post(self.cver, [md])
        self.assertStatusComplete(st, 1, 1, 0)
        self.assertEqual(st["successes"][0]["version"], md["created"])
        p = self.node.objects_path(self.cver) + md["id"] + "/"
        j = self.assertOk(self.node.get(p + "versions/", user="alice"))
        self.assertEqual(j["versions"], [md["created"]])
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[version]", md["created"])]))
        self.assertEqual(j["objects"], [md])
        recs = self.manifest(self.cver, params=[("match[id]", md["id"])])
        self.assertEqual([x["version"] for x in recs], [md["created"]])
        # re-post: idempotent
        st = self.post(self.cver, [md])
        self.assertStatusComplete(st, 1, 1, 0)
        self.assertEqual(len(self.manifest(self.cver, params=[("match[id]", md["id"]), ("match[version]", "all")])), 1)
        # an SCO without created/modified: stored, served, and reported with some version
        sco = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--%s" % uuid.uuid4(),
               "value": "198.51.100.7"}
        st = self.post(self.cver, [sco])
        self.assertStatusComplete(st, 1, 1, 0)
        self.assertTrue(st["successes"][0]["version"])
        j = self.assertOk(self.node.get(self.node.objects_path(self.cver) + sco["id"] + "/", user="alice"))
        self.assertEqual(j["objects"], [sco])

    def test_repost_idempotent_and_conflict(self):
        o = indicator(300)
        st = self.post(self.cver, [o])
        self.assertStatusComplete(st, 1, 1, 0)
        recs1 = self.manifest(self.cver, params=[("match[id]", o["id"]), ("match[version]", "all")])
        self.assertEqual(len(recs1), 1)
        # same version, same content (even with different whitespace / member order): success
        text = json.dumps({"objects": [dict(reversed(list(o.items())))]}, indent=3)
        r = self.node.request("POST", self.node.objects_path(self.cver), user="alice",
                              data=text.encode(), content_type=TAXII)
        st = self.assertOk(r, 202)
        self.assertStatusComplete(st, 1, 1, 0)
        self.assertIn("already stored", st["successes"][0].get("message", ""))
        recs2 = self.manifest(self.cver, params=[("match[id]", o["id"]), ("match[version]", "all")])
        self.assertEqual(recs1, recs2, "an idempotent re-POST must not add a version or move date_added")
        # same version, different body: refused, stored copy unchanged
        o2 = dict(o, name="changed name")
        st = self.post(self.cver, [o2, indicator(301)])
        self.assertStatusComplete(st, 2, 1, 1)
        self.assertEqual(st["failures"][0]["id"], o["id"])
        self.assertEqual(st["failures"][0]["version"], o["modified"])
        j = self.assertOk(self.node.get(self.node.objects_path(self.cver) + o["id"] + "/", user="alice",
                                        params=[("match[version]", "all")]))
        self.assertEqual(j["objects"], [o])

    def test_duplicates_inside_one_envelope(self):
        o = indicator(310)
        changed = dict(o, name="changed")
        st = self.post(self.cver, [o, dict(o), changed])
        self.assertStatusComplete(st, 3, 2, 1)
        self.assertEqual(st["failures"][0]["id"], o["id"])
        j = self.assertOk(self.node.get(self.node.objects_path(self.cver) + o["id"] + "/", user="alice",
                                        params=[("match[version]", "all")]))
        self.assertEqual(j["objects"], [o])
        # an SCO (no timestamps) posted again with other content is refused, not a second version
        sco = {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--%s" % uuid.uuid4(),
               "value": "one.example"}
        self.assertStatusComplete(self.post(self.cver, [sco]), 1, 1, 0)
        self.assertStatusComplete(self.post(self.cver, [sco]), 1, 1, 0)
        st = self.post(self.cver, [dict(sco, value="two.example")])
        self.assertStatusComplete(st, 1, 0, 1)
        j = self.assertOk(self.node.get(self.node.objects_path(self.cver) + sco["id"] + "/", user="alice",
                                        params=[("match[version]", "all")]))
        self.assertEqual(j["objects"], [sco])

    def test_same_instant_other_spelling_is_the_same_version(self):
        o = indicator(320, created="2024-03-01T00:00:00.000Z", modified="2024-03-01T00:00:00.000Z")
        self.assertStatusComplete(self.post(self.cver, [o]), 1, 1, 0)
        o2 = dict(o, modified="2024-03-01T00:00:00.000000Z")
        st = self.post(self.cver, [o2])
        self.assertEqual(st["total_count"], 1)
        p = self.node.objects_path(self.cver) + o["id"] + "/"
        j = self.assertOk(self.node.get(p + "versions/", user="alice"))
        self.assertEqual(j["versions"], [o["modified"]], "one instant is one version (DESIGN invariant 1)")
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[version]", "all")]))
        self.assertEqual(j["objects"], [o])

    def test_large_object(self):
        o = identity(330, description="L" * (6 * 1024 * 1024))
        st = self.post(self.cver, [o])
        self.assertStatusComplete(st, 1, 1, 0)
        r = self.node.get(self.node.objects_path(self.cver) + o["id"] + "/", user="alice")
        self.assertEqual(self.assertOk(r)["objects"], [o])


    def test_stix20_only_object_and_spec_delete(self):
        # an object that exists only as STIX 2.0 is served by default (its latest spec version)
        o20 = {"type": "indicator", "id": en.new_id("indicator"), "created": "2017-01-01T00:00:00.000Z",
               "modified": "2017-01-01T00:00:00.000Z", "labels": ["malicious-activity"],
               "pattern": "[ipv4-addr:value = '192.0.2.1']", "valid_from": "2017-01-01T00:00:00Z"}
        st = self.post(self.cver, [o20])
        self.assertStatusComplete(st, 1, 1, 0)
        p = self.node.objects_path(self.cver) + o20["id"] + "/"
        self.assertEqual(self.assertOk(self.node.get(p, user="alice"))["objects"], [o20])
        self.assertEqual(self.assertOk(self.node.get(p, user="alice", params=[("match[spec_version]", "2.0")]))["objects"], [o20])
        self.assertError(self.node.get(p, user="alice", params=[("match[spec_version]", "2.1")]), 404)
        recs = self.manifest(self.cver, params=[("match[id]", o20["id"])])
        self.assertEqual([x["version"] for x in recs], [o20["modified"]])
        if "media_type" in recs[0]:
            self.assertEqual(recs[0]["media_type"].replace(" ", ""), "application/stix+json;version=2.0")
        # a 2.1 version on top; DELETE match[spec_version]=2.0 removes only the 2.0 one
        o21 = dict(o20, spec_version="2.1", modified="2018-01-01T00:00:00.000Z", pattern_type="stix")
        self.assertStatusComplete(self.post(self.cver, [o21]), 1, 1, 0)
        self.assertEqual(self.assertOk(self.node.get(p, user="alice"))["objects"], [o21])
        r = self.node.request("DELETE", p, user="alice", params=[("match[spec_version]", "2.0")])
        self.assertEqual(r.status_code, 200, r.text)
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[version]", "all"),
                                                                   ("match[spec_version]", "2.0,2.1")]))
        self.assertEqual(j["objects"], [o21])


    def test_sub_microsecond_versions(self):
        # STIX timestamps may carry more than microseconds: versions differing only there are
        # distinct, ordered by instant, and matched exactly (only trailing zeros are insignificant)
        o = indicator(340, created="2020-01-01T00:00:00.000Z", modified="2020-01-01T00:00:00.1234567Z")
        o2 = dict(o, modified="2020-01-01T00:00:00.1234568Z", name="later")
        o3 = dict(o, modified="2020-01-01T00:00:00.123456800001Z", name="latest")
        self.assertStatusComplete(self.post(self.cver, [o3, o, o2]), 3, 3, 0)
        p = self.node.objects_path(self.cver) + o["id"] + "/"
        j = self.assertOk(self.node.get(p + "versions/", user="alice"))
        self.assertEqual(sorted(j["versions"]), sorted([o["modified"], o2["modified"], o3["modified"]]))
        self.assertEqual(self.assertOk(self.node.get(p, user="alice"))["objects"], [o3])
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[version]", "2020-01-01T00:00:00.12345680Z")]))
        self.assertEqual(j["objects"], [o2])
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[version]", "first")]))
        self.assertEqual(j["objects"], [o])


    def test_collections_are_isolated(self):
        # a version is keyed by (collection, id, instant): the same id may hold other content in
        # another collection; reads and deletes never cross collections
        o = indicator(350)
        other = dict(o, name="other content, other collection")
        self.assertStatusComplete(self.post(self.c, [o]), 1, 1, 0)
        self.assertError(self.node.get(self.node.objects_path(self.cdel) + o["id"] + "/", user="alice"), 404)
        self.assertStatusComplete(self.post(self.cdel, [other]), 1, 1, 0)
        self.assertEqual(self.assertOk(self.node.get(self.node.objects_path(self.c) + o["id"] + "/", user="alice"))["objects"], [o])
        self.assertEqual(self.assertOk(self.node.get(self.node.objects_path(self.cdel) + o["id"] + "/", user="alice"))["objects"], [other])
        r = self.node.request("DELETE", self.node.objects_path(self.cdel) + o["id"] + "/", user="alice")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.assertOk(self.node.get(self.node.objects_path(self.c) + o["id"] + "/", user="alice"))["objects"], [o])
        items = self.manifest(self.empty)
        self.assertEqual(items, [])


    # -- match[spec_version] with medallion data -----------------------------------------------

    def test_spec_version_medallion(self):
        objs, path = medallion_objects()
        if objs is None:
            self.skipTest("medallion data (taxii21-medallion/default_data.json) not found in data/ or shared data")
        print("\n  using medallion data from %s" % path, file=sys.stderr)
        new = [o for o in objs if o["id"] == MALWARE and "spec_version" not in o][0]
        old = [o for o in objs if o["id"] == MALWARE and o.get("spec_version") == "2.1"][0]
        st = self.post(self.cmed, objs)
        if st.get("failure_count") == 1:
            # medallion's 2.0-style malware (no spec_version) has no `labels`, which STIX 2.0
            # requires for malware: a node may refuse it, but only that one and for that reason.
            self.assertStatusComplete(st, 8, 7, 1)
            f = st["failures"][0]
            self.assertEqual((f["id"], f["version"]), (MALWARE, new["modified"]))
            self.assertRegex(f["message"], r"labels")
            print("  medallion's 2.0 malware refused (%s); posting it with labels added" % f["message"],
                  file=sys.stderr)
            orig = new
            new = dict(orig, labels=["remote-access-trojan"])
            objs = [o for o in objs if o is not orig] + [new]
            self.assertStatusComplete(self.post(self.cmed, [new]), 1, 1, 0)
        else:
            self.assertStatusComplete(st, 8, 8, 0)
        p = self.node.objects_path(self.cmed) + MALWARE + "/"
        # default: only the latest spec version (2.1), latest version of that
        j = self.assertOk(self.node.get(p, user="alice"))
        self.assertEqual(j["objects"], [old])
        j = self.assertOk(self.objs(self.cmed, params=[("match[id]", MALWARE)]))
        self.assertEqual(j["objects"], [old])
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[spec_version]", "2.1")]))
        self.assertEqual(j["objects"], [old])
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[spec_version]", "2.0")]))
        self.assertEqual(j["objects"], [new])
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[spec_version]", "2.0,2.1"),
                                                                   ("match[version]", "all")]))
        self.assertEqual(sorted(j["objects"], key=lambda o: o["modified"]), [old, new])
        # latest over both spec versions is the 2.0 one
        j = self.assertOk(self.node.get(p, user="alice", params=[("match[spec_version]", "2.0,2.1")]))
        self.assertEqual(j["objects"], [new])
        # versions endpoint
        j = self.assertOk(self.node.get(p + "versions/", user="alice"))
        self.assertEqual(j["versions"], [old["modified"]])
        j = self.assertOk(self.node.get(p + "versions/", user="alice", params=[("match[spec_version]", "2.0,2.1")]))
        self.assertEqual(sorted(j["versions"]), sorted([old["modified"], new["modified"]]))
        # manifest records carry the spec version in media_type when present
        recs = self.manifest(self.cmed, params=[("match[id]", MALWARE), ("match[spec_version]", "2.0")])
        self.assertEqual([x["version"] for x in recs], [new["modified"]])
        if "media_type" in recs[0]:
            self.assertEqual(recs[0]["media_type"].replace(" ", ""), "application/stix+json;version=2.0")
        # 3-version indicator: first / last / all / exact
        p3 = self.node.objects_path(self.cmed) + IND3 + "/"
        vs = sorted(o["modified"] for o in objs if o["id"] == IND3)

        def versions(params):
            j = self.assertOk(self.node.get(p3, user="alice", params=params))
            return sorted(o["modified"] for o in j.get("objects", []))

        self.assertEqual(versions([]), [vs[-1]])
        self.assertEqual(versions([("match[version]", "first")]), [vs[0]])
        self.assertEqual(versions([("match[version]", "all")]), vs)
        self.assertEqual(versions([("match[version]", vs[1])]), [vs[1]])
        # collection-wide default: one object per id, 2.1 only
        items, _ = self.node.get_all(self.node.objects_path(self.cmed), user="alice")
        self.assertEqual(len(items), 5)
        self.assertEqual(len({o["id"] for o in items}), 5)
        items, _ = self.node.get_all(self.node.objects_path(self.cmed), user="alice",
                                     params=[("match[version]", "all"), ("match[spec_version]", "2.0,2.1")])
        self.assertEqual(len(items), 8)

    # -- DELETE ------------------------------------------------------------------------------

    def test_delete(self):
        a, b = indicator(400), indicator(401)
        a2 = dict(a, modified="2024-06-01T00:00:00.000Z", name="a v2")
        self.post(self.cdel, [a, b, a2])
        p = self.node.objects_path(self.cdel) + a["id"] + "/"
        # delete one version only
        r = self.node.request("DELETE", p, user="alice", params=[("match[version]", a["modified"])])
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTaxiiCT(r)
        j = self.assertOk(self.node.get(p + "versions/", user="alice"))
        self.assertEqual(j["versions"], [a2["modified"]])
        self.assertError(self.node.get(p, user="alice", params=[("match[version]", a["modified"])]), 404)
        # delete the rest (no filter = all versions)
        r = self.node.request("DELETE", p, user="alice")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertError(self.node.get(p, user="alice"), 404)
        self.assertError(self.node.get(p, user="alice", params=[("match[version]", "all")]), 404)
        self.assertError(self.node.get(p + "versions/", user="alice"), 404)
        self.assertError(self.node.request("DELETE", p, user="alice"), 404)
        recs = self.manifest(self.cdel, params=[("match[version]", "all")])
        self.assertEqual({x["id"] for x in recs}, {b["id"]})
        items, _ = self.node.get_all(self.node.objects_path(self.cdel), user="alice",
                                     params=[("match[version]", "all")])
        self.assertEqual(items, [b])
        # DELETE of an unknown object
        self.assertError(self.node.request("DELETE", self.node.objects_path(self.cdel) + en.new_id("indicator") + "/",
                                           user="alice"), 404)

    # -- status --------------------------------------------------------------------------------

    def test_status_resource(self):
        good = indicator(500)
        bad = dict(indicator(501), pattern_type=None)
        del bad["pattern_type"]
        st = self.post(self.cver, [good, bad])
        self.assertStatusComplete(st, 2, 1, 1)
        r = self.node.get("/api/status/%s/" % st["id"], user="alice")
        j = self.assertOk(r)
        self.assertEqual(j["id"], st["id"])
        for k in ("status", "total_count", "success_count", "failure_count", "pending_count"):
            self.assertEqual(j[k], st[k], k)
        self.assertEqual(j.get("successes"), st.get("successes"))
        self.assertEqual(j.get("failures"), st.get("failures"))
        # another user may not see it: 404
        self.assertError(self.node.get("/api/status/%s/" % st["id"], user="bob"), 404)
        self.assertError(self.node.get("/api/status/%s/" % uuid.uuid4(), user="alice"), 404)


class TestPaging(Base):
    """limit / more / next over one big envelope (shared request instant), date headers."""

    N = 103

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        for u in ("alice", "bob"):
            n.add_user(u)
        cls.c = n.create_collection("Paging")
        cls.c2 = n.create_collection("Paging small server limits")
        for c in (cls.c, cls.c2):
            n.grant(c, "alice")
            n.grant(c, "bob", read=True, write=False)
        n.start("--page-limit", "5", "--page-max", "8")
        cls.posted = [indicator(i) if i % 3 else identity(i) for i in range(cls.N)]
        r = n.post_envelope(cls.c, cls.posted, user="alice")
        assert r.status_code == 202, r.text
        st = r.json()
        assert st["success_count"] == cls.N, st
        r = n.post_envelope(cls.c2, cls.posted[:20], user="alice")
        assert r.status_code == 202, r.text
        cls.manifest, _ = n.get_all("/api/collections/%s/manifest/" % cls.c, user="alice", limit=8)

    def test_manifest_complete_and_increasing(self):
        self.assertEqual(len(self.manifest), self.N)
        self.assertEqual({x["id"] for x in self.manifest}, {o["id"] for o in self.posted})
        das = [x["date_added"] for x in self.manifest]
        for d in das:
            self.assertRegex(d, TAXII_TS_RE)
        self.assertEqual(len(set(das)), self.N, "date_added must be unique within a collection (bumped on ties)")
        self.assertEqual(das, sorted(das))

    def test_paging_every_object_once(self):
        da = {x["id"]: x["date_added"] for x in self.manifest}
        for limit in (1, 7, 8):
            pages = []
            nxt = None
            seen = []
            for _ in range(self.N + 5):
                params = [("limit", str(limit))]
                if nxt:
                    params.append(("next", nxt))
                r = self.objs(self.c, params=params)
                j = self.assertOk(r)
                objs = j.get("objects", [])
                self.assertTrue(0 < len(objs) <= limit, "page size %d with limit %d" % (len(objs), limit))
                f, l = self.assertDateHeaders(r)
                self.assertEqual(f, da[objs[0]["id"]], "X-TAXII-Date-Added-First = date_added of the page's first object")
                self.assertEqual(l, da[objs[-1]["id"]], "X-TAXII-Date-Added-Last = date_added of the page's last object")
                seen.extend(o["id"] for o in objs)
                pages.append(j)
                if not j.get("more"):
                    self.assertNotIn("next", j)
                    break
                self.assertIn("next", j)
                nxt = j["next"]
            self.assertEqual(len(seen), self.N, "limit %d: every object exactly once" % limit)
            self.assertEqual(set(seen), {o["id"] for o in self.posted})
            self.assertEqual(seen, [x["id"] for x in self.manifest], "objects in date_added order")

    def test_manifest_paging_headers(self):
        r = self.node.get("/api/collections/%s/manifest/" % self.c, user="alice", params=[("limit", "4")])
        j = self.assertOk(r)
        f, l = self.assertDateHeaders(r)
        self.assertEqual(len(j["objects"]), 4)
        self.assertEqual(f, j["objects"][0]["date_added"])
        self.assertEqual(l, j["objects"][-1]["date_added"])
        self.assertIs(j.get("more"), True)
        r2 = self.node.get("/api/collections/%s/manifest/" % self.c, user="alice",
                           params=[("limit", "4"), ("next", j["next"])])
        j2 = self.assertOk(r2)
        self.assertEqual([x["id"] for x in j2["objects"]], [x["id"] for x in self.manifest[4:8]])

    def test_next_is_retryable(self):
        r = self.objs(self.c, params=[("limit", "6")])
        j = self.assertOk(r)
        nxt = j["next"]
        a = self.objs(self.c, params=[("limit", "6"), ("next", nxt)])
        b = self.objs(self.c, params=[("limit", "6"), ("next", nxt)])
        self.assertOk(a)
        self.assertOk(b)
        self.assertEqual(a.json(), b.json(), "the same next twice must give the same page")
        self.assertEqual(a.headers.get("X-TAXII-Date-Added-First"), b.headers.get("X-TAXII-Date-Added-First"))
        self.assertEqual([o["id"] for o in a.json()["objects"]], [x["id"] for x in self.manifest[6:12]])

    def test_next_bound_to_query_and_user(self):
        j = self.assertOk(self.objs(self.c, params=[("limit", "5"), ("match[type]", "indicator")]))
        nxt = j["next"]
        ok = self.objs(self.c, params=[("limit", "5"), ("match[type]", "indicator"), ("next", nxt)])
        self.assertOk(ok)
        # another filter
        self.assertError(self.objs(self.c, params=[("limit", "5"), ("match[type]", "identity"), ("next", nxt)]), 400)
        self.assertError(self.objs(self.c, params=[("limit", "5"), ("next", nxt)]), 400)
        # another user with the same rights
        self.assertError(self.objs(self.c, user="bob", params=[("limit", "5"), ("match[type]", "indicator"),
                                                               ("next", nxt)]), 400)
        # another collection
        self.assertError(self.objs(self.c2, params=[("limit", "5"), ("match[type]", "indicator"), ("next", nxt)]), 400)
        # tampered: flip one character in the middle, and truncate
        mid = len(nxt) // 2
        flip = nxt[:mid] + ("A" if nxt[mid] != "A" else "B") + nxt[mid + 1:]
        self.assertError(self.objs(self.c, params=[("limit", "5"), ("match[type]", "indicator"), ("next", flip)]), 400)
        self.assertError(self.objs(self.c, params=[("limit", "5"), ("match[type]", "indicator"), ("next", nxt[:-3])]), 400)
        self.assertError(self.objs(self.c, params=[("limit", "5"), ("next", "garbage")]), 400)

    def test_server_page_limits(self):
        # --page-limit 5: no limit -> 5 objects, more
        r = self.objs(self.c)
        j = self.assertOk(r)
        self.assertEqual(len(j["objects"]), 5)
        self.assertIs(j.get("more"), True)
        # --page-max 8: a larger limit is served as at most 8, still complete when followed
        r = self.objs(self.c, params=[("limit", "50")])
        j = self.assertOk(r)
        self.assertTrue(0 < len(j["objects"]) <= 8, len(j["objects"]))
        self.assertIs(j.get("more"), True)
        items, _ = self.node.get_all(self.node.objects_path(self.c), user="alice", limit=50)
        self.assertEqual(len(items), self.N)

    def test_added_after_with_paging(self):
        cut = self.manifest[50]["date_added"]
        items, _ = self.node.get_all(self.node.objects_path(self.c), user="alice",
                                     params=[("added_after", cut)], limit=7)
        self.assertEqual([o["id"] for o in items], [x["id"] for x in self.manifest[51:]])


class TestConcurrency(Base):
    """Invariant 2: date_added strictly increasing per collection under concurrent writers, so
    a reader polling with added_after (and paging with next) never skips or repeats an object."""

    WRITERS, ENVELOPES, PER = 4, 8, 25

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("alice")
        cls.c = n.create_collection("Concurrent")
        cls.big = n.create_collection("Defaults")
        cls.c3 = n.create_collection("Same envelope")
        n.grant(cls.c3, "alice")
        n.grant(cls.c, "alice")
        n.grant(cls.big, "alice")
        n.start("--threads", "3")  # fewer threads than concurrent clients: requests queue, none fail

    def test_concurrent_writers_and_polling_reader(self):
        import threading
        n = self.node
        posted, errors = [], []
        lock = threading.Lock()

        def writer(w):
            for e in range(self.ENVELOPES):
                objs = [indicator(w * 10000 + e * 100 + k) for k in range(self.PER)]
                try:
                    r = n.post_envelope(self.c, objs, user="alice")
                    if r.status_code != 202 or r.json().get("success_count") != self.PER:
                        errors.append("writer %d: %d %s" % (w, r.status_code, r.text[:200]))
                except Exception as ex:  # noqa: BLE001
                    errors.append("writer %d: %r" % (w, ex))
                with lock:
                    posted.extend(o["id"] for o in objs)

        seen, seen_da = [], []
        done = threading.Event()

        def poll_once(after):
            params = [("limit", "37")]
            if after:
                params.append(("added_after", after))
            recs, _ = n.get_all("/api/collections/%s/manifest/" % self.c, user="alice", params=params)
            return recs

        def reader():
            after = None
            while True:
                final = done.is_set()
                try:
                    recs = poll_once(after)
                except AssertionError as ex:
                    errors.append("reader: %s" % ex)
                    return
                for x in recs:
                    seen.append(x["id"])
                    seen_da.append(x["date_added"])
                if recs:
                    after = recs[-1]["date_added"]
                if final:
                    return

        ws = [threading.Thread(target=writer, args=(w,)) for w in range(self.WRITERS)]
        rd = threading.Thread(target=reader)
        rd.start()
        for t in ws:
            t.start()
        for t in ws:
            t.join(300)
        done.set()
        rd.join(300)
        self.assertEqual(errors, [])
        total = self.WRITERS * self.ENVELOPES * self.PER
        self.assertEqual(len(posted), total)
        dup = len(seen) - len(set(seen))
        self.assertEqual(dup, 0, "the polling reader saw %d objects twice" % dup)
        self.assertEqual(set(seen), set(posted), "the polling reader missed %d objects" % len(set(posted) - set(seen)))
        self.assertEqual(seen_da, sorted(seen_da))
        self.assertEqual(len(set(seen_da)), total, "date_added values must be unique")
        # a full paged read afterwards agrees
        items, _ = n.get_all(n.objects_path(self.c), user="alice", limit=61)
        self.assertEqual(len(items), total)
        self.assertEqual({o["id"] for o in items}, set(posted))

    def test_same_envelope_posted_concurrently(self):
        import threading
        n = self.node
        c = n_coll = self.c3
        objs = [indicator(5000 + i) for i in range(50)]
        results, errors = [], []

        def post():
            try:
                r = n.post_envelope(c, objs, user="alice")
                results.append((r.status_code, r.json()))
            except Exception as ex:  # noqa: BLE001
                errors.append(repr(ex))
        ts = [threading.Thread(target=post) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 8)
        for code, st in results:
            self.assertEqual(code, 202, st)
            self.assertStatusComplete(st, 50, 50, 0)
        items, _ = n.get_all(n.objects_path(n_coll), user="alice", params=[("match[version]", "all")])
        self.assertEqual(len(items), 50, "one stored version per object, whoever won the race")
        recs, _ = n.get_all("/api/collections/%s/manifest/" % n_coll, user="alice", params=[("match[version]", "all")])
        self.assertEqual(len({x["date_added"] for x in recs}), 50)

    def test_default_and_maximum_page_size(self):
        n = self.node
        objs = [indicator(i) for i in range(1500)]
        st = self.assertOk(n.post_envelope(self.big, objs, user="alice"), 202)
        self.assertEqual(st["success_count"], 1500)
        j = self.assertOk(self.objs(self.big))
        self.assertEqual(len(j["objects"]), 1000, "default page limit is 1000")
        self.assertIs(j.get("more"), True)
        self.assertIn("next", j)
        j2 = self.assertOk(self.objs(self.big, params=[("next", j["next"])]))
        self.assertEqual(len(j2["objects"]), 500)
        self.assertFalse(j2.get("more", False))
        self.assertEqual({o["id"] for o in j["objects"] + j2["objects"]}, {o["id"] for o in objs})
        # a limit above the maximum (10000) is not an error; the server may serve fewer
        j = self.assertOk(self.objs(self.big, params=[("limit", "20000")]))
        self.assertTrue(0 < len(j["objects"]) <= 10000)
        items, _ = n.get_all(n.objects_path(self.big), user="alice", limit=20000)
        self.assertEqual(len(items), 1500)


class TestRestart(Base):
    """Cursors survive a restart; status kept >= 24 h, gone after 8 days (ENLACE_CLOCK_OFFSET)."""

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("alice")
        n.add_user("bob")
        cls.c = n.create_collection("Restart")
        cls.c2 = n.create_collection("Clock")
        n.grant(cls.c, "alice")
        n.grant(cls.c, "bob")
        n.grant(cls.c2, "alice")
        n.start()

    def test_clock_going_back_keeps_date_added_increasing(self):
        n = self.node
        c = self.c2
        first = [indicator(i) for i in range(5)]
        self.assertOk(n.post_envelope(c, first, user="alice"), 202)
        recs, _ = n.get_all("/api/collections/%s/manifest/" % c, user="alice")
        last_seen = recs[-1]["date_added"]
        n.restart(env={"ENLACE_CLOCK_OFFSET": "-86400"})  # the clock moves a day back
        later = [indicator(100 + i) for i in range(5)]
        self.assertOk(n.post_envelope(c, later, user="alice"), 202)
        got, _ = n.get_all("/api/collections/%s/manifest/" % c, user="alice", params=[("added_after", last_seen)])
        self.assertEqual({x["id"] for x in got}, {o["id"] for o in later},
                         "objects added after a clock step back must still come after added_after")
        for x in got:
            self.assertGreater(x["date_added"], last_seen)
        n.restart()

    def test_status_lifetime_and_cursor(self):
        n = self.node
        objs = [indicator(i) for i in range(10)]
        st = self.assertOk(n.post_envelope(self.c, objs, user="alice"), 202)
        sid = st["id"]
        j = self.assertOk(self.objs(self.c, params=[("limit", "3")]))
        nxt = j["next"]
        page2 = self.assertOk(self.objs(self.c, params=[("limit", "3"), ("next", nxt)]))
        n.restart()
        again = self.assertOk(self.objs(self.c, params=[("limit", "3"), ("next", nxt)]))
        self.assertEqual(again, page2, "a next cursor must survive a restart")
        self.assertOk(n.get("/api/status/%s/" % sid, user="alice"))
        self.assertError(n.get("/api/status/%s/" % sid, user="bob"), 404)
        n.restart(env={"ENLACE_CLOCK_OFFSET": "90000"})
        j = self.assertOk(n.get("/api/status/%s/" % sid, user="alice"))
        self.assertEqual(j["id"], sid)
        self.assertEqual(j["success_count"], 10)
        n.restart(env={"ENLACE_CLOCK_OFFSET": "691200"})
        self.assertError(n.get("/api/status/%s/" % sid, user="alice"), 404)
        # the objects themselves are still there
        items, _ = n.get_all(self.node.objects_path(self.c), user="alice")
        self.assertEqual(len(items), 10)
        # and new posts made with the moved clock get later date_added values
        st2 = self.assertOk(n.post_envelope(self.c, [indicator(99)], user="alice"), 202)
        self.assertOk(n.get("/api/status/%s/" % st2["id"], user="alice"))


if __name__ == "__main__":
    en.main()
