#!/usr/bin/python3
"""medallion-envelope.py - turn OASIS medallion's server state (default_data.json) into a TAXII
envelope of the STIX objects it holds, for `enlace push`.

default_data.json is not a wire message: it is medallion's whole in-memory state, keyed by API
root, with collections that carry "objects" (and a "manifest" we do not need). This takes the
objects of every collection of every API root, in file order, and writes {"objects": [...]}.
Values are kept as parsed (timestamps are strings, so they stay exact).

Usage: medallion-envelope.py IN_JSON OUT_JSON   (prints how many objects from which collections)
Standard library only.
"""
import json
import sys


def main(argv):
    if len(argv) != 3:
        print("usage: medallion-envelope.py default_data.json out.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        state = json.load(f)
    objects, sources = [], []
    for root_name, root in state.items():
        if not isinstance(root, dict):
            continue
        for coll in root.get("collections") or []:
            objs = coll.get("objects") or []
            if objs:
                objects.extend(objs)
                sources.append("%s/%s %r: %d" % (root_name, coll.get("id"), coll.get("title"), len(objs)))
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump({"objects": objects}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("medallion: %d objects extracted (%s)" % (len(objects), "; ".join(sources) or "none"))
    return 0 if objects else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
