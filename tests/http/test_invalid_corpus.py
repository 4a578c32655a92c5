"""test_invalid_corpus.py - one envelope mixing good STIX objects with many kinds of bad ones.

Every bad element must be listed in the status failures with a reason that names the problem,
every good one must be stored and served unchanged. Also posts every file of
$ENLACE_SRC/data/stix21-examples/invalid/ and (when present) the shared data folder's
stix21-examples/invalid/: nothing of them may be stored.
"""

import copy
import glob
import json
import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TAXII, TaxiiAsserts, indicator, identity, new_id  # noqa: E402

U = lambda: str(uuid.uuid4())  # noqa: E731
T0 = "2024-05-01T10:00:00.000Z"


def sdo(t, **kw):
    o = {"type": t, "spec_version": "2.1", "id": new_id(t), "created": T0, "modified": T0}
    o.update(kw)
    return o


def without(o, *keys):
    o = copy.deepcopy(o)
    for k in keys:
        o.pop(k, None)
    return o


def malware(**kw):
    return sdo("malware", name="BadThing", is_family=True, **kw)


def relationship(**kw):
    d = dict(relationship_type="uses", source_ref=new_id("intrusion-set"), target_ref=new_id("malware"))
    d.update(kw)
    return sdo("relationship", **d)


def good_objects():
    g = [indicator(1), identity(1), malware(),
         relationship(),
         sdo("attack-pattern", name="AP"),
         sdo("report", name="R", published="2024-05-01T00:00:00Z", object_refs=[new_id("indicator")]),
         sdo("sighting", sighting_of_ref=new_id("indicator")),
         sdo("note", content="a note", object_refs=[new_id("malware")]),
         sdo("location", region="south-america"),
         sdo("location", latitude=19.43, longitude=-99.13),
         sdo("observed-data", first_observed=T0, last_observed=T0, number_observed=3,
             object_refs=["ipv4-addr--%s" % U()]),
         {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--%s" % U(), "value": "203.0.113.9"},
         {"type": "domain-name", "id": "domain-name--%s" % U(), "value": "example.org"},
         {"type": "marking-definition", "spec_version": "2.1", "id": new_id("marking-definition"),
          "created": T0, "name": "stmt", "definition_type": "statement", "definition": {"statement": "s"}},
         sdo("x-custom-thing", x_field="custom types get the common checks only"),
         # a huge (valid) list and a long string
         indicator(2, labels=["label-%d" % i for i in range(20000)]),
         identity(2, description="z" * 200000),
         indicator(3, created_by_ref=new_id("identity"), confidence=0),
         indicator(4, confidence=100, modified="2024-05-02T00:00:00.000Z"),
         # more than millisecond precision, odd but valid fraction lengths
         sdo("campaign", name="C", created="2024-05-01T10:00:00.123456789Z", modified="2024-05-01T10:00:00.123456789Z"),
         ]
    return g


def bad_objects():
    """(object, regex the failure message must match, description). The regex names the problem."""
    b = []

    def add(o, rx, what):
        b.append((o, rx, what))

    i = indicator(10)
    # -- wrong types -------------------------------------------------------------------------
    add(dict(indicator(11), type=5), r"type", "type is a number")
    o = indicator(12)
    o["type"] = "Indicator"
    o["id"] = "Indicator--" + U()
    add(o, r"type|id", "uppercase type")
    o = indicator(13)
    o["type"] = "malware"  # id says indicator
    add(o, r"id|type|match", "id type does not match type")
    # -- bad ids -------------------------------------------------------------------------------
    add(dict(indicator(14), id="indicator-" + U()), r"\bid\b|identifier", "id with one hyphen")
    u = U()
    add(dict(indicator(15), id="indicator--" + u[:19] + "c" + u[20:]), r"\bid\b|uuid|variant", "bad UUID variant")
    add(dict(indicator(16), id="indicator--not-a-uuid"), r"\bid\b|uuid", "id not a UUID")
    add(dict(indicator(17), id=12345), r"\bid\b", "id not a string")
    add(without(indicator(18), "id"), r"\bid\b", "missing id")
    # -- bad timestamps ----------------------------------------------------------------------
    add(dict(indicator(20), created="2024-05-01T10:00:00.000", modified="2024-05-01T10:00:00.000"),
        r"created|modified|timestamp", "no Z")
    add(dict(indicator(21), created="2024-05-01T10:00:00.000+01:00", modified="2024-05-01T10:00:00.000+01:00"),
        r"created|modified|timestamp", "offset")
    add(dict(indicator(22), created="2024-05-01T10:00:00.00Z", modified="2024-05-01T10:00:00.00Z"),
        r"created|modified|timestamp|millisecond|precision", "2 fraction digits")
    add(dict(indicator(23), created="2024-13-01T10:00:00.000Z", modified="2024-13-01T10:00:00.000Z"),
        r"created|modified|timestamp|month", "month 13")
    add(dict(indicator(24), created="2023-02-30T10:00:00.000Z", modified="2023-02-30T10:00:00.000Z"),
        r"created|modified|timestamp|day", "Feb 30")
    add(dict(indicator(25), created="2024-05-01T10:00:00.000Z", modified="2024-04-01T10:00:00.000Z"),
        r"modified", "modified < created")
    add(dict(indicator(26), valid_from="yesterday"), r"valid_from", "valid_from not a timestamp")
    add(dict(indicator(27), created=1714557600), r"created", "created is a number")
    add(dict(indicator(28), created="2024-05-01 10:00:00.000Z", modified="2024-05-01 10:00:00.000Z"),
        r"created|modified|timestamp", "space instead of T")
    # -- missing required properties per type -------------------------------------------------
    add(without(indicator(30), "pattern"), r"pattern", "indicator without pattern")
    add(without(indicator(31), "pattern_type"), r"pattern_type", "indicator without pattern_type")
    add(without(relationship(), "target_ref"), r"target_ref", "relationship without target_ref")
    add(without(relationship(), "relationship_type"), r"relationship_type", "relationship without relationship_type")
    add(sdo("attack-pattern"), r"name", "attack-pattern without name")
    add(without(identity(32), "name"), r"name", "identity without name")
    add(sdo("report", name="R", object_refs=[new_id("indicator")]), r"published", "report without published")
    add(sdo("note", object_refs=[new_id("malware")]), r"content", "note without content")
    add(sdo("sighting"), r"sighting_of_ref", "sighting without sighting_of_ref")
    add(sdo("grouping", object_refs=[new_id("indicator")]), r"context", "grouping without context")
    add(sdo("opinion", object_refs=[new_id("indicator")]), r"opinion", "opinion without opinion")
    add(sdo("malware-analysis"), r"product", "malware-analysis without product")
    add(sdo("location"), r"region|country|latitude|location", "location with nothing")
    add(sdo("observed-data", first_observed=T0, last_observed=T0, object_refs=["ipv4-addr--%s" % U()]),
        r"number_observed", "observed-data without number_observed")
    add(without(indicator(33), "created"), r"created", "SDO without created")
    add(without(indicator(34), "modified"), r"modified", "SDO without modified")
    add(without(indicator(35), "type"), r"type", "no type")
    add({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--%s" % U()}, r"value", "ipv4-addr without value")
    add(dict(indicator(36), spec_version="2.2"), r"spec_version", "spec_version 2.2")
    # -- wrong ref types ---------------------------------------------------------------------
    add(dict(indicator(40), created_by_ref=new_id("malware")), r"created_by_ref", "created_by_ref to a malware")
    add(dict(indicator(41), created_by_ref="identity-xyz"), r"created_by_ref", "created_by_ref not an id")
    add(dict(indicator(42), object_marking_refs=[new_id("indicator")]), r"object_marking_refs",
        "object_marking_refs to an indicator")
    add(relationship(source_ref="foo"), r"source_ref", "source_ref not an id")
    add(sdo("sighting", sighting_of_ref=new_id("indicator"), where_sighted_refs=[new_id("malware")]),
        r"where_sighted_refs", "where_sighted_refs to a malware")
    add(sdo("report", name="R", published=T0, object_refs=["example:ttp-66647c79"]), r"object_refs",
        "object_refs with a STIX 1 id")
    # -- empty lists ---------------------------------------------------------------------------
    add(dict(indicator(50), labels=[]), r"labels|empty", "empty labels")
    add(sdo("report", name="R", published=T0, object_refs=[]), r"object_refs|empty", "empty object_refs")
    add(dict(indicator(51), external_references=[]), r"external_references|empty", "empty external_references")
    # -- huge arrays of the wrong thing --------------------------------------------------------
    add(dict(indicator(52), labels=list(range(20000))), r"labels", "20000 numbers as labels")
    add(dict(indicator(53), object_marking_refs=["nope"] * 5000), r"object_marking_refs", "5000 bad marking refs")
    # -- strings instead of numbers (and numbers out of range) --------------------------------
    add(dict(indicator(60), confidence="50"), r"confidence", "confidence as a string")
    add(dict(indicator(61), confidence=101), r"confidence", "confidence 101")
    add(sdo("observed-data", first_observed=T0, last_observed=T0, number_observed="3",
            object_refs=["ipv4-addr--%s" % U()]), r"number_observed", "number_observed as a string")
    add(sdo("location", latitude="48.85", longitude="2.35"), r"latitude|longitude", "latitude as a string")
    add(sdo("location", latitude=123.0, longitude=2.35), r"latitude", "latitude 123")
    add(dict(malware(), is_family="true"), r"is_family", "is_family as a string")
    add(dict(indicator(62), name=["a", "list"]), r"name", "name as a list")
    add(dict(indicator(63), revoked="no"), r"revoked", "revoked as a string")
    return b


NON_OBJECTS = [42, "indicator--%s" % U(), None, [indicator(90)], True, 1.5]


class TestInvalidCorpus(TaxiiAsserts, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("rw")
        cls.c = n.create_collection("Mixed")
        cls.cf = n.create_collection("Invalid files")
        n.grant(cls.c, "rw")
        n.grant(cls.cf, "rw")
        n.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def test_mixed_envelope(self):
        good = good_objects()
        bad = bad_objects()
        ids = [o.get("id") for o in good] + [o.get("id") for o, _, _ in bad]
        strs = [x for x in ids if isinstance(x, str)]
        self.assertEqual(len(strs), len(set(strs)), "test bug: ids must be unique")
        elements = []
        # interleave good and bad
        gi, bi = list(good), list(bad)
        while gi or bi:
            if gi:
                elements.append(("good", gi.pop(0)))
            for _ in range(3):
                if bi:
                    o, rx, what = bi.pop(0)
                    elements.append(("bad", (o, rx, what)))
        for x in NON_OBJECTS:
            elements.insert(len(elements) // 2, ("nonobj", x))
        body = [e[1] if e[0] != "bad" else e[1][0] for e in elements]
        r = self.node.post_envelope(self.c, body, user="rw")
        st = self.assertOk(r, 202)
        nbad = len(bad) + len(NON_OBJECTS)
        self.assertStatusComplete(st, len(body), len(good), nbad)
        succ = {e["id"]: e for e in st["successes"]}
        self.assertEqual(set(succ), {o["id"] for o in good})
        fails = {}
        for e in st["failures"]:
            fails.setdefault(e["id"] if isinstance(e["id"], str) else json.dumps(e["id"]), []).append(e)
        problems = []
        for o, rx, what in bad:
            oid = o.get("id")
            key = oid if isinstance(oid, str) else None
            if key is None or key not in fails:
                # element without a usable id: must still be counted as a failure (checked above)
                if key is not None:
                    problems.append("%s: id %s not listed in failures" % (what, key))
                continue
            msgs = " | ".join(e.get("message", "") for e in fails[key])
            if not re.search(rx, msgs, re.I):
                problems.append("%s: message %r does not name the problem (/%s/)" % (what, msgs, rx))
        self.assertEqual(problems, [], "\n".join(problems))
        # elements without a usable id: each still has its own failure entry with a reason
        known = {o["id"] for o in good} | {o["id"] for o, _, _ in bad if isinstance(o.get("id"), str)}
        anon = [e for e in st["failures"] if not (isinstance(e["id"], str) and e["id"] in known)]
        n_anon = len(NON_OBJECTS) + sum(1 for o, _, _ in bad if not isinstance(o.get("id"), str))
        self.assertEqual(len(anon), n_anon, anon)
        not_obj = [e for e in anon if re.search(r"object", e.get("message", ""), re.I)]
        self.assertGreaterEqual(len(not_obj), len(NON_OBJECTS), "non-objects must be refused as such: %r" % anon)
        # the good ones are stored and served unchanged; nothing of the bad ones is
        items, _ = self.node.get_all(self.node.objects_path(self.c), user="rw",
                                     params=[("match[version]", "all"), ("match[spec_version]", "2.0,2.1")])
        served = {o["id"]: o for o in items}
        self.assertEqual(len(items), len(good))
        self.assertEqual(set(served), {o["id"] for o in good})
        for o in good:
            self.assertEqual(served[o["id"]], o, o["id"])

    def test_each_bad_alone_is_a_failure_not_a_request_error(self):
        # one bad object per request: 202 with exactly one failure (not 400/422 for the request)
        for o, rx, what in bad_objects()[:12]:
            r = self.node.post_envelope(self.c, [o], user="rw")
            st = self.assertOk(r, 202)
            self.assertStatusComplete(st, 1, 0, 1)

    def invalid_files(self):
        dirs = [("repo", os.path.join(en.repo_data_dir(), "stix21-examples", "invalid"))]
        sd = en.shared_data_dir()
        if sd:
            dirs.append(("shared", os.path.join(sd, "stix21-examples", "invalid")))
        else:
            print("\n  shared data folder absent: only the repo's invalid/ files", file=sys.stderr)
        files = []
        for label, d in dirs:
            fs = sorted(glob.glob(os.path.join(d, "*.json")))
            print("\n  %s invalid files: %d in %s" % (label, len(fs), d), file=sys.stderr)
            files += fs
        return files

    def test_invalid_files(self):
        files = self.invalid_files()
        if not files:
            self.skipTest("no stix21-examples/invalid/ files in data/ or shared data")
        p = self.node.objects_path(self.cf)
        for f in files:
            with self.subTest(file=f):
                raw = en.read_bytes(f)
                try:
                    doc = json.loads(raw.decode("utf-8"))
                except ValueError:
                    doc = None
                if doc is None:
                    # not JSON: wrapped as an envelope the body is still not JSON -> 400
                    body = b'{"objects":[' + raw + b"]}"
                    r = self.node.request("POST", p, user="rw", data=body, content_type=TAXII)
                    self.assertError(r, 400)
                    continue
                if isinstance(doc, dict) and doc.get("type") == "bundle":
                    objs = doc.get("objects", [])
                elif isinstance(doc, list):
                    objs = doc
                else:
                    objs = [doc]
                st = self.assertOk(self.node.post_envelope(self.cf, objs, user="rw"), 202)
                self.assertStatusComplete(st, len(objs), 0, len(objs))
                if "invalid_identity" in f:
                    self.assertRegex(st["failures"][0]["message"], r"(?i)modified")
                if "invalid_timestamp" in f:
                    self.assertRegex(st["failures"][0]["message"], r"(?i)modified")
        j = self.assertOk(self.node.get(p, user="rw", params=[("match[version]", "all"),
                                                             ("match[spec_version]", "2.0,2.1")]))
        self.assertNotIn("objects", j, "nothing of the invalid files may be stored")


if __name__ == "__main__":
    en.main()
