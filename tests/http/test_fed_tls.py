#!/usr/bin/env python3
"""test_fed_tls.py - federation over HTTPS (issue 5 must-have 4, "a TLS error"): MX pulls from a US
node served with a self-signed certificate. Without the certificate the pass fails with a one-line
TLS cause in bounded time and stores nothing; with `sync --cacert` it pulls exactly. Needs openssl
(skips otherwise)."""
import shutil
import time
import unittest

from enlace_node import Node, indicator, main
from test_federation import marked, mirror_pairs, pairs, sync, wire
from test_tls import make_cert


class FedTLS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl not installed")
        cls.mx = Node("MX", "SSPC")
        cls.us = Node("US", "DEA")
        cls.cert, key = make_cert(cls.us.dir)
        cls.us.start("--sync-interval", "0", "--tls-cert", cls.cert, "--tls-key", key)
        cls.mx.start("--sync-interval", "0")
        assert cls.us.api.startswith("https://"), cls.us.api
        cls.us.add_user("dea-analyst")
        cls.us.create_collection("Narcotics", alias="narcotics", default_tlp="clear")
        cls.us.grant("narcotics", "dea-analyst")
        cls.us.agreement("MX", "narcotics")
        wire(cls.mx, cls.us)
        cls.objs = [marked(indicator(n), "clear") for n in range(5)]
        r = cls.us.post_envelope("narcotics", cls.objs, user="dea-analyst", verify=cls.cert)
        assert r.status_code == 202, r.text

    @classmethod
    def tearDownClass(cls):
        for n in (cls.mx, cls.us):
            n.stop()
            n.cleanup()

    def test_untrusted_certificate_then_cacert(self):
        t0 = time.time()
        r = sync(self.mx, "--retries", "1", check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertLess(time.time() - t0, 60)
        lines = [l for l in r.stdout.splitlines() if l.startswith("US")]
        self.assertEqual(len(lines), 1, r.stdout)
        self.assertRegex(lines[0], r"(?i)US: failed: .*(certificate|tls|ssl)", r.stdout)
        self.assertIn("--cacert FILE", lines[0])                 # says what to do
        self.assertEqual(mirror_pairs(self.mx, "us-narcotics"), [])
        # the operator trusts the partner's certificate: the next pass pulls exactly
        r = sync(self.mx, "--cacert", self.cert)
        self.assertIn("US: ok", r.stdout)
        got = mirror_pairs(self.mx, "us-narcotics")
        self.assertEqual(len(got), len(self.objs))
        self.assertEqual(set(got), pairs(self.objs))
        # the serve worker, told the same with --sync-cacert, pulls what is added next
        more = [marked(indicator(100 + n), "clear") for n in range(3)]
        r = self.us.post_envelope("narcotics", more, user="dea-analyst", verify=self.cert)
        self.assertEqual(r.status_code, 202, r.text)
        self.mx.restart("--sync-interval", "1", "--sync-cacert", self.cert)
        deadline = time.time() + 60
        while time.time() < deadline and len(mirror_pairs(self.mx, "us-narcotics")) < len(self.objs) + 3:
            time.sleep(0.3)
        self.assertEqual(set(mirror_pairs(self.mx, "us-narcotics")), pairs(self.objs + more))


if __name__ == "__main__":
    main()
