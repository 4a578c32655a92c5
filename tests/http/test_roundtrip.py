"""test_roundtrip.py - every real data file in, every version back out, unchanged.

Data: the repo's data/**.json, plus the shared data folder's **.json when present (byte-identical
files are posted once); stix21-examples/invalid/ is left to test_invalid_corpus.py. Each file goes
into a collection of its own with `enlace push --json`; then every version is read back
(match[version]=all, match[spec_version]=2.0,2.1) and compared with the file: each accepted
object is served with the same members and values (JSON equality; created/modified strings
byte-exact), each refused one is reported with a reason, nothing else is served.

Then ATT&CK ICS 17.1 and 18.1 go into one collection (shared data, or the repo copy): the 77
objects with a newer `modified` in 18.1 appear as second versions and the 70 objects with the
same (id, modified) but different content are refused as conflicts (attack-stix21/PROVENANCE.md).
"""

import glob
import hashlib
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TaxiiAsserts, ts_key  # noqa: E402

CONFLICT_RX = re.compile(r"conflict|differ|different|another|mismatch", re.I)
ALL = [("match[version]", "all"), ("match[spec_version]", "2.0,2.1")]


def data_files():
    """[(label, path)] of the JSON data files, deduplicated by content; and a description."""
    sets = [("repo", en.repo_data_dir())]
    sd = en.shared_data_dir()
    if sd:
        sets.append(("shared", sd))
    out, seen, desc = [], set(), []
    for label, base in sets:
        n_new = 0
        files = sorted(glob.glob(os.path.join(base, "**", "*.json"), recursive=True))
        files = [f for f in files if os.sep + "invalid" + os.sep not in f]
        for f in files:
            h = hashlib.sha256(en.read_bytes(f)).hexdigest()
            if h in seen:
                continue
            seen.add(h)
            out.append((label, f))
            n_new += 1
        desc.append("%s %s: %d files, %d not already in an earlier set" % (label, base, len(files), n_new))
    if not sd:
        desc.append("shared data folder absent: repo data only")
    return out, desc


def split_items(doc):
    """The elements `enlace push` sends, as the contract says: bundle, envelope, array, object."""
    if isinstance(doc, dict) and doc.get("type") == "bundle":
        return list(doc.get("objects") or [])
    if isinstance(doc, dict) and "type" not in doc and "objects" in doc:
        objs = doc["objects"]
        return list(objs) if isinstance(objs, list) else [objs]
    if isinstance(doc, list):
        return doc
    return [doc]


def item_id(o):
    return o.get("id") if isinstance(o, dict) and isinstance(o.get("id"), str) else ""


def item_version(o):
    if not isinstance(o, dict):
        return None
    v = o.get("modified", o.get("created"))
    return v if isinstance(v, str) else None


def key_of(o):
    return (o["id"], ts_key(item_version(o)))

# ---- an independent oracle for clear-cut STIX violations in the real data -----------------------
IDRE = re.compile(r"^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-"
                  r"[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$")  # OASIS schemas/common/identifier.json
NAMED = {"attack-pattern", "campaign", "course-of-action", "identity", "infrastructure", "intrusion-set",
         "threat-actor", "tool", "vulnerability"}
REQ21 = {"indicator": ["pattern", "pattern_type", "valid_from"],
         "relationship": ["relationship_type", "source_ref", "target_ref"],
         "report": ["name", "published", "object_refs"], "sighting": ["sighting_of_ref"],
         "malware": ["is_family"]}
SCO_TYPES = {"artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
             "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
             "user-account", "windows-registry-key", "x509-certificate"}


def known_violations(o):
    """Clear-cut violations (S2.9 ids, S3.2 created/modified precision, S3.6 modified >= created,
    S4/S5 required properties of 2.1 objects). [] when none is found (not: when the object is valid)."""
    if not isinstance(o, dict):
        return ["not a JSON object"]
    v = []
    i, t = o.get("id"), o.get("type")
    if not isinstance(t, str):
        v.append("no type")
    if not isinstance(i, str) or not IDRE.match(i):
        v.append("id %r is not <type>--<RFC 4122 UUID>" % (i,))
    elif isinstance(t, str) and i.split("--")[0] != t:
        v.append("id type differs from type")
    if t not in SCO_TYPES:
        for k in ("created", "modified"):
            x = o.get(k)
            if x is not None and (not isinstance(x, str) or not re.search(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,}Z$", x)):
                v.append("%s %r: not a STIX timestamp with milliseconds" % (k, x))
        c, m = o.get("created"), o.get("modified")
        if isinstance(c, str) and isinstance(m, str) and ts_key(c)[0] != "raw" and ts_key(m)[0] != "raw":
            kc, km = ts_key(c), ts_key(m)
            if km[:6] + (km[6].ljust(9, "0"),) < kc[:6] + (kc[6].ljust(9, "0"),):
                v.append("modified before created")
    if o.get("spec_version") == "2.1":
        for k in REQ21.get(t, []) + (["name"] if t in NAMED else []):
            if k not in o:
                v.append("%s without required %s" % (t, k))
    return v


class TestRoundtrip(TaxiiAsserts, unittest.TestCase):
    push_cache = {}

    @classmethod
    def setUpClass(cls):
        cls.files, desc = data_files()
        print("\n  data sets used:\n    " + "\n    ".join(desc), file=sys.stderr)
        n = cls.node = en.Node()
        cls.pw = n.add_user("loader")
        cls.coll = {}
        t0 = time.time()
        for i, (label, f) in enumerate(cls.files):
            c = n.create_collection("rt %d %s" % (i, os.path.basename(f))[:200])
            n.grant(c, "loader")
            cls.coll[f] = c
        cls.ics17 = en.find_data_file("attack-stix21/ics-attack-17.1.json")
        cls.ics18 = en.find_data_file("attack-stix21/ics-attack-18.1.json")
        cls.ics_coll = n.create_collection("ICS 17.1 then 18.1")
        n.grant(cls.ics_coll, "loader")
        cls.ics_alone_coll = n.create_collection("ICS 18.1 alone")
        n.grant(cls.ics_alone_coll, "loader")
        print("  %d collections made in %.1fs" % (len(cls.files) + 1, time.time() - t0), file=sys.stderr)
        n.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def push(self, coll, path):
        r = en.run(["push", "--url", self.node.api, "--collection", coll, "--user", "loader",
                    "--password", self.pw, "--json", path], timeout=600)
        self.assertIn(r.returncode, (0, 3), "push %s exit %d: %s" % (path, r.returncode, r.stderr[-2000:]))
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        results = [l for l in lines if "summary" not in l]
        summ = [l["summary"] for l in lines if "summary" in l]
        self.assertEqual(len(summ), 1, "push --json must end with one summary line: %s" % r.stdout[-500:])
        s = summ[0]
        self.assertEqual(s["objects"], len(results))
        self.assertEqual(s["accepted"], sum(1 for x in results if x["result"] == "accepted"))
        self.assertEqual(s["rejected"], sum(1 for x in results if x["result"] == "rejected"))
        self.assertEqual(r.returncode, 3 if s["rejected"] else 0, "exit code vs summary %r" % s)
        for x in results:
            self.assertIn(x["result"], ("accepted", "rejected"), x)
            if x["result"] == "rejected":
                self.assertTrue(x.get("message"), "rejected without a reason: %r" % x)
        return results

    def pair(self, items, results):
        """Pair push result lines with the file's elements (by id, then version string, in order)."""
        by_id = {}
        for idx, o in enumerate(items):
            by_id.setdefault(item_id(o), []).append(idx)
        status = [None] * len(items)
        for x in results:
            cand = by_id.get(x.get("id") or "", [])
            if not cand:
                return None, "result for an id not in the file: %r" % x
            pick = None
            for idx in cand:
                if x.get("version") and item_version(items[idx]) == x.get("version"):
                    pick = idx
                    break
            if pick is None:
                pick = cand[0]
            cand.remove(pick)
            status[pick] = x
        missing = [i for i, s in enumerate(status) if s is None]
        if missing:
            return None, "%d elements without a result line, e.g. %r" % (len(missing), items[missing[0]])
        return status, None

    def check_file(self, path, coll):
        doc = en.load_json(path)
        items = split_items(doc)
        results = self.push(coll, path)
        problems = []
        if len(results) != len(items):
            return ["%s: %d result lines for %d elements" % (path, len(results), len(items))], results
        status, err = self.pair(items, results)
        if err:
            return ["%s: %s" % (path, err)], results
        accepted = {}
        for o, x in zip(items, status):
            if x["result"] != "accepted":
                continue
            if not item_id(o):
                problems.append("%s: element without id accepted: %r" % (path, o))
                continue
            v = item_version(o)
            if v is not None and x.get("version") != v:
                problems.append("%s: %s reported version %r, object has %r" % (path, o["id"], x.get("version"), v))
            accepted.setdefault(key_of(o), []).append(o)
        served, _ = self.node.get_all(self.node.objects_path(coll), user="loader", params=ALL, limit=1000)
        smap = {}
        for o in served:
            k = key_of(o)
            if k in smap:
                problems.append("%s: version %r served twice" % (path, k))
            smap[k] = o
        for k, copies in accepted.items():
            if k not in smap:
                problems.append("%s: accepted %s %s not served" % (path, k[0], copies[0].get("modified", copies[0].get("created"))))
                continue
            for c in copies:
                if smap[k] != c:
                    problems.append("%s: %s served differs from an accepted copy" % (path, k[0]))
                    break
            for prop in ("created", "modified"):
                if prop in copies[0] and smap[k].get(prop) != copies[0][prop]:
                    problems.append("%s: %s %s %r served as %r" % (path, k[0], prop, copies[0][prop], smap[k].get(prop)))
        # the manifest reports each version with the producer's string, byte-exact
        recs, _ = self.node.get_all("/api/collections/%s/manifest/" % coll, user="loader", params=ALL, limit=1000)
        if len(recs) != len(served):
            problems.append("%s: manifest has %d records, objects %d" % (path, len(recs), len(served)))
        # (ids compare case-insensitively, RFC 4122 section 3: enlace keys them, and reports them
        # in manifests, in lower case; the served object is the body as received)
        mv = {}
        for x in recs:
            mv.setdefault(x["id"].lower(), set()).add(x["version"])
        for k, copies in accepted.items():
            v = item_version(copies[0])
            if v is not None and v not in mv.get(k[0].lower(), set()):
                problems.append("%s: manifest lacks version %r of %s (has %r)" % (path, v, k[0],
                                                                                sorted(mv.get(k[0].lower(), []))[:3]))
        extra = set(smap) - set(accepted)
        for k in sorted(extra, key=str)[:5]:
            problems.append("%s: served but never accepted: %s" % (path, k))
        return problems, results

    def test_1_every_data_file(self):
        if not self.files:
            self.skipTest("no data files in data/ or the shared data folder")
        problems = []
        tot = acc = rej = 0
        t0 = time.time()
        for label, f in self.files:
            try:
                p, results = self.check_file(f, self.coll[f])
            except AssertionError as e:
                p, results = ["%s: %s" % (f, str(e).splitlines()[0][:300])], []
            self.push_cache[f] = results
            problems += p
            tot += len(results)
            a = sum(1 for x in results if x["result"] == "accepted")
            acc += a
            rej += len(results) - a
        print("\n  %d files, %d objects: %d accepted, %d rejected, in %.1fs"
              % (len(self.files), tot, acc, rej, time.time() - t0), file=sys.stderr)
        self.assertEqual(problems, [], "\n".join(problems[:60]))

    def test_3_known_violations_in_real_data_refused(self):
        """Every element of the real data that breaks a clear-cut rule (see known_violations) was
        refused (the roundtrip above only checks consistency with what the node decided)."""
        if not self.files:
            self.skipTest("no data files")
        problems, n_flagged = [], 0
        for label, f in self.files:
            items = split_items(en.load_json(f))
            flagged = [(k, known_violations(o)) for k, o in enumerate(items)]
            flagged = [(k, v) for k, v in flagged if v]
            if not flagged:
                continue
            results = self.push_cache.get(f) or self.push(self.coll[f], f)
            status, err = self.pair(items, results)
            if err:
                problems.append("%s: %s" % (f, err))
                continue
            for k, v in flagged:
                n_flagged += 1
                if status[k]["result"] != "rejected":
                    problems.append("%s: %s accepted despite: %s" % (os.path.relpath(f, en.src_dir()), item_id(items[k]) or "(no id)", "; ".join(v)))
        print("\n  %d elements of the real data break a clear-cut rule; all must be refused" % n_flagged, file=sys.stderr)
        self.assertEqual(problems, [], "\n".join(problems[:40]))

    def test_2_ics_17_then_18(self):
        if not (self.ics17 and self.ics18):
            self.skipTest("ATT&CK ICS 17.1 and 18.1 not both present (shared data folder absent?)")
        print("\n  ICS: %s then %s" % (self.ics17, self.ics18), file=sys.stderr)
        a = {o["id"]: o for o in en.load_json(self.ics17)["objects"]}
        b = {o["id"]: o for o in en.load_json(self.ics18)["objects"]}
        common = set(a) & set(b)
        newer = {i for i in common if item_version(b[i]) != item_version(a[i])}
        collide = {i for i in common if i not in newer and a[i] != b[i]}
        # PROVENANCE.md: 1413 common ids, 77 newer, 70 collisions
        self.assertEqual((len(common), len(newer), len(collide)), (1413, 77, 70),
                         "the data disagree with attack-stix21/PROVENANCE.md")
        r17 = self.push(self.ics_coll, self.ics17)
        acc17 = {x["id"] for x in r17 if x["result"] == "accepted"}
        r18 = self.push(self.ics_coll, self.ics18)
        res18 = {x["id"]: x for x in r18}
        # 18.1 alone (from test_1 when it ran, else pushed now into a fresh collection)
        alone = None
        for f, res in self.push_cache.items():
            if os.path.abspath(f) == os.path.abspath(self.ics18) or \
                    hashlib.sha256(en.read_bytes(f)).hexdigest() == hashlib.sha256(en.read_bytes(self.ics18)).hexdigest():
                alone = res
                break
        if alone is None:
            alone = self.push(self.ics_alone_coll, self.ics18)
        ok_alone = {x["id"] for x in alone if x["result"] == "accepted"}
        problems = []
        conflicts = {i for i, x in res18.items() if x["result"] == "rejected" and CONFLICT_RX.search(x.get("message", ""))}
        want_conf = {i for i in collide if i in acc17 and i in ok_alone}
        if conflicts != want_conf:
            problems.append("conflict refusals: %d, expected %d; unexpected %s; missing %s"
                            % (len(conflicts), len(want_conf), sorted(conflicts - want_conf)[:5],
                               sorted(want_conf - conflicts)[:5]))
        for i in collide & want_conf:
            if res18[i]["result"] != "rejected":
                problems.append("%s: same version, different content, accepted" % i)
        for i in set(b) - collide:
            want = "accepted" if i in ok_alone else "rejected"
            if res18[i]["result"] != want:
                problems.append("%s: %s in 17.1+18.1 but %s alone: %r" % (i, res18[i]["result"], want, res18[i]))
        served, _ = self.node.get_all(self.node.objects_path(self.ics_coll), user="loader", params=ALL, limit=1000)
        vers = {}
        for o in served:
            vers.setdefault(o["id"], []).append(o)
        for i in newer:
            if i in acc17 and i in ok_alone:
                got = sorted(item_version(o) for o in vers.get(i, []))
                want = sorted([item_version(a[i]), item_version(b[i])])
                if got != want:
                    problems.append("%s: versions %r, expected %r" % (i, got, want))
        for i in want_conf:
            if vers.get(i) != [a[i]]:
                problems.append("%s: collision must leave the 17.1 copy alone, got %d versions" % (i, len(vers.get(i, []))))
        expected_keys = {key_of(a[i]) for i in acc17} | {key_of(b[i]) for i in res18
                                                          if res18[i]["result"] == "accepted"}
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        self.assertEqual({key_of(o) for o in served}, expected_keys)
        self.assertEqual(len(served), len(expected_keys))
        n_two = sum(1 for i in newer if len(vers.get(i, [])) == 2)
        print("  ICS: %d conflicts refused, %d ids with 2 versions, %d versions served"
              % (len(conflicts), n_two, len(served)), file=sys.stderr)


if __name__ == "__main__":
    en.main()
