"""test_cli.py - the `enlace` command line: init, user, token, collection, push, get.

--help exits 0, --json output has the documented shapes, bad input exits 2 (usage) or 1 (failure)
with a one-line message on stderr, token revoke and user disable take effect over HTTP, and
push/get round-trip objects (push exits 3 when something was rejected).
"""

import json
import os
import re
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TaxiiAsserts, indicator, identity, run  # noqa: E402

UUID_RX = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class CliAsserts(TaxiiAsserts):

    def assertFails(self, r, codes=(1, 2), what=""):
        self.assertIn(r.returncode, codes, "%s: exit %d, expected one of %s\nstdout: %s\nstderr: %s"
                      % (what, r.returncode, codes, r.stdout, r.stderr))
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "%s: expected a one-line message on stderr, got %r" % (what, r.stderr))
        return lines[0]


def find_named(j, name):
    """Find a dict with "name" == name (or "user" == name) anywhere in a JSON value."""
    if isinstance(j, dict):
        if j.get("name") == name or j.get("user") == name:
            return j
        for v in j.values():
            x = find_named(v, name)
            if x is not None:
                return x
    elif isinstance(j, list):
        for v in j:
            x = find_named(v, name)
            if x is not None:
                return x
    return None


class TestHelpAndInit(CliAsserts, unittest.TestCase):

    def test_help(self):
        for args in (["--help"], ["init", "--help"], ["serve", "--help"], ["user", "--help"],
                     ["token", "--help"], ["collection", "--help"], ["push", "--help"], ["get", "--help"],
                     ["party", "--help"], ["org", "--help"], ["agreement", "--help"], ["review", "--help"],
                     ["purge", "--help"], ["org", "vet", "--help"], ["collection", "set", "--help"]):
            r = run(args)
            self.assertEqual(r.returncode, 0, "enlace %s: exit %d %s" % (" ".join(args), r.returncode, r.stderr))
            self.assertTrue((r.stdout + r.stderr).strip(), "enlace %s printed nothing" % " ".join(args))

    def test_usage_errors(self):
        # no command / unknown command: usage error (a usage text may follow, so any length)
        self.assertEqual(run([]).returncode, 2, "no command")
        self.assertEqual(run(["frobnicate"]).returncode, 2, "unknown command")
        self.assertFails(run(["user", "frob", "/nonexistent"]), (2,), "unknown user subcommand")
        self.assertFails(run(["init", "--party", "MX", "--org", "X"]), (2,), "init without DIR")

    def test_init_json(self):
        d = tempfile.mkdtemp(prefix="enlace-cli-")
        try:
            r = run(["init", d, "--party", "MX", "--org", "Agencia Uno", "--json"])
            self.assertEqual(r.returncode, 0, r.stderr)
            j = json.loads(r.stdout)
            self.assertEqual(set(j), {"dir", "party", "org", "identity_id", "node_pubkey", "admin_user",
                                      "admin_password"})
            self.assertEqual(j["party"], "MX")
            self.assertEqual(j["org"], "Agencia Uno")
            self.assertRegex(j["identity_id"], r"^identity--[0-9a-f-]{36}$")
            self.assertTrue(j["node_pubkey"])
            self.assertTrue(j["admin_user"])
            self.assertGreaterEqual(len(j["admin_password"]), 12)
            self.assertEqual(os.path.realpath(j["dir"]), os.path.realpath(d))
            for f in ("enlace.db", "node.key", "node.pub"):
                self.assertTrue(os.path.isfile(os.path.join(d, f)), f)
            self.assertEqual(os.stat(os.path.join(d, "node.key")).st_mode & 0o077, 0, "node.key must not be readable by others")
            key = en.read_bytes(os.path.join(d, "node.key"))
            # init again on an existing node refuses and does not touch the key
            r2 = run(["init", d, "--party", "MX", "--org", "Other", "--json"])
            self.assertFails(r2, (1, 2), "init over an existing node")
            self.assertEqual(en.read_bytes(os.path.join(d, "node.key")), key)
        finally:
            import shutil
            shutil.rmtree(d, ignore_errors=True)

    def test_serve_refusals(self):
        import socket
        import sqlite3
        import subprocess
        d = tempfile.mkdtemp(prefix="enlace-cli-")
        try:
            def serve(args):
                try:
                    return subprocess.run([en.enlace_bin(), "serve"] + args, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True, timeout=10)
                except subprocess.TimeoutExpired:
                    self.fail("enlace serve %r kept running; it must refuse to start" % (args,))
            # not a node
            r = serve([d, "--listen", "127.0.0.1:0"])
            self.assertFails(r, (1, 2), "serve on an empty dir")
            self.assertNotIn("listening", r.stdout)
            node = os.path.join(d, "n")
            self.assertEqual(run(["init", node, "--party", "MX", "--org", "X"]).returncode, 0)
            # port already taken
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            try:
                r = serve([node, "--listen", "127.0.0.1:%d" % s.getsockname()[1]])
                self.assertFails(r, (1, 2), "serve on a busy port")
            finally:
                s.close()
            # bad option values
            for args in (["--listen", "nonsense"], ["--max-content-length", "0"], ["--max-content-length", "abc"],
                         ["--page-limit", "0"], ["--threads", "-1"], ["--bogus"]):
                r = serve([node] + args)
                self.assertFails(r, (2,), "serve %r" % args)
            # a store written by a newer enlace is refused (DESIGN: Storage)
            db = sqlite3.connect(os.path.join(node, "enlace.db"))
            db.execute("PRAGMA user_version = 9999")
            db.commit()
            db.close()
            r = serve([node, "--listen", "127.0.0.1:0"])
            self.assertFails(r, (1,), "serve on a store from the future")
            self.assertFails(run(["user", "add", node, "x", "--password", "pw-pw-pw-pw"]), (1,), "user add on a newer store")
            db = sqlite3.connect(os.path.join(node, "enlace.db"))
            self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 9999, "the newer store is left alone")
            db.close()
        finally:
            import shutil
            shutil.rmtree(d, ignore_errors=True)

    def test_init_bad_input(self):
        d = tempfile.mkdtemp(prefix="enlace-cli-")
        try:
            sub = os.path.join(d, "n")
            for args in (["--party", "mexico", "--org", "X"], ["--party", "M1", "--org", "X"],
                         ["--org", "X"], ["--party", "MX"], ["--party", "MX", "--org", "X", "--bogus"]):
                r = run(["init", sub] + args)
                self.assertFails(r, (2,), "init %r" % args)
                self.assertFalse(os.path.exists(os.path.join(sub, "enlace.db")), "no store on a usage error")
        finally:
            import shutil
            shutil.rmtree(d, ignore_errors=True)


class TestAdminCommands(CliAsserts, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.node = en.Node()
        cls.node.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def test_user_commands(self):
        n = self.node
        n.add_org("Agencia Uno")
        r = n.cli("user", "add", n.dir, "ana", "--role", "analyst", "--org", "Agencia Uno", "--password", "s3cret-ana-pw",
                  "--json")
        n.passwords["ana"] = "s3cret-ana-pw"
        self.assertEqual(json.loads(r.stdout), {"user": "ana", "roles": ["analyst"], "org": "Agencia Uno", "party": "MX"})
        r = n.cli("user", "add", n.dir, "stdinuser", "--password-stdin", input="pw-from-stdin-123\n")
        n.passwords["stdinuser"] = "pw-from-stdin-123"
        r = n.cli("user", "list", n.dir, "--json")
        j = json.loads(r.stdout)
        ana = find_named(j, "ana")
        self.assertIsNotNone(ana, r.stdout)
        self.assertEqual(ana.get("roles"), ["analyst"])
        self.assertEqual(ana.get("org"), "Agencia Uno")
        self.assertEqual(ana.get("party"), "MX")
        admin = find_named(j, n.info["admin_user"])
        self.assertEqual(admin.get("roles"), ["admin"], "init makes the admin user with role admin")
        self.assertEqual(admin.get("org"), n.org, "the admin belongs to the node's own organization")
        self.assertEqual(find_named(j, "stdinuser").get("org"), n.org, "--org defaults to the node's organization")
        self.assertNotIn("s3cret-ana-pw", r.stdout)
        self.assertNotIn("pw_hash", json.dumps(j))
        self.assertIsNotNone(find_named(j, "stdinuser"))
        r = n.cli("user", "list", n.dir)
        self.assertIn("ana", r.stdout)
        # errors
        self.assertFails(run(["user", "add", n.dir, "ana", "--password", "x-other-pw"]), (1, 2), "duplicate user")
        self.assertFails(run(["user", "add", n.dir, "bad1", "--role", "emperor", "--password", "pw-pw-pw-pw"]),
                         (2,), "bad role")
        self.assertFails(run(["user", "add", n.dir, "bad2", "--org", "No Such Agency", "--password", "pw-pw-pw-pw"]),
                         (1,), "unknown organization")
        self.assertFails(run(["user", "disable", n.dir, "nobody"]), (1, 2), "disable unknown user")
        self.assertFails(run(["user", "add", "/nonexistent/dir", "x", "--password", "pw-pw-pw-pw"]), (1, 2),
                         "missing node dir")
        # a password with colons, spaces and non-ASCII (UTF-8 in the Basic header)
        import base64
        odd = "a:b c:contrase\u00f1a-\u5b66"
        n.cli("user", "add", n.dir, "oddpw", "--password-stdin", input=odd + "\n")
        hdr = "Basic " + base64.b64encode(("oddpw:" + odd).encode("utf-8")).decode()
        self.assertOk(n.get("/api/collections/", headers={"Authorization": hdr}))
        hdr = "Basic " + base64.b64encode(("oddpw:" + odd[:-1]).encode("utf-8")).decode()
        self.assertError(n.get("/api/collections/", headers={"Authorization": hdr}), 401)
        # the users authenticate over HTTP; stdin password works; disable -> 401; enable -> back
        self.assertOk(n.get("/api/collections/", user="ana"))
        self.assertOk(n.get("/api/collections/", user="stdinuser"))
        self.assertError(n.get("/api/collections/", user="ana", password="s3cret-ana-pw\n"), 401)
        n.cli("user", "disable", n.dir, "ana")
        r = n.get("/api/collections/", user="ana")
        self.assertError(r, 401)
        self.assertIn("WWW-Authenticate", r.headers)
        n.cli("user", "enable", n.dir, "ana")
        self.assertOk(n.get("/api/collections/", user="ana"))

    def test_token_commands(self):
        n = self.node
        n.add_user("tokuser")
        r = n.cli("token", "create", n.dir, "--user", "tokuser", "--json")
        j = json.loads(r.stdout)
        self.assertEqual(set(j), {"token", "token_id", "user"})
        self.assertEqual(j["user"], "tokuser")
        self.assertGreaterEqual(len(j["token"]), 20)
        self.assertNotEqual(j["token"], j["token_id"])
        tok, tid = j["token"], j["token_id"]
        tok2, tid2 = n.create_token("tokuser")
        self.assertNotEqual(tok, tok2)
        r = n.cli("token", "list", n.dir, "--json")
        self.assertIn(tid, r.stdout)
        self.assertIn(tid2, r.stdout)
        self.assertNotIn(tok, r.stdout, "token list must not show the secret")
        r = n.cli("token", "list", n.dir)
        self.assertNotIn(tok, r.stdout)
        self.assertOk(n.get("/api/collections/", token=tok))
        self.assertOk(n.get("/api/collections/", token=tok2))
        n.cli("token", "revoke", n.dir, tid)
        r = n.get("/api/collections/", token=tok)
        self.assertError(r, 401)
        self.assertIn("WWW-Authenticate", r.headers)
        self.assertOk(n.get("/api/collections/", token=tok2))  # the other token still works
        # disabling the user stops its tokens too
        n.cli("user", "disable", n.dir, "tokuser")
        self.assertError(n.get("/api/collections/", token=tok2), 401)
        n.cli("user", "enable", n.dir, "tokuser")
        self.assertOk(n.get("/api/collections/", token=tok2))
        # errors
        self.assertFails(run(["token", "create", n.dir, "--user", "nobody"]), (1, 2), "token for unknown user")
        self.assertFails(run(["token", "revoke", n.dir, "no-such-token-id"]), (1,), "revoke unknown token")
        self.assertFails(run(["token", "create", n.dir]), (2,), "token create without --user")

    def test_collection_commands(self):
        n = self.node
        n.add_user("cu")
        r = n.cli("collection", "create", n.dir, "--title", "Text mode", "--description", "d1")
        first = r.stdout.splitlines()[0].strip()
        self.assertRegex(first, UUID_RX, "text output: the id on the first line")
        cid = str(uuid.uuid4())
        r = n.cli("collection", "create", n.dir, "--title", "Json mode", "--id", cid, "--alias", "json-mode",
                  "--description", "d2", "--json")
        j = json.loads(r.stdout)
        self.assertEqual(j, {"id": cid, "title": "Json mode", "alias": "json-mode", "description": "d2",
                             "default_tlp": None})
        r = n.cli("collection", "list", n.dir, "--json")
        self.assertIn(cid, r.stdout)
        self.assertIn(first, r.stdout)
        # errors
        self.assertFails(run(["collection", "create", n.dir, "--title", "Dup", "--id", cid]), (1,), "duplicate id")
        self.assertFails(run(["collection", "create", n.dir, "--title", "Dup", "--alias", "json-mode"]), (1,),
                         "duplicate alias")
        self.assertFails(run(["collection", "create", n.dir, "--title", "X", "--id", "not-a-uuid"]), (2,), "bad id")
        self.assertFails(run(["collection", "create", n.dir]), (2,), "no title")
        self.assertFails(run(["collection", "grant", n.dir, cid, "--user", "nobody", "--read"]), (1, 2),
                         "grant to unknown user")
        self.assertFails(run(["collection", "grant", n.dir, str(uuid.uuid4()), "--user", "cu", "--read"]), (1, 2),
                         "grant on unknown collection")
        # grants as seen over HTTP
        n.grant(cid, "cu", read=True, write=False)
        j = self.assertOk(n.get("/api/collections/", user="cu"))
        cs = {c["id"]: c for c in j["collections"]}
        self.assertEqual((cs[cid]["can_read"], cs[cid]["can_write"]), (True, False))
        self.assertEqual(cs[cid].get("alias"), "json-mode")
        n.grant(cid, "cu", read=True, write=True)
        j = self.assertOk(n.get("/api/collections/%s/" % cid, user="cu"))
        self.assertEqual((j["can_read"], j["can_write"]), (True, True))
        n.grant(cid, "cu", read=False, write=False)  # neither flag revokes
        self.assertEqual(self.assertOk(n.get("/api/collections/", user="cu")), {})
        self.assertError(n.get("/api/collections/%s/" % cid, user="cu"), 404)


class TestPushGet(CliAsserts, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("rw")
        n.add_user("ro")
        cls.tok, _ = n.create_token("rw")
        cls.c = n.create_collection("PushGet")
        cls.c3 = n.create_collection("Rejects")
        cls.c4 = n.create_collection("Several")
        for c in (cls.c, cls.c3, cls.c4):
            n.grant(c, "rw")
            n.grant(c, "ro", read=True, write=False)
        n.start()
        cls.tmp = tempfile.mkdtemp(prefix="enlace-cli-files-")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def write(self, name, doc, indent=2):
        p = os.path.join(self.tmp, name)
        with open(p, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=indent)
        return p

    def creds(self):
        return ["--user", "rw", "--password", self.node.passwords["rw"]]

    def test_push_get_roundtrip(self):
        n = self.node
        objs = [indicator(i) for i in range(5)] + [identity(1)]
        objs[2]["modified"] = "2024-01-02T03:04:05.6000Z"  # odd but valid spelling (4 digits): must come back as is
        bundle = {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": objs}
        p = self.write("bundle.json", bundle)
        r = run(["push", "--url", n.api, "--collection", self.c] + self.creds() + [p])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("%s: 6 objects, 6 accepted, 0 rejected" % p, r.stdout)
        # get: envelope to a file, all objects equal
        out = os.path.join(self.tmp, "out.json")
        r = run(["get", "--url", n.api, "--collection", self.c, "-o", out] + self.creds())
        self.assertEqual(r.returncode, 0, r.stderr)
        got = en.load_json(out)
        self.assertEqual(sorted(got["objects"], key=lambda o: o["id"]), sorted(objs, key=lambda o: o["id"]))
        self.assertIn(b'"2024-01-02T03:04:05.6000Z"', en.read_bytes(out))
        # jsonl to stdout, following next with a small limit
        r = run(["get", "--url", n.api, "--collection", self.c, "--jsonl", "--limit", "2"] + self.creds())
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(sorted(lines, key=lambda o: o["id"]), sorted(objs, key=lambda o: o["id"]))
        # filters
        r = run(["get", "--url", n.api, "--collection", self.c, "--jsonl", "--type", "identity"] + self.creds())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([json.loads(l) for l in r.stdout.splitlines() if l.strip()], [objs[5]])
        r = run(["get", "--url", n.api, "--collection", self.c, "--jsonl", "--id", objs[1]["id"]] + self.creds())
        self.assertEqual([json.loads(l) for l in r.stdout.splitlines() if l.strip()], [objs[1]])
        r = run(["get", "--url", n.api, "--collection", self.c, "--jsonl", "--manifest"] + self.creds())
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual({x["id"] for x in recs}, {o["id"] for o in objs})
        for x in recs:
            self.assertRegex(x["date_added"], en.TAXII_TS_RE)
        # token credentials from the environment
        r = run(["get", "--url", n.api, "--collection", self.c, "--jsonl"], env={"ENLACE_TOKEN": self.tok})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.strip()]), 6)
        r = run(["get", "--url", n.api, "--collection", self.c, "--jsonl"],
                env={"ENLACE_USER": "ro", "ENLACE_PASSWORD": n.passwords["ro"]})
        self.assertEqual(r.returncode, 0, r.stderr)
        # push again: all accepted (already stored)
        r = run(["push", "--url", n.api, "--collection", self.c, "--token", self.tok, "--json", p])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(lines[-1], {"summary": {"objects": 6, "accepted": 6, "rejected": 0}})

    def test_push_rejects_exit_3(self):
        n = self.node
        good = indicator(10)
        bad = indicator(11)
        del bad["pattern"]
        p = self.write("mixed.json", [good, bad])  # a bare array
        r = run(["push", "--url", n.api, "--collection", self.c3, "--json"] + self.creds() + [p])
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(lines[-1], {"summary": {"objects": 2, "accepted": 1, "rejected": 1}})
        res = {x["id"]: x for x in lines[:-1]}
        self.assertEqual(set(res), {good["id"], bad["id"]})
        self.assertEqual(res[good["id"]]["result"], "accepted")
        self.assertEqual(res[good["id"]]["version"], good["modified"])
        self.assertEqual(res[good["id"]]["file"], p)
        self.assertEqual(res[bad["id"]]["result"], "rejected")
        self.assertIn("pattern", res[bad["id"]]["message"])
        # text mode
        bad2 = indicator(12)
        del bad2["pattern_type"]
        p2 = self.write("one.json", bad2, indent=None)  # a single object
        r = run(["push", "--url", n.api, "--collection", self.c3] + self.creds() + [p2])
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("%s: 1 objects, 0 accepted, 1 rejected" % p2, r.stdout)
        self.assertRegex(r.stdout, r"\n  rejected %s %s: .*pattern_type" % (re.escape(bad2["id"]), re.escape(bad2["modified"])))

    def test_push_several_files_and_get_filters(self):
        n = self.node
        c = self.c4
        a = [indicator(2000 + i) for i in range(3)]
        b_bad = indicator(2010)
        del b_bad["valid_from"]
        b = [identity(2011), b_bad]
        p1 = self.write("env.json", {"objects": a})                      # a TAXII envelope
        p2 = self.write("bundle2.json", {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": b})
        r = run(["push", "--url", n.api, "--collection", c, "--json"] + self.creds() + [p1, p2])
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(lines[-1], {"summary": {"objects": 5, "accepted": 4, "rejected": 1}})
        files = {x["id"]: x["file"] for x in lines[:-1]}
        for o in a:
            self.assertEqual(files[o["id"]], p1)
        for o in b:
            self.assertEqual(files[o["id"]], p2)
        r = run(["push", "--url", n.api, "--collection", c] + self.creds() + [p1, p2])
        self.assertEqual(r.returncode, 3)
        self.assertIn("%s: 3 objects, 3 accepted, 0 rejected" % p1, r.stdout)
        self.assertIn("%s: 2 objects, 1 accepted, 1 rejected" % p2, r.stdout)
        # get filters: --version, --spec-version, --added-after
        v2 = dict(a[0], modified="2025-01-01T00:00:00.000Z", name="second")
        p3 = self.write("v2.json", v2)
        self.assertEqual(run(["push", "--url", n.api, "--collection", c] + self.creds() + [p3]).returncode, 0)

        def get(*extra):
            r = run(["get", "--url", n.api, "--collection", c, "--jsonl"] + list(extra) + self.creds())
            self.assertEqual(r.returncode, 0, r.stderr)
            return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(get("--id", a[0]["id"]), [v2])
        self.assertEqual(sorted(o["modified"] for o in get("--id", a[0]["id"], "--version", "all")),
                         [a[0]["modified"], v2["modified"]])
        self.assertEqual(get("--id", a[0]["id"], "--version", "first"), [a[0]])
        self.assertEqual(get("--id", a[0]["id"], "--spec-version", "2.0"), [])
        recs = get("--manifest", "--version", "all")
        cut = [x for x in recs if x["id"] == a[0]["id"] and x["version"] == a[0]["modified"]][0]["date_added"]
        after = get("--added-after", cut, "--version", "all")
        self.assertIn(v2, after)
        self.assertNotIn(a[0], after)
        r = run(["get", "--url", n.api, "--collection", c, "--added-after", "not-a-time"] + self.creds())
        self.assertIn(r.returncode, (1, 2), r.stdout + r.stderr)

    def test_push_errors(self):
        n = self.node
        p = self.write("ok.json", {"objects": [indicator(20)]})
        # wrong password: error, exit 1
        r = run(["push", "--url", n.api, "--collection", self.c, "--user", "rw", "--password", "wrong", p])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertTrue(r.stderr.strip())
        # read-only user cannot write
        r = run(["push", "--url", n.api, "--collection", self.c, "--user", "ro", "--password", n.passwords["ro"], p])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        # usage
        r = run(["push", "--collection", self.c] + self.creds() + [p])
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        r = run(["push", "--url", n.api, "--collection", self.c] + self.creds())
        self.assertEqual(r.returncode, 2, "push without files: " + r.stdout + r.stderr)
        # unreachable server
        r = run(["push", "--url", "http://127.0.0.1:1/api/", "--collection", self.c] + self.creds() + [p])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        # a file that is not JSON
        bad = os.path.join(self.tmp, "notjson.json")
        with open(bad, "w") as fh:
            fh.write("{not json")
        r = run(["push", "--url", n.api, "--collection", self.c] + self.creds() + [bad])
        self.assertIn(r.returncode, (1, 3), r.stdout + r.stderr)
        # get on an unknown collection
        r = run(["get", "--url", n.api, "--collection", str(uuid.uuid4()), "--jsonl"] + self.creds())
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)

    def test_push_batches(self):
        n = self.node
        c = self.c3
        objs = [indicator(1000 + i) for i in range(57)]
        p = self.write("batch.json", {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": objs})
        r = run(["push", "--url", n.api, "--collection", c, "--batch", "10", "--json"] + self.creds() + [p])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(lines[-1], {"summary": {"objects": 57, "accepted": 57, "rejected": 0}})
        items, _ = n.get_all(n.objects_path(c), user="rw", params=[("match[id]", ",".join(o["id"] for o in objs[:20]))])
        self.assertEqual(len(items), 20)


class TestPushSmallServer(CliAsserts, unittest.TestCase):
    """push splits envelopes under the server's max_content_length (from the API root) and
    refuses locally an object that alone would be too big."""

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("rw")
        cls.c = n.create_collection("Small")
        n.grant(cls.c, "rw")
        n.start("--max-content-length", "20000")
        cls.tmp = tempfile.mkdtemp(prefix="enlace-cli-small-")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_push_respects_max_content_length(self):
        n = self.node
        objs = [indicator(i, description="x" * 300) for i in range(200)]  # ~130 KB in all
        huge = identity(1, description="y" * 30000)
        p = os.path.join(self.tmp, "many.json")
        with open(p, "w") as f:
            json.dump({"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": objs + [huge]}, f)
        r = run(["push", "--url", n.api, "--collection", self.c, "--json", "--user", "rw",
                 "--password", n.passwords["rw"], p])
        self.assertEqual(r.returncode, 3, r.stdout[-500:] + r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(lines[-1], {"summary": {"objects": 201, "accepted": 200, "rejected": 1}})
        res = {x["id"]: x for x in lines[:-1]}
        self.assertEqual(res[huge["id"]]["result"], "rejected")
        self.assertTrue(res[huge["id"]]["message"])
        items, _ = n.get_all(n.objects_path(self.c), user="rw")
        self.assertEqual(sorted(o["id"] for o in items), sorted(o["id"] for o in objs))


if __name__ == "__main__":
    en.main()
