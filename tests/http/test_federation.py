#!/usr/bin/python3
"""Federation (issue 5): nodes pulling from each other with `enlace sync` into read-only mirror
collections. Two nodes MX and US (a third, GT, for relays) started with `serve --sync-interval
0`, wired with `enlace partner add` both ways and agreements. Asserts exactly which (id,
version) pairs each mirror holds, paging, idempotent re-runs, kill -9 of the puller mid-sync,
a fault-injecting proxy in front of US (500s, a hang, malformed JSON, an oversized page, 401, a
refused cursor), agreements widened and narrowed, tombstones, loops and relays (rule 6)."""
import http.client
import http.server
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import unittest
import urllib.parse

from enlace_node import Node, enlace_bin, indicator, main, new_id, run

EXT = "extension-definition--c05bc01b-2963-4d49-a373-a33e30f35e95"
TLP = {"clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
       "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
       "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"}


def marked(o, tlp=None, **handling):
    if tlp:
        o["object_marking_refs"] = [TLP[tlp]]
    if handling:
        h = {"extension_type": "property-extension"}
        h.update(handling)
        o["extensions"] = {EXT: h}
    return o


def versions(o, n):
    """n versions of o (modified one second apart)."""
    out = []
    for k in range(n):
        v = dict(o)
        v["modified"] = "2024-01-01T00:00:%02d.000Z" % k
        out.append(v)
    return out


def pairs(objs):
    return {(o["id"], o.get("modified", o.get("created"))) for o in objs}


def node_key(node):
    return json.loads(node.cli("audit", "key", node.dir, "--json").stdout)["pubkey"]


def wire(puller, source, url=None):
    """source lets puller pull: partner add on both nodes; returns the token puller uses."""
    r = source.cli("partner", "add", source.dir, "--party", puller.party, "--url", puller.api,
                   "--pubkey", node_key(puller), "--json", check=False)
    if r.returncode == 0:
        token = json.loads(r.stdout)["token"]
    else:  # already a partner (the other direction was wired first): a new token for its user
        token, _ = source.create_token("partner-" + puller.party.lower())
    args = ["--party", source.party, "--url", url or source.api, "--pubkey", node_key(source), "--token", token]
    r = puller.cli("partner", "add", puller.dir, *args, check=False)
    if r.returncode != 0:
        puller.cli("partner", "set", puller.dir, "--party", source.party, "--url", url or source.api,
                   "--token", token)
    return token


def mirror_pairs(node, alias):
    """(id, version) of every version in the mirror collection alias, read from the node's store."""
    db = sqlite3.connect("file:%s/enlace.db?mode=ro" % node.dir, uri=True, timeout=30)
    try:
        rows = db.execute("SELECT o.id, o.version FROM object o JOIN collection c ON c.rowid = o.coll "
                          "WHERE c.alias = ?", (alias,)).fetchall()
    finally:
        db.close()
    return rows


def sync(node, *args, timeout=120, check=True):
    r = run(["sync", node.dir, "--once"] + list(args), timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("sync -> %d\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
    return r


def sync_json(node, *args, **kw):
    r = sync(node, "--json", *args, **kw)
    return json.loads(r.stdout)["partners"], r


def mirror_report(parts, alias):
    for p in parts:
        for m in p["mirrors"]:
            if m["alias"] == alias:
                return m
    raise AssertionError("no mirror %s in %s" % (alias, parts))


class Proxy:
    """A fault-injecting HTTP proxy in front of a node: mode None passes everything; otherwise
    requests for objects pages get the fault."""

    def __init__(self, target_port):
        self.mode = None
        self.hits = 0
        proxy = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                is_page = "/objects/" in self.path
                mode = proxy.mode if is_page else None
                if mode and is_page:
                    proxy.hits += 1
                if mode == "500":
                    return self.reply(500, b'{"title":"internal error"}')
                if mode == "401":
                    return self.reply(401, b'{"title":"unauthorized"}')
                if mode == "hang":
                    time.sleep(6)
                    return self.reply(500, b"{}")
                if mode == "malformed":
                    return self.reply(200, b'{"objects": [ {"type": ')
                if mode == "endless":
                    return self.reply(200, b'{"more": true}')
                if mode == "notenvelope":
                    return self.reply(200, b'[1, 2, 3]')
                if mode == "oversized":
                    return self.reply(200, b'{"objects": [], "pad": "' + b"x" * 300000 + b'"}')
                inject = mode == "inject-invalid"
                if mode == "reject-cursor" and "added_after" in self.path:
                    return self.reply(400, b'{"title":"bad added_after"}')
                conn = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                hd = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "accept")}
                conn.request("GET", self.path, headers=hd)
                r = conn.getresponse()
                body = r.read()
                if inject and r.status == 200:
                    j = json.loads(body)
                    j.setdefault("objects", []).append({"type": "indicator", "spec_version": "2.1",
                                                        "id": new_id("indicator")})
                    body = json.dumps(j).encode()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() in ("content-type", "x-taxii-date-added-first", "x-taxii-date-added-last"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                conn.close()

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/taxii+json;version=2.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.srv.handle_error = lambda request, address: None   # a client that gave up: expected
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def api(self):
        return "http://127.0.0.1:%d/api/" % self.port

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class Federation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mx = Node("MX", "SSPC")
        cls.us = Node("US", "DEA")
        cls.nodes = [cls.mx, cls.us]
        for n in cls.nodes:
            n.start("--sync-interval", "0")
        cls.us.add_user("dea-analyst")
        cls.coll = cls.us.create_collection("Narcotics", alias="narcotics", default_tlp="clear")
        cls.us.grant("narcotics", "dea-analyst")
        cls.us.agreement("MX", "narcotics")
        cls.token = wire(cls.mx, cls.us)

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.stop()
            n.cleanup()

    def post(self, node, coll, user, objs):
        for k in range(0, len(objs), 500):
            r = node.post_envelope(coll, objs[k:k + 500], user=user)
            self.assertEqual(r.status_code, 202, r.text)
            st = r.json()
            self.assertEqual(st["failure_count"], 0, st)

    def us_pairs(self):
        items, _ = self.us.get_all(self.us.objects_path("narcotics"), user="dea-analyst",
                                   params=[("match[version]", "all"), ("match[spec_version]", "2.0,2.1")])
        return pairs(items)

    # ---- 1 -------------------------------------------------------------------------------------

    def test_1_pull_exact_paged_idempotent(self):
        objs = []
        for n in range(20):
            objs += versions(marked(indicator(n), "clear"), 3)      # every version arrives
        for n in range(5):                                           # STIX 2.0 objects too
            o = marked(indicator(100 + n), "clear")
            del o["spec_version"]
            o["labels"] = ["malicious-activity"]
            objs.append(o)
        # unmarked: CLEAR under the collection's default on US, and so in MX's mirror too (the
        # epoch response carries the default); else it would count as AMBER for MX's readers
        objs.append(indicator(150))
        # GREEN without releasable_to: shared by agreement with MX, so MX's own users read it in
        # the mirror (their party is the agreement's party there)
        objs.append(marked(indicator(151), "green"))
        objs.append(marked(indicator(200), "amber", releasable_to=["MX"]))
        objs.append(marked(indicator(201), "amber", releasable_to=["GT"]))   # not for MX
        Federation.not_for_mx = pairs(objs[-1:])
        self.post(self.us, "narcotics", "dea-analyst", objs)
        parts, r = sync_json(self.mx, "--page-limit", "7")
        self.assertTrue(parts[0]["ok"], parts)
        m = mirror_report(parts, "us-narcotics")
        self.assertEqual(m["added"], 20 * 3 + 5 + 3, (parts, r.stderr))
        self.assertGreaterEqual(m["pages"], (20 * 3 + 6) // 7)
        self.assertFalse(m["restarted"])                             # a new mirror's first pass
        want = pairs(objs[:-1])
        got = mirror_pairs(self.mx, "us-narcotics")
        self.assertEqual(len(got), len(want))                        # nothing twice
        self.assertEqual(set(got), want)
        # text output and an idempotent re-run
        r = sync(self.mx)
        self.assertIn("US: ok", r.stdout)
        self.assertRegex(r.stdout, r"us-narcotics <- US/%s: \+0 new" % self.coll)
        self.assertEqual(set(mirror_pairs(self.mx, "us-narcotics")), want)
        # the mirror is readable by local users after a grant (policy decides per object: these
        # are CLEAR, or AMBER releasable to MX), and read-only
        self.mx.add_user("sspc-analyst")
        self.mx.grant("us-narcotics", "sspc-analyst", write=False)
        items, _ = self.mx.get_all(self.mx.objects_path("us-narcotics"), user="sspc-analyst",
                                   params=[("match[version]", "all"), ("match[spec_version]", "2.0,2.1")])
        self.assertEqual(pairs(items), want)
        r = self.mx.post_envelope("us-narcotics", [indicator(1)], user="sspc-analyst")
        self.assertEqual(r.status_code, 403, r.text)
        self.assertIn("read-only mirror of partner US", r.text)

    # ---- 2 -------------------------------------------------------------------------------------

    def test_2_kill_mid_sync_converges(self):
        objs = [indicator(1000 + n) for n in range(3000)]
        self.post(self.us, "narcotics", "dea-analyst", objs)
        before = len(mirror_pairs(self.mx, "us-narcotics"))
        # a crash inside a page's transaction (the store's hook): that page is not kept
        r = run(["sync", self.mx.dir, "--once", "--page-limit", "20"],
                env={"ENLACE_CRASH_AFTER_OBJECTS": "5"}, timeout=60)
        self.assertEqual(r.returncode, -signal.SIGKILL)
        self.assertEqual(len(mirror_pairs(self.mx, "us-narcotics")), before)
        # a kill -9 of the sync process at some moment while pages are committed
        p = subprocess.Popen([enlace_bin(), "sync", self.mx.dir, "--once", "--page-limit", "25"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and len(mirror_pairs(self.mx, "us-narcotics")) < before + 300:
            time.sleep(0.02)
        p.send_signal(signal.SIGKILL)
        p.wait()
        mid = len(mirror_pairs(self.mx, "us-narcotics"))
        self.assertLess(mid, before + 3000, "the kill came too late to test anything")
        parts, _ = sync_json(self.mx, "--page-limit", "500")
        m = mirror_report(parts, "us-narcotics")
        self.assertEqual(m["added"], before + 3000 - mid)   # nothing lost, nothing twice
        got = mirror_pairs(self.mx, "us-narcotics")
        self.assertEqual(len(got), len(set(got)))
        self.assertEqual(set(got), self.us_pairs() - Federation.not_for_mx)

    # ---- 3 -------------------------------------------------------------------------------------

    def test_3_faults(self):
        proxy = Proxy(self.us.port)
        try:
            self.mx.cli("partner", "set", self.mx.dir, "--party", "US", "--url", proxy.api())
            new = [indicator(5000 + n) for n in range(30)]
            self.post(self.us, "narcotics", "dea-analyst", new)
            before = set(mirror_pairs(self.mx, "us-narcotics"))
            for mode, cause, extra in [("500", "HTTP 500", []),
                                       ("hang", "timed out", ["--timeout", "1"]),
                                       ("malformed", "malformed response", []),
                                       ("notenvelope", "malformed response", []),
                                       ("oversized", "larger than", ["--max-page-bytes", "100000"]),
                                       ("endless", "none delivered", []),
                                       ("401", "token", [])]:
                proxy.mode = mode
                proxy.hits = 0
                t0 = time.time()
                r = sync(self.mx, "--retries", "2", *extra, check=False)
                took = time.time() - t0
                self.assertEqual(r.returncode, 1, (mode, r.stdout, r.stderr))
                lines = [l for l in r.stderr.splitlines() if l.strip()]
                self.assertEqual(len(lines), 1, (mode, r.stderr))
                self.assertIn("US", lines[0])
                self.assertIn("/api/collections/%s/objects/" % self.coll, lines[0], mode)
                self.assertIn(cause, lines[0], mode)
                self.assertLess(took, 25, mode)
                self.assertEqual(proxy.hits, 1 if mode == "401" else 3, mode)   # retried, bounded
                self.assertEqual(set(mirror_pairs(self.mx, "us-narcotics")), before, mode)
                listed = json.loads(self.mx.cli("partner", "list", self.mx.dir, "--json").stdout)["partners"]
                self.assertTrue(listed[0]["last_error"], listed)
            # partner down (nothing listens): bounded retries, one line, nothing changed
            self.mx.cli("partner", "set", self.mx.dir, "--party", "US", "--url",
                        "http://127.0.0.1:%d/api/" % self.free_port())
            t0 = time.time()
            r = sync(self.mx, "--retries", "1", check=False)
            self.assertEqual(r.returncode, 1, r.stdout)
            lines = [l for l in r.stderr.splitlines() if l.strip()]
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertRegex(lines[0], r"US: .*(onnect|refused)")
            self.assertLess(time.time() - t0, 15)
            self.assertEqual(set(mirror_pairs(self.mx, "us-narcotics")), before)
            self.mx.cli("partner", "set", self.mx.dir, "--party", "US", "--url", proxy.api())
            # an invalid object in a page is refused (counted, named), the rest is stored
            proxy.mode = "inject-invalid"
            bad_one = [marked(indicator(5100), "clear")]
            self.post(self.us, "narcotics", "dea-analyst", bad_one)
            r = sync(self.mx)
            self.assertRegex(r.stdout, r"us-narcotics <- US/%s: \+31 new, 0 known, 0 loop, 1 refused" % self.coll)
            self.assertIn("refused as invalid: indicator--", r.stdout)
            self.assertIn("missing required property", r.stdout)
            self.assertTrue(pairs(bad_one) <= set(mirror_pairs(self.mx, "us-narcotics")))
            # a cursor the partner no longer accepts: the pass starts again from the beginning
            proxy.mode = "reject-cursor"
            parts, _ = sync_json(self.mx)
            m = mirror_report(parts, "us-narcotics")
            self.assertTrue(m["restarted"])
            self.assertEqual(m["added"], 0)
            self.assertGreater(m["known"], 3000)
            proxy.mode = None
            parts, _ = sync_json(self.mx)
            self.assertTrue(parts[0]["ok"])
            self.assertTrue(pairs(new) <= set(mirror_pairs(self.mx, "us-narcotics")))
        finally:
            self.mx.cli("partner", "set", self.mx.dir, "--party", "US", "--url", self.us.api)
            proxy.close()

    @staticmethod
    def free_port():
        import socket
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0))
            return so.getsockname()[1]

    # ---- 4 -------------------------------------------------------------------------------------

    def test_4_agreement_widened_narrowed(self):
        self.us.create_collection("Extra", alias="extra", default_tlp="clear")
        self.us.grant("extra", "dea-analyst")
        extra = [marked(indicator(7000), "green"), marked(indicator(7001), "amber", releasable_to=["MX"])]
        self.post(self.us, "extra", "dea-analyst", extra)
        sync(self.mx)
        self.assertEqual(mirror_pairs(self.mx, "us-extra"), [])
        # widened: a new agreement -> the next pass pulls it
        self.us.agreement("MX", "extra")
        parts, _ = sync_json(self.mx)
        m = mirror_report(parts, "us-extra")
        self.assertEqual(m["added"], 2)
        self.assertEqual(set(mirror_pairs(self.mx, "us-extra")), pairs(extra))
        # narrowed to GREEN: the AMBER object is swept at the end of the restarted pass
        self.us.agreement("MX", "extra", max_tlp="green")
        parts, _ = sync_json(self.mx)
        m = mirror_report(parts, "us-extra")
        self.assertTrue(m["restarted"])
        self.assertEqual((m["added"], m["known"], m["swept"]), (0, 1, 1))
        self.assertEqual(set(mirror_pairs(self.mx, "us-extra")), pairs(extra[:1]))
        # removed: the collection is no longer listed to us; its mirror is emptied
        self.us.remove_agreement("MX", "extra")
        parts, _ = sync_json(self.mx)
        self.assertEqual(mirror_report(parts, "us-extra")["swept"], 1)
        self.assertEqual(mirror_pairs(self.mx, "us-extra"), [])

    # ---- 5 -------------------------------------------------------------------------------------

    def test_5_loop_and_relay(self):
        # MX shares its own collection with US, and US shares back its mirror of it
        self.mx.add_user("sspc-writer")
        self.mx.create_collection("Arrests", alias="arrests", default_tlp="clear")
        self.mx.grant("arrests", "sspc-writer")
        self.mx.agreement("US", "arrests")
        wire(self.us, self.mx)
        own = [marked(indicator(8000 + n), "green", releasable_to=["US"]) for n in range(4)]
        self.post(self.mx, "arrests", "sspc-writer", own)
        parts, _ = sync_json(self.us)
        self.assertEqual(mirror_report(parts, "mx-arrests")["added"], 4)
        self.us.agreement("MX", "mx-arrests")
        parts, _ = sync_json(self.mx)
        m = mirror_report(parts, "us-mx-arrests")
        self.assertEqual((m["added"], m["loops"]), (0, 4))    # stored nothing twice
        self.assertEqual(mirror_pairs(self.mx, "us-mx-arrests"), [])
        # relay to a third node: GT pulls MX's mirror of US; rule 6 lets through only what is
        # CLEAR or releasable to GT and not ORCON
        gt = Node("GT", "MINGOB")
        self.nodes.append(gt)
        gt.start("--sync-interval", "0")
        relay = {"clear": marked(indicator(9000), "clear"),
                 "rel_gt": marked(indicator(9001), "amber", releasable_to=["MX", "GT"]),
                 "rel_mx": marked(indicator(9002), "amber", releasable_to=["MX"]),
                 "orcon": marked(indicator(9003), "amber", releasable_to=["MX", "GT"], orcon=True)}
        self.post(self.us, "narcotics", "dea-analyst", list(relay.values()))
        sync(self.mx)
        self.assertTrue(pairs(relay.values()) <= set(mirror_pairs(self.mx, "us-narcotics")))
        self.mx.agreement("GT", "us-narcotics")
        wire(gt, self.mx)
        wire(gt, self.us)        # GT knows US as a partner (no agreement yet: nothing to pull)
        sync(gt)
        got = {i for i, _ in mirror_pairs(gt, "mx-us-narcotics")}
        for k in ("clear", "rel_gt"):
            self.assertIn(relay[k]["id"], got, k)
        for k in ("rel_mx", "orcon"):
            self.assertNotIn(relay[k]["id"], got, k)
        # the relayed objects keep their real originator (MX names it in x_enlace_originators),
        # so US's own later version, pulled from US directly, is accepted, not refused
        db = sqlite3.connect("file:%s/enlace.db?mode=ro" % gt.dir, uri=True, timeout=30)
        try:
            party = db.execute("SELECT party FROM origin WHERE id = ?", (relay["clear"]["id"],)).fetchone()
        finally:
            db.close()
        self.assertEqual(party, ("US",))
        newer = dict(relay["clear"], modified="2025-01-01T00:00:00.000Z")
        self.post(self.us, "narcotics", "dea-analyst", [newer])
        self.us.agreement("GT", "narcotics")
        parts, _ = sync_json(gt)
        m = mirror_report(parts, "us-narcotics")
        self.assertEqual(m["refused"], 0, parts)
        self.assertIn((newer["id"], newer["modified"]), set(mirror_pairs(gt, "us-narcotics")))
        sync(self.mx)            # MX takes the newer version too: the next test counts from here

    # ---- 6 -------------------------------------------------------------------------------------

    def test_6_tombstones_never_taken_in(self):
        # an id MX purged (review date passed) is never taken in again, from anyone
        self.mx.add_user("sspc-purger")
        self.mx.create_collection("Local", alias="local")
        self.mx.grant("local", "sspc-purger")
        dead = marked(indicator(9500), "clear", review_by="2021-06-30T00:00:00.000Z")
        self.post(self.mx, "local", "sspc-purger", [dead])
        self.mx.cli("purge", self.mx.dir)
        again = marked(dict(dead), "clear")
        del again["extensions"]
        alive = marked(indicator(9501), "clear")
        self.post(self.us, "narcotics", "dea-analyst", [again, alive])
        parts, _ = sync_json(self.mx)
        m = mirror_report(parts, "us-narcotics")
        self.assertEqual((m["added"], m["refused"]), (1, 1))
        ids = {i for i, _ in mirror_pairs(self.mx, "us-narcotics")}
        self.assertNotIn(dead["id"], ids)
        self.assertIn(alive["id"], ids)

    # ---- 7 -------------------------------------------------------------------------------------

    def test_7_serve_sync_worker(self):
        # serve's worker pulls on its interval and logs one line per pass; stop is immediate
        self.mx.stop()
        self.mx.start("--sync-interval", "1")
        try:
            new = [marked(indicator(9700 + n), "clear") for n in range(3)]
            self.post(self.us, "narcotics", "dea-analyst", new)
            deadline = time.time() + 20
            while time.time() < deadline and not pairs(new) <= set(mirror_pairs(self.mx, "us-narcotics")):
                time.sleep(0.2)
            self.assertTrue(pairs(new) <= set(mirror_pairs(self.mx, "us-narcotics")))
            deadline = time.time() + 10
            while time.time() < deadline and "+3 new" not in self.mx.stderr_text():
                time.sleep(0.2)
            self.assertRegex(self.mx.stderr_text(), r"enlace: sync US: ok.*us-narcotics \+3 new")
        finally:
            t0 = time.time()
            self.mx.stop()
            self.assertLess(time.time() - t0, 5)
            self.mx.start("--sync-interval", "0")


if __name__ == "__main__":
    main()
