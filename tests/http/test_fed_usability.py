#!/usr/bin/python3
"""test_fed_usability.py - what a newcomer setting up two nodes by hand is told (issue 5): sync
errors that say what to do about a refused pull token or a URL that is not the partner's TAXII API
root, with the party named once; `partner add/set --pubkey` taking the forms `audit verify
--pubkey` takes and refusing this node's own key or another partner's; `partner set` saying a
stopped partner is still stopped; `--url` warnings; `partner add --help` giving that subcommand;
`init` printing the node key; push/get's 404 on a collection naming a missing grant; `import
ofac-sdn` without --list-date warning which date it used.
"""

import json
import os
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from enlace_node import Node, enlace_bin, indicator, main, run  # noqa: E402


def node_key(node):
    return json.loads(node.cli("audit", "key", node.dir, "--json").stdout)


def one_error_line(r):
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


class Usability(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mx = Node("MX", "SSPC")
        cls.us = Node("US", "DEA")
        cls.nodes = [cls.mx, cls.us]
        for n in cls.nodes:
            n.start("--sync-interval", "0")
        cls.us.create_collection("Narcotics", alias="narcotics", default_tlp="clear")
        cls.us.agreement("MX", "narcotics")
        # the recipe of docs/federation.md "Two nodes by hand": US adds MX first (no --token)
        r = cls.us.cli("partner", "add", cls.us.dir, "--party", "MX", "--url", cls.mx.api,
                       "--pubkey", node_key(cls.mx)["vkey"])
        cls.us_add_stderr = r.stderr
        cls.token_mx_pulls = r.stdout.splitlines()[0].strip()
        cls.key_file = os.path.join(cls.mx.dir, "us.key")
        with open(cls.key_file, "w") as f:
            f.write(node_key(cls.us)["pubkey"] + "\n")
        cls.mx.cli("partner", "add", cls.mx.dir, "--party", "US", "--url", cls.us.api, "--pubkey", cls.key_file,
                   "--token", cls.token_mx_pulls)

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.stop()
            n.cleanup()

    def sync(self, node):
        return run(["sync", node.dir, "--once"], timeout=120)

    def set_us(self, *args):
        return self.mx.cli("partner", "set", self.mx.dir, "--party", "US", *args, check=False)

    def test_1_token_handover_names_partner_set(self):
        self.assertIn("enlace partner set DIR --party US --token T", self.us_add_stderr)
        r = self.sync(self.mx)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_2_refused_token_says_what_to_do(self):
        try:
            self.set_us("--token", "not-the-token")
            r = self.sync(self.mx)
            self.assertEqual(r.returncode, 1, r.stdout)
            line = r.stdout.splitlines()[0]
            self.assertTrue(line.startswith("US: failed: US refused our pull token"), line)
            self.assertIn("enlace partner set DIR --party US --token T", line)
            self.assertNotIn("failed: US: ", line)
            err = one_error_line(r)
            self.assertTrue(err.startswith("enlace sync: US refused our pull token"), err)
            listed = json.loads(self.mx.cli("partner", "list", self.mx.dir, "--json").stdout)["partners"][0]
            self.assertTrue(listed["last_error"].startswith("US refused our pull token"), listed)
        finally:
            self.set_us("--token", self.token_mx_pulls)
            self.mx.cli("partner", "resume", self.mx.dir, "--party", "US", check=False)

    def test_3_wrong_url_says_api_root(self):
        origin = self.us.api.split("/api/")[0]
        try:
            for url in (origin + "/", origin + "/taxii2/"):
                r = self.set_us("--url", url)
                self.assertEqual(r.returncode, 0, r.stderr)
                if url.endswith("/taxii2/"):
                    self.assertIn("warning: --url", r.stderr)
                    self.assertIn("discovery", r.stderr)
                r = self.sync(self.mx)
                self.assertEqual(r.returncode, 1, r.stdout)
                line = r.stdout.splitlines()[0]
                self.assertIn("HTTP 404", line)
                self.assertIn("--url must be US's TAXII API root", line)
                self.assertIn("enlace partner set DIR --party US --url URL", line)
                self.assertNotIn("failed: US: ", line)
                self.assertTrue(one_error_line(r).startswith("enlace sync: US: "), r.stderr)
            r = self.set_us("--url", origin + "/api")
            self.assertIn("does not end in '/'", r.stderr)
            r = self.sync(self.mx)  # the API root without its slash still works
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            self.set_us("--url", self.us.api)

    def test_4_pubkey_forms_and_refusals(self):
        # the file and the vkey line pinned the same bytes as the base64 would
        rows = sqlite3.connect(os.path.join(self.mx.dir, "enlace.db")).execute(
            "SELECT pubkey FROM partner WHERE party = 'US'").fetchall()
        self.assertEqual(rows[0][0], node_key(self.us)["pubkey"])
        rows = sqlite3.connect(os.path.join(self.us.dir, "enlace.db")).execute(
            "SELECT pubkey FROM partner WHERE party = 'MX'").fetchall()
        self.assertEqual(rows[0][0], node_key(self.mx)["pubkey"])
        r = self.set_us("--pubkey", node_key(self.mx)["pubkey"])
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("that is this node's own key", one_error_line(r))
        r = self.mx.cli("partner", "add", self.mx.dir, "--party", "GT", "--url", "http://127.0.0.1:9/api/",
                        "--pubkey", node_key(self.us)["vkey"], check=False)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("already pinned for partner US", one_error_line(r))
        r = self.set_us("--pubkey", "not a key")
        self.assertEqual(r.returncode, 2)
        # the same key again for the same partner is fine
        r = self.set_us("--pubkey", self.key_file)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("still stopped", r.stdout)

    def test_5_set_pubkey_on_stopped_partner_says_still_stopped(self):
        db = sqlite3.connect(os.path.join(self.mx.dir, "enlace.db"), timeout=30)
        db.execute("UPDATE partner SET stopped = 'trust check failed: fork' WHERE party = 'US'")
        db.commit()
        db.close()
        try:
            r = self.set_us("--pubkey", self.key_file)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("key (trust state cleared)", r.stdout)
            self.assertIn("still stopped: run enlace partner resume DIR --party US", r.stdout)
        finally:
            self.mx.cli("partner", "resume", self.mx.dir, "--party", "US")

    def test_6_subcommand_help(self):
        r = self.mx.cli("partner", "add", "--help")
        self.assertTrue(r.stdout.startswith("usage: enlace partner add DIR"), r.stdout)
        self.assertNotIn("partner remove", r.stdout)
        self.assertIn("enlace partner remove DIR", self.mx.cli("partner", "--help").stdout)

    def test_7_init_prints_node_key(self):
        with tempfile.TemporaryDirectory() as d:
            r = run(["init", os.path.join(d, "n"), "--party", "GT", "--org", "PNC"])
            self.assertEqual(r.returncode, 0, r.stderr)
            r2 = run(["audit", "key", os.path.join(d, "n"), "--json"])
            key = json.loads(r2.stdout)["pubkey"]
            self.assertIn("node key: %s (give it to partners: enlace partner add --pubkey" % key, r.stdout)

    def test_8_get_push_404_names_grant(self):
        self.us.add_user("nogrant")
        cid = self.us.create_collection("Secret", alias="secret")
        tok, _ = self.us.create_token("nogrant")
        r = run(["get", "--url", self.us.api, "--token", tok, "--collection", cid])
        self.assertEqual(r.returncode, 1, r.stdout)
        err = one_error_line(r)
        self.assertIn("no such collection (or this user may not read it: enlace collection grant DIR COLL "
                      "--user U --read)", err)

    def test_9_import_without_list_date_warns(self):
        src = os.environ.get("ENLACE_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        sdn = os.path.join(src, "data", "ofac-sdn", "2024-05-03", "sdn.csv")
        if not os.path.exists(sdn):
            self.skipTest("no data/ofac-sdn slice")
        self.us.create_collection("Sanctions", alias="sanctions")
        r = run(["import", "ofac-sdn", self.us.dir, "--collection", "sanctions", sdn])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: no --list-date: using ", r.stderr)
        self.assertIn("--list-date YYYY-MM-DD", r.stderr)
        r = run(["import", "ofac-sdn", self.us.dir, "--collection", "sanctions", sdn, "--list-date", "2024-05-03"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("no --list-date", r.stderr)


if __name__ == "__main__":
    main()
