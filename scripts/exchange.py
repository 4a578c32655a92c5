#!/usr/bin/python3
"""exchange.py - the main job's headline: three sovereign enlace nodes on 127.0.0.1 (MX, US, GT;
cast of ../shared/SCENARIO.md) exchange intelligence under sharing agreements, and every
expectation of who holds and reads what is checked. Standard library only (Debian's python3).

  exchange.py --bin build/enlace --work DIR [--keep]

The nodes live in DIR/{mx,us,gt}; their logs in DIR/*.log. Steps (each printed in a few lines):
  1. nodes, organizations, users, collections; `enlace serve` for each (free ports);
  2. partners wired both ways with `enlace partner add` (tokens handed over by this script) and
     agreements: US->MX liaison (max AMBER) and narcotics designations (CLEAR), MX->US arrests
     (GREEN), US->GT designations, MX->GT arrests and MX's mirror of US's liaison collection
     (a relay offer: only what US released to GT without ORCON may flow on);
  3. US imports the OFAC narcotics designations (data/ofac-sdn/, older list then newer) and posts
     the lab observations, a vetted-only lead and a border advisory (data/exchange/); MX posts
     an arrest report;
  4. `enlace sync DIR --once` on each node (learning the partners' signed directories); US vets
     MX's UIN-7; MX's serve worker (--sync-interval) pulls what that vetting opens; a second round
     of --once passes changes nothing (idempotent);
  5. per node: holdings (from whom), reads per user, trust checks of partners' tree heads, and
     US verifying MX's audit log. Exits 1 when any expectation fails.

The module is also imported by tests/http/test_exchange.py (class Exchange).
"""

import argparse
import base64
import glob
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TAXII = "application/taxii+json;version=2.1"
LISTEN_RE = re.compile(r"^enlace: listening on (http://127\.0\.0\.1:\d+/)")
EXT = "extension-definition--c05bc01b-2963-4d49-a373-a33e30f35e95"
VET_UNTIL = "2027-06-30"
# HSI's identity id, fixed so that data/exchange/ may name it (created_by_ref) on every node
HSI_ID = "identity--3f6c1b0e-8d2a-4c5e-9b7f-1a2d3c4e5f60"


class Fail(Exception):
    """An expectation or a step failed: the message says which."""


def src_dir():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def load_objects(path):
    """The objects of a bundle / envelope / array file."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, dict):
        return doc.get("objects", [doc])
    return doc


def version_of(o):
    return o.get("modified") or o.get("created") or ""


def norm_ts(s):
    """A STIX/TAXII timestamp as a comparable instant string (fraction without trailing zeros)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", s or "")
    if not m:
        return s
    frac = (m.group(2) or "").rstrip("0")
    return m.group(1) + ("." + frac if frac else "") + "Z"


def pairs(objs):
    """{(id lower, normalized version)} of a list of objects."""
    return {(o["id"].lower(), norm_ts(version_of(o))) for o in objs}


class Node:
    """One enlace node of the exchange: its directory, server process, users and passwords."""

    def __init__(self, x, party, org):
        self.x, self.party, self.org = x, party, org
        self.dir = os.path.join(x.work, party.lower())
        self.log_path = os.path.join(x.work, party.lower() + ".log")
        self.proc = None
        self.base = None
        self.passwords = {}
        self.info = {}

    # ---- CLI -------------------------------------------------------------------------------
    def cli(self, *args, input=None, check=True, env=None):
        e = {k: v for k, v in os.environ.items()
             if k not in ("ENLACE_USER", "ENLACE_PASSWORD", "ENLACE_TOKEN")}
        if env:
            e.update(env)
        r = subprocess.run([self.x.bin] + [str(a) for a in args], input=input, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=600)
        if check and r.returncode != 0:
            raise Fail("enlace %s -> exit %d: %s" % (" ".join(map(str, args[:3])), r.returncode,
                                                     (r.stderr.strip() or r.stdout.strip())[-800:]))
        return r

    def jcli(self, *args, **kw):
        r = self.cli(*args, **kw)
        try:
            return json.loads(r.stdout)
        except ValueError:
            raise Fail("enlace %s --json printed no JSON: %r" % (" ".join(map(str, args[:2])), r.stdout[:300]))

    def init(self):
        self.info = self.jcli("init", self.dir, "--party", self.party, "--org", self.org, "--json")
        self.passwords[self.info["admin_user"]] = self.info["admin_password"]
        return self

    def add_user(self, name, role, org):
        pw = secrets.token_urlsafe(18)
        self.cli("user", "add", self.dir, name, "--role", role, "--org", org, "--password-stdin",
                 input=pw + "\n")
        self.passwords[name] = pw
        return pw

    def grant(self, coll, user, write=False):
        self.cli("collection", "grant", self.dir, coll, "--user", user, "--read", *(["--write"] if write else []))

    # ---- server ----------------------------------------------------------------------------
    def start(self, sync_interval=0, port=0):
        """Serve the node (port 0: a free one) and wait for its listening line."""
        args = [self.x.bin, "serve", self.dir, "--listen", "127.0.0.1:%d" % port, "--audit-checkpoint", "1"]
        if self.x.has_sync_interval:
            args += ["--sync-interval", str(sync_interval)]
        log = open(self.log_path, "a")
        log.write("---- %s\n" % " ".join(args[1:]))
        log.flush()
        start_at = log.tell()
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log_path) as f:
                f.seek(start_at)
                for line in f:
                    m = LISTEN_RE.match(line)
                    if m:
                        self.base = m.group(1)
                        return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise Fail("node %s did not start (see %s)" % (self.party, self.log_path))

    def restart(self, sync_interval=0):
        """Stop and serve again on the same port (the partners keep its URL)."""
        port = int(self.base.rstrip("/").rsplit(":", 1)[1])
        self.stop()
        for _ in range(25):
            try:
                return self.start(sync_interval, port)
            except Fail:
                if self.proc is not None and self.proc.poll() is None:
                    raise
                self.proc = None
                time.sleep(0.2)
        # the port went to someone else: a new one, and the partners are told its URL
        self.start(sync_interval, 0)
        for n in self.x.nodes:
            if n is not self:
                n.cli("partner", "set", n.dir, "--party", self.party, "--url", self.api)
        return self

    def stop(self):
        if self.proc is None:
            return
        p, self.proc = self.proc, None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Fail("node %s did not stop within 30 s of SIGTERM" % self.party)
        if rc != 0:
            raise Fail("node %s exited %d after SIGTERM (see %s)" % (self.party, rc, self.log_path))

    @property
    def api(self):
        return self.base + "api/"

    # ---- TAXII reads -----------------------------------------------------------------------
    def _get(self, url, user):
        auth = base64.b64encode(("%s:%s" % (user, self.passwords[user])).encode()).decode()
        req = urllib.request.Request(url, headers={"Accept": TAXII, "Authorization": "Basic " + auth})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def read_all(self, coll, user):
        """Every version of every object of collection coll (id or alias) user may read, or None
        when the collection is not open to user (403/404)."""
        out, nxt = [], None
        for _ in range(10000):
            q = [("match[version]", "all"), ("match[spec_version]", "2.0,2.1"), ("limit", "1000")]
            if nxt:
                q.append(("next", nxt))
            st, body = self._get("%scollections/%s/objects/?%s" % (self.api, coll, urllib.parse.urlencode(q)), user)
            if st in (403, 404):
                return None
            if st != 200:
                raise Fail("GET %s objects as %s on %s -> HTTP %d %s" % (coll, user, self.party, st, body[:200]))
            j = json.loads(body)
            out.extend(j.get("objects", []))
            if not j.get("more"):
                return out
            nxt = j.get("next")
        raise Fail("paging %s on %s did not end" % (coll, self.party))


class Exchange:
    """The three-node exchange: build it step by step (setup, wire, load, sync, ...) and check it.
    say(text) prints a line; check(ok, text) records an expectation."""

    def __init__(self, bin_path, work, say=print, data=None):
        self.bin = os.path.abspath(bin_path)
        self.work = os.path.abspath(work)
        self.say = say
        self.data = data or os.path.join(src_dir(), "data")
        self.failures = []
        os.makedirs(self.work, exist_ok=True)
        help_text = subprocess.run([self.bin, "serve", "--help"], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True).stdout
        self.has_sync_interval = "--sync-interval" in help_text
        self.mx = Node(self, "MX", "SSPC")
        self.us = Node(self, "US", "DEA")
        self.gt = Node(self, "GT", "PNC")
        self.nodes = [self.mx, self.us, self.gt]
        self.tokens = {}          # (puller, source) -> bearer token puller uses on source
        self.sync_results = []    # (label, party, parsed JSON or None, text)
        self.files = {k: os.path.join(self.data, "exchange", k + ".json")
                      for k in ("us-lab-surveillance", "us-vetted-lead", "us-border-advisory", "mx-arrest-report")}
        self.objs = {k: load_objects(p) for k, p in self.files.items()}

    def check(self, ok, text):
        self.say("   %s %s" % ("ok  " if ok else "FAIL", text))
        if not ok:
            self.failures.append(text)
        return ok

    # ---- 1. nodes --------------------------------------------------------------------------
    def setup(self):
        mx, us, gt = self.mx, self.us, self.gt
        for n in self.nodes:
            n.init()
        mx.cli("org", "add", mx.dir, "UIN-7", "--description", "navy intelligence unit")
        mx.cli("org", "add", mx.dir, "FGR", "--description", "attorney general's office")
        mx.add_user("ana.ruiz", "analyst", "SSPC")
        mx.add_user("luis.mora", "approver", "UIN-7")
        us.cli("org", "add", us.dir, "HSI", "--identity", HSI_ID, "--description", "homeland-security investigations")
        us.cli("org", "add", us.dir, "NORTHCOM", "--description", "northern command (surveillance on its own side)")
        us.add_user("sam.price", "analyst", "HSI")
        gt.add_user("rosa.xoc", "analyst", "PNC")
        us.cli("collection", "create", us.dir, "--title", "Liaison with MX", "--alias", "liaison",
               "--description", "what US agencies share with Mexican officials")
        us.cli("collection", "create", us.dir, "--title", "Narcotics designations", "--alias", "designations",
               "--description", "OFAC SDN list, programs SDNTK and ILLICIT-DRUGS-EO14059", "--default-tlp", "clear")
        us.grant("liaison", "sam.price", write=True)
        us.grant("designations", "sam.price", write=True)
        mx.cli("collection", "create", mx.dir, "--title", "Arrests", "--alias", "arrests",
               "--description", "arrests of cartel members")
        mx.grant("arrests", "ana.ruiz", write=True)
        mx.grant("arrests", "luis.mora")
        for n in self.nodes:
            n.start()
        self.say("   MX %s  SSPC node; UIN-7, FGR; ana.ruiz (SSPC analyst), luis.mora (UIN-7 approver)" % mx.base)
        self.say("   US %s  DEA node; HSI, NORTHCOM; sam.price (HSI analyst)" % us.base)
        self.say("   GT %s  PNC node; rosa.xoc (PNC analyst)" % gt.base)

    # ---- 2. partners and agreements --------------------------------------------------------
    def wire(self):
        for a, b in ((self.mx, self.us), (self.mx, self.gt), (self.us, self.gt)):
            # on a: register b; a prints the token b pulls from a with
            ja = a.jcli("partner", "add", a.dir, "--party", b.party, "--url", b.api,
                        "--pubkey", b.info["node_pubkey"], "--json")
            tb = ja["token"]
            jb = b.jcli("partner", "add", b.dir, "--party", a.party, "--url", a.api,
                        "--pubkey", a.info["node_pubkey"], "--token", tb, "--json")
            ta = jb["token"]
            a.cli("partner", "set", a.dir, "--party", b.party, "--token", ta)
            self.tokens[(b.party, a.party)] = tb
            self.tokens[(a.party, b.party)] = ta
        self.say("   partners MX<->US, MX<->GT, US<->GT: node keys pinned, pull tokens handed over")
        us, mx = self.us, self.mx
        for node, party, coll, tlp in ((us, "MX", "liaison", "amber"), (us, "MX", "designations", "clear"),
                                       (us, "GT", "designations", "clear"), (mx, "US", "arrests", "green"),
                                       (mx, "GT", "arrests", "green")):
            node.cli("agreement", "set", node.dir, "--partner", party, "--collection", coll, "--max-tlp", tlp)
            self.say("   agreement: %s may pull %s's %-12s up to TLP:%s" % (party, node.party, coll, tlp.upper()))

    def offer_relay(self):
        """MX offers GT its mirror of US's liaison collection: the relay rule must keep the ORCON
        lab observations (and the lead released to MX only) from GT."""
        self.mx.cli("agreement", "set", self.mx.dir, "--partner", "GT", "--collection", "us-liaison",
                    "--max-tlp", "amber")
        self.say("   agreement: GT may pull MX's us-liaison (MX's mirror of US's liaison) up to TLP:AMBER (relay rule at work)")

    # ---- 3. data ---------------------------------------------------------------------------
    def ofac_lists(self):
        """[(list date or None, [sdn.csv, add.csv?, alt.csv?])] of the committed OFAC slice,
        oldest first."""
        out = []
        for d in sorted(glob.glob(os.path.join(self.data, "ofac-sdn", "*", ""))):
            sdn = os.path.join(d, "sdn.csv")
            if not os.path.isfile(sdn):
                continue
            files = [sdn] + [os.path.join(d, f) for f in ("add.csv", "alt.csv") if os.path.isfile(os.path.join(d, f))]
            m = re.fullmatch(r"(\d{4}-\d\d-\d\d)", os.path.basename(os.path.dirname(d)))
            out.append((m.group(1) if m else None, files))
        return out

    # the list date of a slice folder named by month only (data/ofac-sdn/PROVENANCE.md: the
    # 2021-04 set is the list as published between 2021-04-21 and 2021-04-25)
    LIST_DATES = {"2021-04": "2021-04-25"}

    def import_ofac(self):
        """US imports each OFAC list of the slice, oldest first (the newer one versions, never
        duplicates); returns the import --json documents."""
        us = self.us
        lists = self.ofac_lists()
        if not lists:
            raise Fail("no OFAC slice under %s/ofac-sdn/*/sdn.csv" % self.data)
        out = []
        for date, files in lists:
            folder = os.path.basename(os.path.dirname(files[0]))
            date = date or self.LIST_DATES.get(folder)
            args = ["import", "ofac-sdn", us.dir, "--collection", "designations"] + files + ["--tlp", "clear", "--json"]
            if date:
                args += ["--list-date", date]
            j = us.jcli(*args)
            out.append(j)
            self.say("   US imports the OFAC list of %s (%s): %s new objects, %s new versions, %s unchanged"
                     " (%s individuals, %s entities, %s cartels; %s warnings)"
                     % (j.get("list_date"), "+".join(os.path.basename(f) for f in files), j.get("new"),
                        j.get("versions"), j.get("unchanged"), j.get("individuals"), j.get("entities"),
                        j.get("threat_actors"), len(j["warnings"]) if isinstance(j.get("warnings"), list) else j.get("warnings")))
        return out

    def push(self, node, user, coll, key):
        r = node.cli("push", "--url", node.api, "--collection", coll, "--json", self.files[key],
                     env={"ENLACE_USER": user, "ENLACE_PASSWORD": node.passwords[user]}, check=False)
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        summ = [l["summary"] for l in lines if "summary" in l]
        if r.returncode != 0 or not summ or summ[0]["rejected"]:
            raise Fail("push %s as %s -> exit %d: %s %s" % (key, user, r.returncode, r.stdout[-500:], r.stderr[-300:]))
        self.say("   %s (%s) posts %s into %s: %d objects accepted" % (user, node.party, os.path.basename(self.files[key]),
                                                                     coll, summ[0]["accepted"]))

    def load(self):
        self.imports = self.import_ofac()
        self.push(self.us, "sam.price", "liaison", "us-lab-surveillance")
        self.push(self.us, "sam.price", "liaison", "us-vetted-lead")
        self.push(self.us, "sam.price", "liaison", "us-border-advisory")
        self.push(self.mx, "ana.ruiz", "arrests", "mx-arrest-report")

    # ---- 4. sync ---------------------------------------------------------------------------
    def sync_once(self, node, label):
        """`enlace sync DIR --once --json` on node; prints its lines; returns the parsed JSON."""
        r = node.cli("sync", node.dir, "--once", "--json", check=False)
        try:
            j = json.loads(r.stdout)
        except ValueError:
            j = None
        self.sync_results.append((label, node.party, j, r.stdout))
        for line in self.sync_lines(j, r.stdout, first=(label == "first")):
            self.say("   %s %s" % (node.party, line))
        if r.returncode != 0:
            raise Fail("enlace sync %s --once exited %d: %s" % (node.party, r.returncode, r.stderr.strip()[-500:]))
        return j

    @staticmethod
    def partner_reports(j):
        """The per-partner reports of a `sync --json` document ({"partners": [...]})."""
        return j.get("partners", []) if isinstance(j, dict) else []

    def sync_lines(self, j, text, first=False):
        if j is None:
            return [l for l in text.splitlines() if l.strip()]
        out = []
        for p in self.partner_reports(j):
            ms = p.get("mirrors") or []
            parts = []
            for m in ms:
                bits = ["%s new" % m.get("added", 0)]
                for k in ("known", "loops", "refused", "swept"):
                    if m.get(k):
                        bits.append("%s %s" % (m[k], k))
                if m.get("restarted") and not first:
                    bits.append("from the start (policy epoch changed)")
                parts.append("%s: %s" % (m.get("alias") or m.get("collection"), ", ".join(bits)))
            trust = ("trust: tree head %s consistent" % p.get("tree_size")) if p.get("trust_checked") else "trust: not checked"
            status = "ok" if p.get("ok", True) else "FAILED: %s" % p.get("error")
            out.append("<- %s %s; %s; %s" % (p.get("party"), status, trust,
                                            "; ".join(parts) if parts else "nothing offered"))
        return out

    def sync_round(self, label):
        for n in (self.us, self.mx, self.gt):
            self.sync_once(n, label)

    def vet_uin7(self):
        self.us.cli("org", "vet", self.us.dir, "UIN-7", "--until", VET_UNTIL)
        self.say("   US vets MX's UIN-7 until %s (UIN-7 learned from MX's signed directory)" % VET_UNTIL)

    def liaison_and_grants(self):
        mx, gt = self.mx, self.gt
        mx.add_user("kate.doyle", "liaison", "DEA")
        self.say("   MX: kate.doyle, liaison of DEA (organization learned from US's signed directory)")
        for coll in ("us-liaison", "us-designations"):
            for u in ("ana.ruiz", "luis.mora", "kate.doyle"):
                mx.grant(coll, u)
        for coll in ("mx-arrests", "us-designations", "mx-us-liaison"):
            gt.grant(coll, "rosa.xoc")
        self.us.grant("mx-arrests", "sam.price")

    def worker_pass(self, timeout=60):
        """Restart MX with the serve worker on and wait until it pulled the vetted-only lead."""
        mx = self.mx
        if not self.has_sync_interval:
            raise Fail("enlace serve has no --sync-interval")
        mx.restart(sync_interval=2)
        lead = self.objs["us-vetted-lead"][0]["id"]
        deadline = time.time() + timeout
        while time.time() < deadline:
            objs = mx.read_all("us-liaison", "luis.mora") or []
            if any(o["id"] == lead for o in objs):
                break
            time.sleep(0.5)
        else:
            raise Fail("MX's sync worker did not pull the vetted-only lead within %d s (see %s)" % (timeout, mx.log_path))
        with open(mx.log_path) as f:
            lines = [l.rstrip() for l in f if l.startswith("enlace: sync")][-2:]
        for l in lines:
            self.say("   MX worker: %s" % l)
        mx.restart(sync_interval=0)

    # ---- 5. report -------------------------------------------------------------------------
    def holdings(self, node):
        return node.jcli("holdings", node.dir, "--json")

    def print_holdings(self):
        for n in self.nodes:
            j = self.holdings(n)
            self.say("   %s holds:" % n.party)
            for line in self.holding_lines(j.get("holdings", [])):
                self.say("      " + line)

    @staticmethod
    def holding_lines(rows):
        """One line per collection: own or mirror of PARTY, then objects/versions by originator."""
        by_coll, order = {}, []
        for r in rows:
            k = r.get("collection")
            if k not in by_coll:
                by_coll[k] = []
                order.append(k)
            by_coll[k].append(r)
        out = []
        for k in order:
            rs = by_coll[k]
            src = "from %s" % rs[0]["mirror_of"] if rs[0].get("mirror_of") else "own"
            who = "; ".join("%s objects, %s versions by %s (%s)" % (r.get("objects"), r.get("versions"),
                                                                   r.get("originator"), r.get("party")) for r in rs
                            if r.get("versions"))
            out.append("%-36s %-8s %s" % (rs[0].get("title"), src, who or "empty"))
        return out

    def check_reads(self):
        mx, gt, us = self.mx, self.gt, self.us
        lab = pairs(self.objs["us-lab-surveillance"])
        lead = pairs(self.objs["us-vetted-lead"])
        adv = self.objs["us-border-advisory"]
        adv_orcon = pairs([o for o in adv if o["extensions"][EXT].get("orcon")])
        adv_free = pairs(adv) - adv_orcon
        arrest = self.objs["mx-arrest-report"]
        report_id = [o["id"] for o in arrest if o["type"] == "report"][0]
        cartel = pairs([o for o in arrest if o["type"] == "threat-actor"])
        reads = {}
        for u in ("luis.mora", "ana.ruiz", "kate.doyle"):
            reads[u] = pairs(mx.read_all("us-liaison", u) or [])
        self.say("   MX, mirror us-liaison: luis.mora (UIN-7) reads %d versions, ana.ruiz (SSPC) %d, kate.doyle (DEA liaison) %d"
                 % (len(reads["luis.mora"]), len(reads["ana.ruiz"]), len(reads["kate.doyle"])))
        base = lab | pairs(adv)
        self.check(reads["luis.mora"] == base | lead, "MX: luis.mora (UIN-7, vetted by US) reads the lab observations, the advisory and the vetted-only lead")
        self.check(reads["ana.ruiz"] == base, "MX: ana.ruiz (SSPC, not vetted) reads the lab observations and the advisory, not the vetted-only lead")
        self.check(reads["kate.doyle"] == base, "MX: kate.doyle (DEA liaison) reads the lab observations and the advisory, not the vetted-only lead")
        gt_all = set()
        for coll in ("mx-arrests", "us-designations", "mx-us-liaison"):
            gt_all |= pairs(gt.read_all(coll, "rosa.xoc") or [])
        gt_ids = {i for i, _ in gt_all}
        self.check(report_id not in gt_ids, "GT: no arrest report (GREEN, releasable to US only)")
        self.check(not (lab & gt_all) and not ({i for i, _ in lab} & gt_ids),
                   "GT: no lab observation (released to MX only, and ORCON)")
        self.check(not ({i for i, _ in adv_orcon} & gt_ids),
                   "GT: not the ORCON uplink indicator, though US released it to GT: MX's node does not relay it")
        self.check(adv_free <= gt_all, "GT: the border advisory (GREEN, released to GT, no ORCON) relayed by MX's node")
        relayed = [(r.get("originator"), r.get("party")) for r in self.holdings(gt).get("holdings", [])
                   if r.get("mirror_of") == "MX" and r.get("title", "").startswith("Liaison")]
        self.check(relayed == [("HSI", "US")], "GT: the relayed advisory keeps its originator, HSI (US), "
                   "though it came from MX%s" % ("" if relayed == [("HSI", "US")] else " (holdings: %s)" % relayed))
        self.check(cartel <= gt_all, "GT: the arrest report's public part (the CLEAR cartel) arrived from MX")
        us_arrests = pairs(us.read_all("mx-arrests", "sam.price") or [])
        self.check(us_arrests == pairs(arrest), "US: sam.price reads MX's whole arrest report (%d objects)" % len(us_arrests))
        desig_us = pairs(us.read_all("designations", "sam.price") or [])
        desig_mx = pairs(mx.read_all("us-designations", "ana.ruiz") or [])
        desig_gt = pairs(gt.read_all("us-designations", "rosa.xoc") or [])
        nids = len({i for i, _ in desig_us})
        self.check(desig_us and desig_mx == desig_us and desig_gt == desig_us,
                   "MX and GT hold US's %d designation versions (%d ids) exactly" % (len(desig_us), nids))

    def check_trust(self):
        """Each node's last trust checks of its partners' heads, and US verifying MX's log."""
        last = {}
        for label, party, j, _ in self.sync_results:
            for p in self.partner_reports(j):
                last[(party, p.get("party"))] = p
        for (party, partner), p in sorted(last.items()):
            self.check(bool(p.get("trust_checked")) and p.get("ok", True),
                       "%s checked %s's signed tree head (size %s): consistent with the last one it kept"
                       % (party, partner, p.get("tree_size")))
        time.sleep(1.2)   # heads are signed every second (--audit-checkpoint 1)
        mx = self.mx
        state = os.path.join(self.work, "us-verifies-mx.state")
        r = mx.cli("audit", "verify", "--url", mx.base, "--pubkey", os.path.join(mx.dir, "node.pub"),
                   "--state", state, "--entries", "--token", self.tokens[("US", "MX")], check=False)
        self.check(r.returncode == 0, "US verifies MX's audit log with its partner token: %s"
                   % (r.stdout.strip().splitlines() or [r.stderr.strip()])[-1])

    # ---- whole run -------------------------------------------------------------------------
    def run(self):
        step = lambda t: self.say("\n## exchange: %s" % t)
        step("three nodes on 127.0.0.1 (MX, US, GT)")
        self.setup()
        step("partners (enlace partner add, both ways) and agreements")
        self.wire()
        step("data: OFAC designations, lab observations, a vetted-only lead, a border advisory, an arrest report")
        self.load()
        step("first sync round (enlace sync DIR --once on US, MX, GT)")
        self.sync_round("first")
        self.offer_relay()
        self.sync_once(self.gt, "relay")
        self.liaison_and_grants()
        step("US vets UIN-7; MX's serve worker (--sync-interval) pulls what it opens")
        self.vet_uin7()
        self.worker_pass()
        step("second sync round: nothing new (re-pulls are idempotent)")
        self.sync_round("second")
        passes = [(party, p) for label, party, j, _ in self.sync_results if label == "second"
                  for p in self.partner_reports(j)]
        busy = ["%s <- %s" % (party, p.get("party")) for party, p in passes
                if any(m.get("added") or m.get("swept") or m.get("restarted") for m in p.get("mirrors") or [])]
        self.check(len(passes) == 6 and not busy, "second round: %d passes, nothing added, swept or restarted%s"
                   % (len(passes), (" (but: %s)" % ", ".join(busy)) if busy else ""))
        step("what each node holds, and from whom (enlace holdings)")
        self.print_holdings()
        step("who reads what")
        self.check_reads()
        step("audit: trust checks of partners' tree heads; US verifies MX's log")
        self.check_trust()

    def stop_all(self):
        for n in self.nodes:
            try:
                n.stop()
            except Fail as e:
                self.failures.append(str(e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--keep", action="store_true", help="leave the three nodes running")
    a = ap.parse_args()
    x = Exchange(a.bin, a.work, say=lambda s: print(s, flush=True))
    t0 = time.time()
    try:
        x.run()
    except Fail as e:
        x.failures.append(str(e))
        print("exchange: FAILED: %s" % e, file=sys.stderr)
    finally:
        if not (a.keep and not x.failures):
            x.stop_all()
    if a.keep and not x.failures:
        pw = os.path.join(x.work, "passwords.json")
        fd = os.open(pw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({n.party: n.passwords for n in x.nodes}, f, indent=1)
        for n in x.nodes:
            print("   %s node %s (pid %d), dir %s; stop it with: kill %d" % (n.party, n.base, n.proc.pid, n.dir, n.proc.pid))
        print("   users' passwords (and each node's admin's) in %s; e.g. luis.mora on MX:" % pw)
        print("   curl -sg -u luis.mora:PASSWORD -H 'Accept: %s' '%scollections/us-liaison/objects/?match[version]=all'"
              % (TAXII, x.mx.api))
    print("\nexchange: %s in %.1f s" % ("all expectations met" if not x.failures else
                                       "%d expectation(s) FAILED" % len(x.failures), time.time() - t0))
    return 0 if not x.failures else 1


if __name__ == "__main__":
    sys.exit(main())
