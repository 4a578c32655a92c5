"""test_crash.py - a node killed in the middle of a large POST keeps whole envelopes only.

The server is started with a test-only hook (compiled with ENLACE_TEST_HOOKS) that makes it
SIGKILL itself: ENLACE_CRASH_AFTER_OBJECTS=N (after N objects of an envelope were written),
ENLACE_CRASH_BEFORE_COMMIT=1, ENLACE_CRASH_AFTER_COMMIT=1. After the death the node is started
without the hook: the store opens, holds none of the killed envelope (or all of it when the kill
came after the commit) while the earlier envelope is intact, serves again, a re-POST completes,
and SQLite's integrity_check says ok.
"""

import os
import signal
import sqlite3
import sys
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TaxiiAsserts, indicator  # noqa: E402

BIG = 5000
EARLY = 25


class TestCrash(TaxiiAsserts, unittest.TestCase):

    def integrity(self, n):
        db = sqlite3.connect(os.path.join(n.dir, "enlace.db"))
        try:
            return db.execute("PRAGMA integrity_check").fetchall()
        finally:
            db.close()

    def run_case(self, hook_env, committed):
        n = en.Node()
        try:
            n.add_user("rw")
            c = n.create_collection("Crash")
            n.grant(c, "rw")
            # an earlier envelope, written by a clean server
            n.start()
            early = [indicator(100000 + i) for i in range(EARLY)]
            st = self.assertOk(n.post_envelope(c, early, user="rw"), 202)
            self.assertEqual(st["success_count"], EARLY)
            n.stop()
            # the big envelope, with the crash hook armed
            n.start(env=hook_env)
            big = [indicator(i) for i in range(BIG)]
            died_mid_request = False
            try:
                r = n.post_envelope(c, big, user="rw")
                got = "HTTP %d" % r.status_code
            except requests.exceptions.ConnectionError:
                died_mid_request = True
                got = "connection dropped"
            rc = n.wait_exit(30 if died_mid_request else 5)
            self.assertEqual(rc, -signal.SIGKILL, "with %r the server must SIGKILL itself (got exit %s, %s)"
                             % (hook_env, rc, got))
            self.assertTrue(died_mid_request, "with %r the POST must not be answered (%s)" % (hook_env, got))
            self.assertEqual(self.integrity(n), [("ok",)], "integrity_check right after the kill")
            # restart without the hook
            n.start()
            items, _ = n.get_all(n.objects_path(c), user="rw", params=[("match[version]", "all")], limit=1000)
            ids = {o["id"] for o in items}
            early_ids = {o["id"] for o in early}
            big_ids = {o["id"] for o in big}
            self.assertTrue(early_ids <= ids, "the earlier envelope must be intact")
            n_big = len(ids & big_ids)
            if committed:
                self.assertEqual(n_big, BIG, "after the commit every object of the envelope is kept")
            else:
                self.assertEqual(n_big, 0, "before the commit no object of the envelope may survive (%r)" % hook_env)
            self.assertEqual(len(items), EARLY + n_big)
            for o in items:
                if o["id"] in big_ids:
                    self.assertEqual(o, big[int(o["name"].split()[-1])])
            # the earlier objects are served unchanged
            em = {o["id"]: o for o in items}
            for o in early:
                self.assertEqual(em[o["id"]], o)
            # a re-POST completes
            st = self.assertOk(n.post_envelope(c, big, user="rw"), 202)
            self.assertStatusComplete(st, BIG, BIG, 0)
            if committed:
                msgs = {e.get("message", "") for e in st["successes"]}
                self.assertTrue(all("already stored" in m for m in msgs), msgs)
            items, _ = n.get_all(n.objects_path(c), user="rw", params=[("match[version]", "all")], limit=1000)
            self.assertEqual(len(items), EARLY + BIG)
            self.assertEqual(len({o["id"] for o in items}), EARLY + BIG)
            # date_added still strictly increasing over the whole collection
            recs, _ = n.get_all("/api/collections/%s/manifest/" % c, user="rw",
                                params=[("match[version]", "all")], limit=1000)
            das = [x["date_added"] for x in recs]
            self.assertEqual(len(das), EARLY + BIG)
            self.assertEqual(das, sorted(das))
            self.assertEqual(len(set(das)), len(das))
            n.stop()
            self.assertEqual(self.integrity(n), [("ok",)])
        finally:
            n.cleanup()

    def test_sigterm_during_large_post(self):
        """SIGTERM while a large envelope is being written: exit 0, and the store keeps the whole
        envelope or none of it (all of it when the 202 was sent)."""
        import threading
        import time
        n = en.Node()
        try:
            n.add_user("rw")
            c = n.create_collection("Term")
            n.grant(c, "rw")
            n.start()
            big = [indicator(i) for i in range(BIG)]
            result = {}

            def post():
                try:
                    result["r"] = n.post_envelope(c, big, user="rw")
                except requests.exceptions.RequestException as ex:
                    result["e"] = ex
            t = threading.Thread(target=post)
            t.start()
            time.sleep(0.15)
            n.stop(expect_rc=0)
            t.join(60)
            self.assertTrue(result, "the POST neither got an answer nor failed")
            answered = "r" in result and result["r"].status_code == 202
            print("\n  SIGTERM during POST: %s" % (("HTTP %d" % result["r"].status_code) if "r" in result
                                                   else "connection closed"), file=sys.stderr)
            if "r" in result:
                self.assertIn(result["r"].status_code, (202, 503), result["r"].text[:200])
            self.assertEqual(self.integrity(n), [("ok",)])
            n.start()
            items, _ = n.get_all(n.objects_path(c), user="rw", limit=1000)
            self.assertIn(len(items), (0, BIG) if not answered else (BIG,),
                          "a whole envelope or nothing (202 sent: %s)" % answered)
            n.stop()
        finally:
            n.cleanup()

    def test_crash_after_1_object(self):
        self.run_case({"ENLACE_CRASH_AFTER_OBJECTS": "1"}, committed=False)

    def test_crash_after_2500_objects(self):
        self.run_case({"ENLACE_CRASH_AFTER_OBJECTS": "2500"}, committed=False)

    def test_crash_after_4999_objects(self):
        self.run_case({"ENLACE_CRASH_AFTER_OBJECTS": "4999"}, committed=False)

    def test_crash_before_commit(self):
        self.run_case({"ENLACE_CRASH_BEFORE_COMMIT": "1"}, committed=False)

    def test_crash_after_commit(self):
        self.run_case({"ENLACE_CRASH_AFTER_COMMIT": "1"}, committed=True)


if __name__ == "__main__":
    en.main()
