"""test_tls.py - HTTPS with a self-signed certificate (openssl), and plain HTTP refused off loopback.

`enlace serve --tls-cert F --tls-key F` on 127.0.0.1 must answer a request verified against that
certificate; `enlace serve --listen 0.0.0.0:0` without TLS must refuse to start (exit 2).
"""

import os
import shutil
import subprocess
import sys
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TAXII, TaxiiAsserts, indicator  # noqa: E402


def serve_must_exit(args, timeout=10):
    """Run `enlace serve ARGS` expecting it to exit by itself; (returncode, stdout, stderr)."""
    try:
        r = subprocess.run([en.enlace_bin(), "serve"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("enlace serve %r kept running (it must refuse to start)\nstdout: %s"
                             % (args, e.stdout))
    return r.returncode, r.stdout, r.stderr


def make_cert(d, cn="127.0.0.1"):
    cert = os.path.join(d, "cert.pem")
    key = os.path.join(d, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=%s" % cn,
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("openssl failed: %s" % r.stderr)
    return cert, key


class TestTLS(TaxiiAsserts, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("openssl not installed")
        n = cls.node = en.Node()
        n.add_user("rw")
        cls.c = n.create_collection("TLS")
        n.grant(cls.c, "rw")
        cls.cert, cls.key = make_cert(n.dir)

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def tearDown(self):
        if self.node.proc is not None:
            self.node.stop()

    def test_https_verified(self):
        n = self.node
        n.start("--tls-cert", self.cert, "--tls-key", self.key)
        self.assertEqual(n.scheme, "https", "the listening line must say https")
        r = n.get("/taxii2/", user="rw", verify=self.cert)
        self.assertOk(r)
        r = n.get("/api/collections/", user="rw", verify=self.cert)
        j = self.assertOk(r)
        self.assertEqual([c["id"] for c in j["collections"]], [self.c])
        st = self.assertOk(n.post_envelope(self.c, [indicator(1)], user="rw", verify=self.cert), 202)
        self.assertEqual(st["success_count"], 1)
        # without the certificate the client refuses the self-signed server
        with self.assertRaises(requests.exceptions.SSLError):
            n.get("/taxii2/", user="rw")
        # plain HTTP to the TLS port gets no TAXII answer
        try:
            r = requests.get("http://127.0.0.1:%d/taxii2/" % n.port, auth=("rw", n.passwords["rw"]),
                             headers={"Accept": TAXII}, timeout=10)
            self.assertNotEqual(r.status_code, 200, "plain HTTP served on the TLS port")
        except requests.exceptions.RequestException:
            pass
        # the push client talks to it too when told to trust the cert is not in the contract;
        # the server still serves after the failed handshakes
        self.assertOk(n.get("/api/", user="rw", verify=self.cert))

    def test_tls12_accepted(self):
        # T8.2.2: a server MUST accept TLS 1.2 (and SHOULD accept 1.3)
        import socket
        import ssl
        n = self.node
        n.start("--tls-cert", self.cert, "--tls-key", self.key)
        for ver in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = ssl.create_default_context(cafile=self.cert)
            ctx.minimum_version = ver
            ctx.maximum_version = ver
            with socket.create_connection(("127.0.0.1", n.port), timeout=30) as sock:
                with ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
                    self.assertEqual(tls.version(), {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                                     ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[ver])
                    tls.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/taxii+json;version=2.1\r\n"
                                b"Connection: close\r\n\r\n")
                    data = b""
                    while True:
                        chunk = tls.recv(65536)
                        if not chunk:
                            break
                        data += chunk
            self.assertTrue(data.startswith(b"HTTP/1.1 "), data[:100])
            self.assertIn(int(data[9:12]), (200, 401), data[:200])

    def test_tls_on_all_interfaces_is_allowed(self):
        n = self.node
        n.start("--tls-cert", self.cert, "--tls-key", self.key, listen="0.0.0.0:0")
        self.assertEqual(n.scheme, "https")
        r = requests.get("https://127.0.0.1:%d/api/" % n.port, auth=("rw", n.passwords["rw"]),
                         headers={"Accept": TAXII}, verify=self.cert, timeout=30)
        self.assertOk(r)

    def test_plain_http_off_loopback_refused(self):
        for listen in ("0.0.0.0:0",):
            rc, out, err = serve_must_exit([self.node.dir, "--listen", listen])
            self.assertEqual(rc, 2, "serve --listen %s without TLS: exit %d\n%s%s" % (listen, rc, out, err))
            self.assertNotIn("listening", out)
            self.assertTrue(err.strip(), "a message on stderr")

    def test_bad_tls_files(self):
        # a missing key or a key that does not match: refused at start, not a running server
        other_dir = os.path.join(self.node.dir, "other")
        os.mkdir(other_dir)
        cert2, key2 = make_cert(other_dir)
        for args in (["--tls-cert", self.cert], ["--tls-cert", self.cert, "--tls-key", "/nonexistent.pem"],
                     ["--tls-cert", self.cert, "--tls-key", key2]):
            rc, out, err = serve_must_exit([self.node.dir, "--listen", "127.0.0.1:0"] + args)
            self.assertIn(rc, (1, 2), "serve %r: exit %d" % (args, rc))
            self.assertNotIn("listening", out)


if __name__ == "__main__":
    en.main()
