#!/usr/bin/python3
"""Cut the committed slice of the OFAC SDN list out of the full files (see PROVENANCE.md).

Usage: make_slice.py SRC_DIR OUT_DIR
SRC_DIR holds 2021-04-complete-set/{sdn,add,alt}.csv and 2024-05-03-sdn-only/sdn.csv.
Kept: sdn rows carrying program SDNTK or ILLICIT-DRUGS-EO14059 (the narcotics programs) whose row
mentions "mexico" (case-insensitive, anywhere in the line); plus the narcotics rows those name in
a "Linked To:" remark (one hop, so that their relationships resolve) and the narcotics entities
whose name has the word CARTEL (the cartels of the scenario); every alt.csv row of those ent_nums; and of add.csv,
the first row (in file order) of each kept ent_num whose SDN_Type is entity (-0-), so that the
slice stays under 400 KB (individuals keep their places of birth and nationality in sdn.csv).
Lines are copied byte for byte (CRLF kept) and each file ends with the original 0x1A line."""
import csv
import io
import os
import re
import sys

PROGRAMS = {"SDNTK", "ILLICIT-DRUGS-EO14059"}


def lines(path):
    with open(path, "rb") as f:
        data = f.read()
    return [l for l in data.split(b"\r\n") if l and l != b"\x1a"]


def write(path, kept):
    with open(path, "wb") as f:
        f.write(b"".join(l + b"\r\n" for l in kept) + b"\x1a")


def narcotics(row):
    return len(row) == 12 and bool(PROGRAMS & set(row[3].split("] [")))


def sdn_slice(src, dst):
    src_lines = lines(src)
    rows = [next(csv.reader(io.StringIO(l.decode("ascii")))) for l in src_lines]
    by_name = {}
    for r in rows:
        if len(r) == 12:
            by_name.setdefault(r[1], r[0])
    ents = {r[0] for r, l in zip(rows, src_lines) if narcotics(r) and b"mexico" in l.lower()}
    ents |= {r[0] for r in rows if narcotics(r) and r[2] == "-0- " and re.search(r"\bCARTEL\b", r[1])}
    linked = set()
    for r in rows:
        if r[0] in ents:
            for name in re.findall(r"Linked To: ([^;]*)", r[11]):
                name = name.strip()
                ent = by_name.get(name) or by_name.get(name.rstrip("."))
                if ent:
                    linked.add(ent)
    ents |= {r[0] for r in rows if r[0] in linked and narcotics(r)}
    kept = [l for r, l in zip(rows, src_lines) if r[0] in ents]
    entities = {r[0] for r in rows if r[0] in ents and r[2] == "-0- "}
    write(dst, kept)
    return ents, entities


def by_ent(src, dst, ents, first_only=False):
    kept, seen = [], set()
    for l in lines(src):
        ent = l.split(b",", 1)[0].decode("ascii")
        if ent in ents and not (first_only and ent in seen):
            kept.append(l)
            seen.add(ent)
    write(dst, kept)


def main():
    src, out = sys.argv[1], sys.argv[2]
    for d in ("2021-04", "2024-05-03"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    full = os.path.join(src, "2021-04-complete-set")
    ents, entities = sdn_slice(os.path.join(full, "sdn.csv"), os.path.join(out, "2021-04/sdn.csv"))
    by_ent(os.path.join(full, "alt.csv"), os.path.join(out, "2021-04/alt.csv"), ents)
    by_ent(os.path.join(full, "add.csv"), os.path.join(out, "2021-04/add.csv"), entities, first_only=True)
    sdn_slice(os.path.join(src, "2024-05-03-sdn-only/sdn.csv"), os.path.join(out, "2024-05-03/sdn.csv"))


if __name__ == "__main__":
    main()
