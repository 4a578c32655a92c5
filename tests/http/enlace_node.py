"""enlace_node.py - start and drive a real enlace node for the integration tests (tests/http).

Each test file imports this module. A Node lives in a tempfile.mkdtemp() directory, is created
with `enlace init --json` (party, own organization, an admin user that reads and writes no
objects), gets parties / organizations / vettings / agreements / users (analysts by default, of
the node's organization) / tokens / collections / grants through the CLI, and is
served by `enlace serve DIR --listen 127.0.0.1:0` as a subprocess. The base URL is read from the
one "enlace: listening on ..." line. stop() sends SIGTERM and asserts exit status 0.

Environment (set by CMake/ctest):
  ENLACE_BIN          path of the enlace binary (required; without it a file exits 77 = skipped)
  ENLACE_SRC          repository root (for data/)
  ENLACE_SHARED_DATA  the shared data folder; default $ENLACE_SRC/../shared/data
Only the Python standard library and requests are used.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

import requests

TAXII = "application/taxii+json;version=2.1"
STIX21 = "application/stix+json;version=2.1"
TAXII_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
LISTEN_RE = re.compile(r"^enlace: listening on (https?)://([0-9.]+|\[[0-9a-f:]+\]):(\d+)/\s*$")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
HTTP_TIMEOUT = 120.0


def skip_exit(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def enlace_bin():
    b = os.environ.get("ENLACE_BIN", "")
    if not b or not os.path.isfile(b) or not os.access(b, os.X_OK):
        return None
    return b


def src_dir():
    s = os.environ.get("ENLACE_SRC")
    if s:
        return os.path.abspath(s)
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def repo_data_dir():
    return os.path.join(src_dir(), "data")


def shared_data_dir():
    """The shared data folder, or None when absent."""
    d = os.environ.get("ENLACE_SHARED_DATA") or os.path.join(src_dir(), "..", "shared", "data")
    d = os.path.abspath(d)
    return d if os.path.isdir(d) else None


def find_data_file(rel):
    """rel (e.g. 'taxii21-medallion/default_data.json') in the repo's data/, else the shared
    data folder; None when in neither."""
    for base in (repo_data_dir(), shared_data_dir()):
        if base and os.path.isfile(os.path.join(base, rel)):
            return os.path.join(base, rel)
    return None


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    """Entry point of every test file: exit 77 when there is no binary, else run unittest."""
    if enlace_bin() is None:
        skip_exit("ENLACE_BIN is not set or not an executable file")
    unittest.main(verbosity=2)


def run(args, input=None, env=None, timeout=300):
    """Run `enlace ARGS...`; returns CompletedProcess with text stdout/stderr."""
    e = dict(os.environ)
    for k in ("ENLACE_USER", "ENLACE_PASSWORD", "ENLACE_TOKEN", "ENLACE_CLOCK_OFFSET",
              "ENLACE_CRASH_AFTER_OBJECTS", "ENLACE_CRASH_BEFORE_COMMIT", "ENLACE_CRASH_AFTER_COMMIT"):
        e.pop(k, None)
    if env:
        e.update(env)
    return subprocess.run([enlace_bin()] + [str(a) for a in args], input=input,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                          timeout=timeout, text=True)


def new_id(t):
    return "%s--%s" % (t, uuid.uuid4())


def indicator(n=0, **kw):
    """A small valid STIX 2.1 indicator."""
    o = {"type": "indicator", "spec_version": "2.1", "id": new_id("indicator"),
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
         "name": "test indicator %d" % n, "pattern": "[ipv4-addr:value = '10.0.%d.%d']" % (n // 250 % 250, n % 250),
         "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
    o.update(kw)
    return o


def identity(n=0, **kw):
    o = {"type": "identity", "spec_version": "2.1", "id": new_id("identity"),
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
         "name": "org %d" % n, "identity_class": "organization"}
    o.update(kw)
    return o


def version_of(o):
    return o.get("modified", o.get("created"))


_TS = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$")


def ts_key(s):
    """Normalize a STIX/TAXII timestamp to a comparable instant key (fraction without trailing
    zeros), so that '...00.5Z' and '...00.500Z' compare equal. None stays None."""
    if s is None:
        return None
    m = _TS.match(s)
    if not m:
        return ("raw", s)
    frac = (m.group(7) or "").rstrip("0")
    return (m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6), frac)


class Reader(threading.Thread):
    """Drain a pipe into a list of lines (so the server never blocks on a full pipe)."""

    def __init__(self, pipe, on_line=None):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.lines = []
        self.on_line = on_line

    def run(self):
        for line in iter(self.pipe.readline, ""):
            if len(self.lines) < 20000:
                self.lines.append(line)
            if self.on_line:
                self.on_line(line)
        self.pipe.close()


class Node:
    """One enlace node in a temporary directory."""

    def __init__(self, party="MX", org="Test Org", init=True):
        self.dir = tempfile.mkdtemp(prefix="enlace-http-")
        self.proc = None
        self.base = None
        self.scheme = None
        self.port = None
        self.info = {}
        self.passwords = {}
        self._out = self._err = None
        if init:
            r = run(["init", self.dir, "--party", party, "--org", org, "--json"])
            if r.returncode != 0:
                raise AssertionError("enlace init failed (%d): %s" % (r.returncode, r.stderr))
            self.info = json.loads(r.stdout)
            self.passwords[self.info["admin_user"]] = self.info["admin_password"]

    # ---- CLI ---------------------------------------------------------------------------------

    def cli(self, *args, check=True, input=None, env=None):
        r = run(list(args), input=input, env=env)
        if check and r.returncode != 0:
            raise AssertionError("enlace %s -> exit %d\nstdout: %s\nstderr: %s"
                                 % (" ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
        return r

    def add_user(self, name, password=None, role=None, org=None, roles=None):
        """Add a user (`enlace user add`); returns its password. role/roles: "analyst" (the CLI's
        default), "liaison", "approver", "admin", "partner", or a comma-separated list or a list
        of them; org: an organization's name or identity id (default: the node's own)."""
        password = password or ("pw-%s-%s" % (name, uuid.uuid4().hex[:12]))
        args = ["user", "add", self.dir, name, "--password", password]
        r = roles if roles is not None else role
        if r:
            args += ["--role", r if isinstance(r, str) else ",".join(r)]
        if org:
            args += ["--org", org]
        self.cli(*args)
        self.passwords[name] = password
        return password

    @property
    def party(self):
        """The node's own party (from `enlace init`)."""
        return self.info.get("party")

    @property
    def org(self):
        """The node's own organization's name."""
        return self.info.get("org")

    @property
    def identity_id(self):
        """The node's own organization's STIX identity id."""
        return self.info.get("identity_id")

    def add_party(self, code, name=None):
        """`enlace party add`; returns the JSON {"code","name","self"}."""
        args = ["party", "add", self.dir, code, "--json"]
        if name:
            args += ["--name", name]
        return json.loads(self.cli(*args).stdout)

    def add_org(self, name, party=None, identity=None, description=None):
        """`enlace org add` (party default: the node's); returns the JSON
        {"name","identity_id","party","self","vouched"}. Give identity= the id another node
        published for its own organization so that both nodes name it alike."""
        args = ["org", "add", self.dir, name, "--json"]
        if party:
            args += ["--party", party]
        if identity:
            args += ["--identity", identity]
        if description:
            args += ["--description", description]
        return json.loads(self.cli(*args).stdout)

    def orgs(self):
        """`enlace org list --json`: a dict name -> organization."""
        j = json.loads(self.cli("org", "list", self.dir, "--json").stdout)
        return {o["name"]: o for o in j["organizations"]}

    def vet(self, org, until):
        """This node's party vets org (another party's) until `until` (YYYY-MM-DD or RFC 3339);
        returns the JSON of `enlace org vet --json`."""
        return json.loads(self.cli("org", "vet", self.dir, org, "--until", until, "--json").stdout)

    def unvet(self, org):
        self.cli("org", "unvet", self.dir, org)

    def agreement(self, partner, coll, max_tlp=None):
        """`enlace agreement set`: partner party may pull collection coll (id or alias)."""
        args = ["agreement", "set", self.dir, "--partner", partner, "--collection", coll, "--json"]
        if max_tlp:
            args += ["--max-tlp", max_tlp]
        return json.loads(self.cli(*args).stdout)

    def remove_agreement(self, partner, coll):
        self.cli("agreement", "remove", self.dir, "--partner", partner, "--collection", coll)

    def set_default_tlp(self, coll, level):
        """`enlace collection set --default-tlp LEVEL|none`."""
        self.cli("collection", "set", self.dir, coll, "--default-tlp", level)

    def create_token(self, user):
        r = self.cli("token", "create", self.dir, "--user", user, "--json")
        j = json.loads(r.stdout)
        return j["token"], j["token_id"]

    def create_collection(self, title, cid=None, alias=None, description=None, default_tlp=None):
        args = ["collection", "create", self.dir, "--title", title, "--json"]
        if default_tlp:
            args += ["--default-tlp", default_tlp]
        if cid:
            args += ["--id", cid]
        if alias:
            args += ["--alias", alias]
        if description:
            args += ["--description", description]
        r = self.cli(*args)
        return json.loads(r.stdout)["id"]

    def grant(self, coll, user, read=True, write=True):
        args = ["collection", "grant", self.dir, coll, "--user", user]
        if read:
            args.append("--read")
        if write:
            args.append("--write")
        self.cli(*args)

    # ---- server ------------------------------------------------------------------------------

    def start(self, *extra, env=None, listen="127.0.0.1:0", expect_ready=True):
        """Start `enlace serve`; wait (bounded) for the listening line. Returns self."""
        assert self.proc is None, "server already running"
        e = dict(os.environ)
        for k in ("ENLACE_CLOCK_OFFSET", "ENLACE_CRASH_AFTER_OBJECTS", "ENLACE_CRASH_BEFORE_COMMIT",
                  "ENLACE_CRASH_AFTER_COMMIT"):
            e.pop(k, None)
        if env:
            e.update({k: str(v) for k, v in env.items()})
        args = [enlace_bin(), "serve", self.dir, "--listen", listen] + [str(a) for a in extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=e, text=True, bufsize=1)
        ready = threading.Event()
        found = {}

        def on_line(line):
            m = LISTEN_RE.match(line)
            if m and not ready.is_set():
                found["m"] = m
                ready.set()

        self._out = Reader(self.proc.stdout, on_line)
        self._err = Reader(self.proc.stderr)
        self._out.start()
        self._err.start()
        if not expect_ready:
            return self
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if ready.wait(0.05):
                break
            if self.proc.poll() is not None:
                time.sleep(0.2)
                break
        if not ready.is_set():
            rc = self.proc.poll()
            if rc is None:
                self.proc.kill()
                self.proc.wait()
            out = "".join(self._out.lines)
            err = "".join(self._err.lines)
            self.proc = None
            raise AssertionError("enlace serve did not report listening within %ss (exit %s)\n"
                                 "stdout: %s\nstderr: %s" % (START_TIMEOUT, rc, out, err[-3000:]))
        m = found["m"]
        self.scheme, host, self.port = m.group(1), m.group(2), int(m.group(3))
        if host == "0.0.0.0":
            host = "127.0.0.1"
        self.base = "%s://%s:%d" % (self.scheme, host, self.port)
        return self

    def stderr_text(self):
        return "".join(self._err.lines) if self._err else ""

    def stop(self, expect_rc=0):
        """SIGTERM the server and wait (bounded); assert its exit status."""
        if self.proc is None:
            return None
        p = self.proc
        self.proc = None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError("enlace serve did not exit within %ss of SIGTERM" % STOP_TIMEOUT)
        self._out.join(5)
        self._err.join(5)
        if expect_rc is not None and rc != expect_rc:
            raise AssertionError("enlace serve exited %s after SIGTERM, expected %s\nstderr: %s"
                                 % (rc, expect_rc, self.stderr_text()[-3000:]))
        return rc

    def wait_exit(self, timeout=30):
        """Wait for the server to exit by itself (crash hooks); returns its exit status."""
        p = self.proc
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            self.proc = None
            raise AssertionError("enlace serve did not exit within %ss" % timeout)
        self.proc = None
        self._out.join(5)
        self._err.join(5)
        return rc

    def restart(self, *extra, env=None):
        self.stop()
        return self.start(*extra, env=env)

    def cleanup(self):
        try:
            if self.proc is not None:
                p = self.proc
                self.proc = None
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    try:
                        p.wait(STOP_TIMEOUT)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- HTTP --------------------------------------------------------------------------------

    @property
    def api(self):
        return self.base + "/api/"

    def url(self, path):
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return self.base + path

    def auth_for(self, user=None, token=None, password=None):
        """(auth, headers) for a user (Basic, password from add_user) or a bearer token."""
        if token is not None:
            return None, {"Authorization": "Bearer " + token}
        if user is None:
            return None, {}
        return (user, password if password is not None else self.passwords[user]), {}

    def request(self, method, path, user=None, token=None, password=None, params=None,
                headers=None, data=None, json_body=None, accept=TAXII, content_type=None, **kw):
        auth, h = self.auth_for(user, token, password)
        hd = {}
        if accept is not None:
            hd["Accept"] = accept
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            if content_type is None:
                content_type = TAXII
        if content_type is not None:
            hd["Content-Type"] = content_type
        hd.update(h)
        if headers:
            hd.update(headers)
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return requests.request(method, self.url(path), auth=auth, params=params, headers=hd,
                                data=data, **kw)

    def raw(self, method, target, user=None, token=None, headers=None, body=None, accept=TAXII):
        """Send a request with the target (path and query) exactly as given, bypassing requests'
        URL normalisation and quoting. Returns a RawResponse (status_code, headers, text, json())."""
        import base64
        import http.client
        hd = {}
        if accept is not None:
            hd["Accept"] = accept
        if token is not None:
            hd["Authorization"] = "Bearer " + token
        elif user is not None:
            hd["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % (user, self.passwords[user])).encode()).decode()
        if headers:
            hd.update(headers)
        if self.scheme == "https":
            raise AssertionError("raw() is for plain HTTP nodes")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for k, v in hd.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return RawResponse(method, self.base + target, resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    def get(self, path, user=None, **kw):
        return self.request("GET", path, user=user, **kw)

    def post_envelope(self, coll, objects, user=None, **kw):
        return self.request("POST", "/api/collections/%s/objects/" % coll, user=user,
                            json_body={"objects": objects}, **kw)

    def objects_path(self, coll):
        return "/api/collections/%s/objects/" % coll

    def get_all(self, path, user=None, params=None, key="objects", limit=None, max_pages=10000):
        """Follow next/more through every page of an objects/manifest/versions listing.
        Returns (items, responses)."""
        base_params = list(params or [])
        if limit is not None:
            base_params.append(("limit", str(limit)))
        items, resps = [], []
        nxt = None
        for _ in range(max_pages):
            p = list(base_params)
            if nxt is not None:
                p.append(("next", nxt))
            r = self.get(path, user=user, params=p)
            if r.status_code != 200:
                raise AssertionError("GET %s %s -> %d %s" % (path, p, r.status_code, r.text[:500]))
            resps.append(r)
            j = r.json()
            items.extend(j.get(key, []))
            if not j.get("more"):
                break
            nxt = j.get("next")
            if nxt is None:
                if key == "versions":
                    raise AssertionError("versions: more without next")
                raise AssertionError("more=true without next on %s" % path)
        return items, resps


class _Req:
    def __init__(self, method, url):
        self.method, self.url = method, url


class RawResponse:
    """Just enough of requests.Response for the assertions below."""

    def __init__(self, method, url, status, headers, body):
        self.status_code = status
        self.headers = requests.structures.CaseInsensitiveDict(headers)
        self.content = body
        self.text = body.decode("utf-8", "replace")
        self.url = url
        self.request = _Req(method, url)

    def json(self):
        return json.loads(self.content.decode("utf-8"))


class TaxiiAsserts:
    """Mixin for unittest.TestCase: shape checks shared by the files."""

    def assertTaxiiCT(self, r):
        ct = r.headers.get("Content-Type", "")
        norm = ct.replace(" ", "").lower()
        self.assertEqual(norm, TAXII, "Content-Type %r on %d %s %s" % (ct, r.status_code, r.request.method, r.url))

    def assertError(self, r, code, msg=None):
        """r is an HTTP error `code` with the TAXII error resource and content type."""
        where = "%s %s" % (r.request.method, r.url)
        self.assertEqual(r.status_code, code, "%s: expected %d, got %d: %s%s"
                         % (where, code, r.status_code, r.text[:300], (" (" + msg + ")") if msg else ""))
        self.assertTaxiiCT(r)
        try:
            j = r.json()
        except ValueError:
            self.fail("%s: error body is not JSON: %r" % (where, r.text[:300]))
        self.assertIsInstance(j, dict, where)
        self.assertIsInstance(j.get("title"), str, "%s: error resource without title: %r" % (where, j))
        self.assertTrue(j["title"], where)
        self.assertIn("http_status", j, "%s: error resource without http_status: %r" % (where, j))
        self.assertIsInstance(j["http_status"], str, "%s: http_status must be a string: %r" % (where, j))
        self.assertEqual(j["http_status"], str(code), where)
        return j

    def assertOk(self, r, code=200):
        self.assertEqual(r.status_code, code, "%s %s -> %d: %s" % (r.request.method, r.url, r.status_code, r.text[:500]))
        self.assertTaxiiCT(r)
        return r.json()

    def assertStatusComplete(self, st, total, ok, fail):
        self.assertIn(st.get("status"), ("complete",), st)
        self.assertEqual(st.get("total_count"), total, st)
        self.assertEqual(st.get("success_count"), ok, st)
        self.assertEqual(st.get("failure_count"), fail, st)
        self.assertEqual(st.get("pending_count"), 0, st)
        self.assertEqual(len(st.get("successes", [])), ok, st)
        self.assertEqual(len(st.get("failures", [])), fail, st)
        for e in st.get("successes", []) + st.get("failures", []):
            self.assertIn("id", e)
            self.assertIn("version", e)
        for e in st.get("failures", []):
            self.assertTrue(e.get("message"), "failure without a message: %r" % e)

    def assertDateHeaders(self, r):
        f = r.headers.get("X-TAXII-Date-Added-First")
        l = r.headers.get("X-TAXII-Date-Added-Last")
        self.assertIsNotNone(f, "X-TAXII-Date-Added-First missing on %s" % r.url)
        self.assertIsNotNone(l, "X-TAXII-Date-Added-Last missing on %s" % r.url)
        self.assertRegex(f, TAXII_TS_RE)
        self.assertRegex(l, TAXII_TS_RE)
        return f, l
