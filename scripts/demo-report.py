#!/usr/bin/python3
"""demo-report.py - read what `enlace push --json` and `enlace get --jsonl` wrote during
scripts/demo and say, per collection and per STIX type, whether the node serves exactly the
(id, version) pairs it accepted. Standard library only; run with Debian's /usr/bin/python3.

  demo-report.py summary PUSH.jsonl...      one progress line: objects, accepted, rejected
  demo-report.py report WORKDIR             the full report; exit 0 when every collection
                                            matches and every must-refuse file was refused
  demo-report.py selftest                   check the comparison on a synthetic run

WORKDIR holds plan.tsv, one line per collection: KEY<TAB>TITLE<TAB>COLLECTION_ID, and for each
KEY the files push-KEY.jsonl (and optionally push-KEY--invalid.jsonl: content that must be
refused entirely) and get-KEY.jsonl (every version of every object the node serves).

A version is (id, the instant of "modified", else "created"): timestamps are compared as
instants ("...:00Z" and "...:00.000Z" are one version), the way the node keys them. An SCO with
neither timestamp is one unversioned object per id. The same version accepted from two files is
served once, so accepted counts are of distinct (id, version) pairs.
"""
import collections
import json
import os
import re
import sys

UNVERSIONED = "(unversioned)"
TIME_RE = re.compile(r"(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(?:\.(\d+))?[Zz]")
STIX_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*--[0-9a-fA-F-]{36}")
TIME_ANY_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
MAX_GROUPS = 30        # rejection reasons printed per collection
MAX_PER_GROUP = 2      # objects named per reason


def norm_time(s):
    """The instant of an RFC 3339 STIX timestamp as a canonical string (trailing zeros of the
    fraction dropped); other strings are returned unchanged."""
    m = TIME_RE.fullmatch(s or "")
    if not m:
        return s
    frac = (m.group(3) or "").rstrip("0")
    return "%sT%s%sZ" % (m.group(1), m.group(2), "." + frac if frac else "")


def object_version(obj):
    v = obj.get("modified") or obj.get("created")
    return norm_time(v) if isinstance(v, str) and v else UNVERSIONED


def type_of(ident):
    if not ident:
        return "(no id)"
    return ident.split("--", 1)[0] if "--" in ident else "(malformed id)"


def read_jsonl(path):
    """The JSON values of a JSON-lines file; a line that is not JSON is returned as
    {"_unparsed": text}. A missing file gives []."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"_unparsed": line})
    return out


class FileIndex:
    """id -> objects of one pushed file, to tell unversioned SCOs apart and to fill in a version
    the push output left empty. Files that do not parse index nothing."""

    def __init__(self):
        self.cache = {}

    def objects(self, path, ident):
        if path not in self.cache:
            index = collections.defaultdict(list)
            try:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
                if isinstance(doc, dict) and isinstance(doc.get("objects"), list):
                    items = doc["objects"]
                elif isinstance(doc, list):
                    items = doc
                else:
                    items = [doc]
                for o in items:
                    if isinstance(o, dict) and isinstance(o.get("id"), str):
                        index[o["id"]].append(o)
            except (OSError, ValueError):
                pass
            self.cache[path] = index
        return self.cache[path].get(ident, [])


def accepted_version(rec, files):
    objs = files.objects(rec.get("file") or "", rec.get("id"))
    if objs and all("modified" not in o and "created" not in o for o in objs):
        return UNVERSIONED
    v = rec.get("version")
    if isinstance(v, str) and v:
        return norm_time(v)
    found = {object_version(o) for o in objs}
    return found.pop() if len(found) == 1 else "?"


def push_records(path):
    """(object records, summary dict or None, other lines) of one push output."""
    recs, summary, other = [], None, []
    for r in read_jsonl(path):
        if isinstance(r, dict) and "summary" in r:
            summary = r["summary"]
        elif isinstance(r, dict) and "result" in r:
            recs.append(r)
        else:
            other.append(r)
    return recs, summary, other


SHORT = (("data/stix21-examples/oasis-stix-elevator-idioms-2.1/", "elevator/"),
         ("data/stix21-examples/oasis-stix-slider-idioms-2.1/", "slider/"),
         ("data/stix21-examples/stix-v2.1-spec-examples/", "spec/"),
         ("data/stix21-examples/oasis-json-schemas-examples/", "json-schemas/"),
         ("data/stix21-examples/oasis-cti-documentation-examples/", "cti-doc/"),
         ("data/stix21-examples/oasis-stix-validator-valid/", "validator/"),
         ("data/stix21-examples/", ""), ("data/stix21-realworld/", ""),
         ("data/attack-stix21/", ""), ("data/", ""))


def short_file(path):
    p = path or "?"
    for prefix, short in SHORT:
        if p.startswith(prefix):
            return short + p[len(prefix):]
    return os.path.basename(p) if os.path.isabs(p) or "/demo/" in p else p


def whole_file(rec, recs_of_file=None):
    """True when a rejection is about the whole file: no id, and the only record of its file
    (an element without an id inside a good file is not the whole file)."""
    if rec.get("id"):
        return False
    return recs_of_file is None or len(recs_of_file) == 1


def reason_key(rec):
    msg = (rec.get("message") or "(no reason given)").strip()
    if rec.get("id"):
        msg = msg.replace(rec["id"], "<id>")
    msg = STIX_ID_RE.sub("<ref>", msg)
    return TIME_ANY_RE.sub("<time>", msg)


def cmd_summary(paths):
    n = acc = rej = 0
    files = set()
    for p in paths:
        recs, summary, _ = push_records(p)
        for r in recs:
            files.add(r.get("file"))
        if summary:
            n += int(summary.get("objects", 0))
            acc += int(summary.get("accepted", 0))
            rej += int(summary.get("rejected", 0))
        else:
            n += len(recs)
            acc += sum(1 for r in recs if r.get("result") == "accepted")
            rej += sum(1 for r in recs if r.get("result") != "accepted")
    print("%d objects: %d accepted, %d rejected" % (n, acc, rej))
    return 0


def print_rejections(recs, out_path, indent="   "):
    """Group rejected records by reason; print a compact list, write the full one to out_path."""
    rejected = [r for r in recs if r.get("result") != "accepted"]
    if not rejected:
        return
    groups = collections.OrderedDict()
    for r in rejected:
        groups.setdefault(reason_key(r), []).append(r)
    with open(out_path, "w", encoding="utf-8") as f:
        for key, rs in groups.items():
            f.write("%d x %s\n" % (len(rs), key))
            for r in rs:
                f.write("    %s %s %s\n" % (r.get("file"), r.get("id") or "(no id)",
                                           r.get("version") or ""))
    print("%srejected %d object(s), %d reason(s) (full list: %s):"
          % (indent, len(rejected), len(groups), os.path.relpath(out_path)))
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    for key, rs in ordered[:MAX_GROUPS]:
        print("%s  %3d x %s" % (indent, len(rs), key if len(key) <= 110 else key[:107] + "..."))
        if len(rs) <= MAX_PER_GROUP:
            shown = rs
        else:   # one example from each source folder, at most MAX_PER_GROUP
            seen, shown = set(), []
            for r in rs:
                folder = short_file(r.get("file")).split("/")[0]
                if folder not in seen and len(shown) < MAX_PER_GROUP:
                    seen.add(folder)
                    shown.append(r)
        for i, r in enumerate(shown):
            more = (" (+%d more)" % (len(rs) - len(shown))
                    if i == len(shown) - 1 and len(rs) > len(shown) else "")
            print("%s        %s %s%s" % (indent, short_file(r.get("file")), r.get("id") or "(no id)", more))
    if len(ordered) > MAX_GROUPS:
        rest = sum(len(rs) for _, rs in ordered[MAX_GROUPS:])
        print("%s  ... %d more reason(s) covering %d object(s), in the full list"
              % (indent, len(ordered) - MAX_GROUPS, rest))


def type_table(acc_by_type, served_by_type, pushed_by_type, rejected_by_type, indent="   "):
    types = sorted(set(acc_by_type) | set(served_by_type) | set(pushed_by_type))
    rows = []
    for t in types:
        a, s = acc_by_type.get(t, set()), served_by_type.get(t, set())
        rows.append((t, pushed_by_type.get(t, 0), rejected_by_type.get(t, 0), len(a), len(s),
                     "OK" if a == s else "MISMATCH"))
    head = "%-30s %6s %6s %6s %6s  %s" % ("type", "pushed", "refus.", "accep.", "served", "")
    cells = ["%-30s %6d %6d %6d %6d  %s" % r for r in rows]
    if len(cells) > 10:   # two columns side by side keep long type lists short
        half = (len(cells) + 1) // 2
        left, right = cells[:half], cells[half:]
        print("%s%-50s   %s" % (indent, head, head))
        for i in range(half):
            print("%s%-50s   %s" % (indent, left[i], right[i] if i < len(right) else ""))
    else:
        print(indent + head)
        for c in cells:
            print(indent + c)


def cmd_report(work):
    plan = []
    with open(os.path.join(work, "plan.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                plan.append(parts[:3])
    files = FileIndex()
    failures, totals = [], []
    for key, title, coll_id in plan:
        recs, _, other = push_records(os.path.join(work, "push-%s.jsonl" % key))
        inv_path = os.path.join(work, "push-%s--invalid.jsonl" % key)
        inv_recs, _, inv_other = push_records(inv_path)
        all_recs = recs + inv_recs
        served = [o for o in read_jsonl(os.path.join(work, "get-%s.jsonl" % key))]

        acc_by_type, served_by_type = collections.defaultdict(set), collections.defaultdict(set)
        pushed_by_type, rejected_by_type = collections.Counter(), collections.Counter()
        n_acc_records = 0
        for r in all_recs:
            t = type_of(r.get("id"))
            pushed_by_type[t] += 1
            if r.get("result") == "accepted":
                n_acc_records += 1
                acc_by_type[t].add((r["id"], accepted_version(r, files)))
            else:
                rejected_by_type[t] += 1
        bad_served = 0
        served_count = collections.Counter()
        for o in served:
            if not isinstance(o, dict) or not isinstance(o.get("id"), str):
                bad_served += 1
                continue
            k = (o["id"], object_version(o))
            served_count[k] += 1
            served_by_type[o.get("type") or type_of(o["id"])].add(k)
        served_twice = sorted(k for k, n in served_count.items() if n > 1)
        acc_all = set().union(*acc_by_type.values()) if acc_by_type else set()
        srv_all = set().union(*served_by_type.values()) if served_by_type else set()
        same = acc_all == srv_all and bad_served == 0 and not served_twice
        ok = same and not other and not inv_other

        n_files = len({r.get("file") for r in all_recs})
        n_rej = sum(rejected_by_type.values())
        print()
        print("== %s  (collection %s, %d file(s))" % (title, coll_id, n_files))
        repeats = n_acc_records - len(acc_all)
        print("   pushed %d: %d accepted%s, %d rejected; served %d version(s) of %d object(s)"
              % (len(all_recs), n_acc_records,
                 " (%d distinct versions; %d repeat an identical version)" % (len(acc_all), repeats)
                 if repeats else "", n_rej, len(srv_all), len({i for i, _ in srv_all})))
        s20_path = os.path.join(work, "get-%s--stix20.jsonl" % key)
        if os.path.exists(s20_path):
            s20 = [o for o in read_jsonl(s20_path) if isinstance(o, dict) and o.get("id")]
            if s20:
                kinds = collections.Counter(o.get("type") for o in s20).most_common(5)
                outside = [o for o in s20 if (o["id"], object_version(o)) not in srv_all]
                print("   STIX 2.0 among them (match[spec_version]=2.0): %d (%s%s)%s"
                      % (len(s20), ", ".join("%s %d" % kv for kv in kinds),
                         ", ..." if len(collections.Counter(o.get("type") for o in s20)) > 5 else "",
                         "; %d not in the full read!" % len(outside) if outside else ""))
                if outside:
                    ok = same = False
        type_table(acc_by_type, served_by_type, pushed_by_type, rejected_by_type)
        print_rejections(recs, os.path.join(work, "rejected-%s.txt" % key))

        if inv_recs or inv_other or os.path.exists(inv_path):
            inv_acc = [r for r in inv_recs if r.get("result") == "accepted"]
            by_file = collections.OrderedDict()
            for r in inv_recs:
                by_file.setdefault(r.get("file"), []).append(r)
            print("   must be refused (%d file(s)):" % len(by_file))
            for fpath, rs in by_file.items():
                r0 = rs[0]
                nrej = sum(1 for r in rs if r.get("result") != "accepted")
                if whole_file(r0, rs) and r0.get("result") != "accepted":
                    what = "rejected whole"
                elif nrej == len(rs):
                    what = "%d/%d object(s) rejected" % (nrej, len(rs))
                else:
                    what = "ACCEPTED %d/%d (must be refused)" % (len(rs) - nrej, len(rs))
                bad = [r for r in rs if r.get("result") != "accepted"]
                msg = ((bad[0] if bad else r0).get("message") or "").strip()
                print("     %-61s %s: %s" % (short_file(fpath), what, msg[:90]))
            if inv_acc:
                ok = False
                failures.append("%s: %d object(s) of must-refuse files were ACCEPTED" % (title, len(inv_acc)))
                print("   FAIL: accepted from must-refuse files: %s" % ", ".join(r.get("id") for r in inv_acc))
            if not inv_recs:
                ok = False
                failures.append("%s: the must-refuse files produced no results" % title)
        if other or inv_other:
            print("   unexpected push output lines: %s" % (other + inv_other)[:3])
        if bad_served:
            print("   %d served line(s) are not STIX objects with an id" % bad_served)
        if served_twice:
            print("   %d (id, version) pair(s) served more than once, e.g. %s %s"
                  % (len(served_twice), served_twice[0][0], served_twice[0][1]))

        missing, extra = sorted(acc_all - srv_all), sorted(srv_all - acc_all)
        if same:
            print("   %s: the %d accepted (id, version) pairs are exactly the ones served"
                  % ("OK" if ok else "FAIL (see above)", len(acc_all)))
        else:
            print("   MISMATCH: %d accepted but not served, %d served but not accepted"
                  % (len(missing), len(extra)))
            for label, items in (("not served", missing), ("not accepted", extra)):
                for ident, ver in items[:5]:
                    print("     %s: %s %s" % (label, ident, ver))
                if len(items) > 5:
                    print("     ... %d more %s" % (len(items) - 5, label))
            failures.append("%s: MISMATCH" % title)
        totals.append((title, len(all_recs), n_acc_records, n_rej, len(acc_all),
                       sum(served_count.values()) + bad_served,
                       "OK" if ok else ("FAIL" if same else "MISMATCH")))

    print()
    print("== Summary: every object pushed through TAXII, read back with every version")
    print("   %-22s %7s %8s %8s %9s %7s  %s" % ("collection", "pushed", "accepted", "rejected",
                                               "distinct", "served", "result"))
    for row in totals:
        print("   %-22s %7d %8d %8d %9d %7d  %s" % row)
    if failures:
        print("   FAILED: " + "; ".join(failures))
        return 1
    print("   all collections OK")
    return 0


def cmd_selftest():
    """Check the comparison on a small synthetic run: versions as instants, repeats, SCOs,
    conflicts, must-refuse files, and that a missing or doubled object is a failure.
    Prints "selftest: N passed, M failed"."""
    import contextlib
    import io
    import shutil
    import tempfile

    checks = []

    def check(name, cond):
        checks.append((name, bool(cond)))

    check("instant: .000Z equals Z", norm_time("2016-11-03T12:30:59.000Z") == norm_time("2016-11-03T12:30:59Z"))
    check("instant: .5 equals .500", norm_time("2016-11-03T12:30:59.5Z") == norm_time("2016-11-03T12:30:59.500Z"))
    check("instant: distinct ms differ", norm_time("2016-11-03T12:30:59.001Z") != norm_time("2016-11-03T12:30:59Z"))
    check("type of a malformed id", type_of("file-1389") == "(malformed id)" and type_of(None) == "(no id)")

    work = tempfile.mkdtemp(prefix="demo-report-selftest.")
    try:
        ind = {"type": "indicator", "id": "indicator--11111111-1111-4111-8111-111111111111",
               "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"}
        ind2 = dict(ind, modified="2020-02-01T00:00:00Z")
        sco = {"type": "ipv4-addr", "id": "ipv4-addr--22222222-2222-5222-8222-222222222222", "value": "192.0.2.1"}
        fa, fb = os.path.join(work, "a.json"), os.path.join(work, "b.json")
        with open(fa, "w") as f:
            json.dump({"type": "bundle", "id": "bundle--x", "objects": [ind, ind2, sco]}, f)
        with open(fb, "w") as f:
            json.dump([dict(ind, modified="2020-01-01T00:00:00Z"), sco], f)

        def rec(path, o, result, version=None, msg=""):
            return {"file": path, "id": o["id"] if o else None,
                    "version": version if version is not None else (o or {}).get("modified"),
                    "result": result, "message": msg}
        push = [rec(fa, ind, "accepted"), rec(fa, ind2, "accepted"),
                rec(fa, sco, "accepted", version="2026-01-01T00:00:00.000001Z"),
                rec(fb, dict(ind, modified="2020-01-01T00:00:00Z"), "accepted", msg="already stored"),
                rec(fb, sco, "accepted", version="2026-01-01T00:00:00.000001Z")]
        inv = [rec("invalid/x.json", None, "rejected", msg="not JSON: unexpected character")]

        def write(name, rows):
            with open(os.path.join(work, name), "w") as f:
                for r in rows:
                    f.write(json.dumps(r) + "\n")

        def run(served):
            write("push-c.jsonl", push + [{"summary": {"objects": 5, "accepted": 5, "rejected": 0}}])
            write("push-c--invalid.jsonl", inv)
            write("get-c.jsonl", served)
            with open(os.path.join(work, "plan.tsv"), "w") as f:
                f.write("c\tC\tcoll-id\n")
            with contextlib.redirect_stdout(io.StringIO()):
                return cmd_report(work)

        check("exact match is OK", run([ind, ind2, sco]) == 0)
        check("a missing version fails", run([ind, sco]) == 1)
        check("an extra version fails", run([ind, ind2, sco, dict(ind, modified="2021-01-01T00:00:00Z")]) == 1)
        check("a version served twice fails", run([ind, ind2, sco, sco]) == 1)
        inv[0]["result"] = "accepted"
        inv[0]["id"] = "identity--33333333-3333-4333-8333-333333333333"
        check("an accepted must-refuse object fails", run([ind, ind2, sco]) == 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    failed = [n for n, ok in checks if not ok]
    for n in failed:
        print("FAILED: " + n)
    print("selftest: %d passed, %d failed" % (len(checks) - len(failed), len(failed)))
    return 1 if failed else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "selftest":
        return cmd_selftest()
    if len(argv) >= 3 and argv[1] == "summary":
        return cmd_summary(argv[2:])
    if len(argv) == 3 and argv[1] == "report":
        return cmd_report(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
