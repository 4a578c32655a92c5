"""test_busy.py - a store held by another writer past the busy timeout gives 503 + Retry-After.

Regression: a POST that could not get the write lock (another writer held it for longer than the
10 s busy timeout) was answered 500 "could not complete the request", which tells a client
neither that nothing was stored nor that repeating the request is the fix. Now: 503 with the TAXII
error resource and Retry-After, nothing stored, and the same POST succeeds once the lock is gone.
"""

import os
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TAXII, indicator  # noqa: E402


class TestBusyStore(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("rw")
        cls.c = n.create_collection("Busy")
        cls.c2 = n.create_collection("Busy push")
        n.grant(cls.c, "rw")
        n.grant(cls.c2, "rw")
        n.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def test_write_lock_held_elsewhere(self):
        objs = [indicator(i) for i in range(3)]
        db = sqlite3.connect(os.path.join(self.node.dir, "enlace.db"), timeout=5, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")  # hold the write lock past the node's busy timeout
            t = time.time()
            r = self.node.post_envelope(self.c, objs, user="rw")
            waited = time.time() - t
            self.assertEqual(r.status_code, 503, r.text)
            self.assertEqual(r.headers["Content-Type"], TAXII)
            self.assertIn("Retry-After", r.headers)
            self.assertEqual(r.json()["http_status"], "503")
            self.assertGreater(waited, 5, "the node should wait for the lock before giving up")
        finally:
            db.execute("ROLLBACK")
            db.close()
        g = self.node.get(self.node.objects_path(self.c), user="rw")
        self.assertNotIn("objects", g.json(), "nothing may be stored by a refused POST")
        r = self.node.post_envelope(self.c, objs, user="rw")
        self.assertEqual(r.status_code, 202, r.text)
        self.assertEqual(r.json()["success_count"], 3)

    def test_push_retries_after_503(self):
        """`enlace push` sends an envelope answered 503 again (bounded), so a load survives a
        writer that held the store for a while."""
        path = os.path.join(self.node.dir, "retry.json")
        with open(path, "w") as f:
            import json
            json.dump({"type": "bundle", "id": en.new_id("bundle"), "objects": [indicator(100 + i) for i in range(4)]}, f)
        db = sqlite3.connect(os.path.join(self.node.dir, "enlace.db"), timeout=5, isolation_level=None,
                             check_same_thread=False)
        db.execute("BEGIN IMMEDIATE")
        release = threading.Timer(11.0, lambda: (db.execute("ROLLBACK"), db.close()))
        release.start()
        try:
            r = self.node.cli("push", "--url", self.node.base + "/api/", "--collection", self.c2,
                              "--user", "rw", "--password", self.node.passwords["rw"], path, check=False)
        finally:
            release.join()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("4 accepted", r.stdout)


if __name__ == "__main__":
    en.main()
