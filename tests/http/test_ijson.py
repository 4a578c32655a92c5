"""test_ijson.py - bodies that json-c alone would accept but that are not I-JSON (RFC 7493, which
TAXII 2.1 §1.6.7 requires) get 400 and store nothing: NaN / Infinity, numbers like "1.", raw control
characters in strings, lone surrogate escapes, duplicate member names. enlace serves received
bytes as they are, so anything it stored must parse the same way in every JSON parser (regression:
such objects used to be stored, making every page that held them unreadable to Python, JS or jq).
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enlace_node as en  # noqa: E402
from enlace_node import TAXII  # noqa: E402

T0 = "2024-05-01T10:00:00.000Z"
XID = "x-foo--4c8a3f5e-2b6d-4e1a-9c3b-1f2e3d4c5b6a"


def body_with(member):
    return ('{"objects":[{"type":"x-foo","spec_version":"2.1","id":"%s","created":"%s",'
            '"modified":"%s",%s}]}' % (XID, T0, T0, member)).encode("utf-8")


class TestIJson(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        n = cls.node = en.Node()
        n.add_user("rw")
        cls.c = n.create_collection("I-JSON")
        n.grant(cls.c, "rw")
        n.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.node.cleanup()

    def post_raw(self, body):
        return self.node.request("POST", self.node.objects_path(self.c), user="rw", data=body,
                                 content_type=TAXII)

    def assert_refused(self, body, reason_part):
        r = self.post_raw(body)
        self.assertEqual(r.status_code, 400, r.text)
        self.assertEqual(r.headers["Content-Type"], TAXII)
        err = r.json()
        self.assertEqual(err["http_status"], "400")
        self.assertIn(reason_part, err["description"])
        g = self.node.get(self.node.objects_path(self.c), user="rw")
        self.assertEqual(g.status_code, 200)
        self.assertNotIn("objects", g.json(), "nothing of a refused body may be stored")

    def test_nan_infinity_and_bad_numbers(self):
        self.assert_refused(body_with('"x_v":NaN'), "not a JSON value")
        self.assert_refused(body_with('"x_v":Infinity'), "not a JSON value")
        self.assert_refused(body_with('"x_v":-Infinity'), "bad number")
        self.assert_refused(body_with('"x_v":1.'), "digits must follow")

    def test_control_characters_and_lone_surrogates(self):
        self.assert_refused(body_with('"x_v":"a\tb"'), "control character")
        self.assert_refused(body_with('"x_v":"\\ud800"'), "lone high surrogate")
        self.assert_refused(body_with('"x_v":"\\udfff"'), "lone low surrogate")

    def test_duplicate_member_names(self):
        # The first copy of type/id would be what a first-wins consumer sees, the last what json-c
        # validated: refused, so no unvalidated indicator can hide behind an x-foo.
        dup = ('{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--4c8a3f5e-2b6d-4e1a'
               '-9c3b-1f2e3d4c5b6a","created":"%s","modified":"%s","name":"no pattern","type":"x-foo",'
               '"id":"%s"}]}' % (T0, T0, XID)).encode()
        self.assert_refused(dup, "duplicate member name")
        self.assert_refused(body_with('"x_v":2,"x_\\u0076":1'), "duplicate member name")

    def test_valid_escapes_still_stored_byte_exact(self):
        body = body_with('"x_v":"caf\\u00e9 \\ud83d\\ude00 \\/ tab\\t","x_n":-0.5e-3')
        r = self.post_raw(body)
        self.assertEqual(r.status_code, 202, r.text)
        self.assertEqual(r.json()["success_count"], 1, r.text)
        g = self.node.get(self.node.objects_path(self.c), user="rw")
        raw = g.content.decode("utf-8")
        self.assertIn('"x_v":"caf\\u00e9 \\ud83d\\ude00 \\/ tab\\t"', raw)
        self.assertIn('"x_n":-0.5e-3', raw)
        self.assertEqual(json.loads(raw)["objects"][0]["x_v"], "caf\u00e9 \U0001F600 / tab\t")

    def test_nul_in_query_value_is_400(self):
        # Regression: match[type]=indicator%00junk was served as match[type]=indicator.
        for q in ("match[type]=indicator%00junk", "match[version]=all%00junk", "limit=5%00", "a%00b=1"):
            r = self.node.raw("GET", self.node.objects_path(self.c) + "?" + q, user="rw")
            self.assertEqual(r.status_code, 400, q)
            self.assertIn("NUL", r.json()["description"], q)

    def test_error_bodies_are_valid_utf8_json(self):
        # Regression: the description echoed the raw bytes of %ff%fe, making the error resource
        # itself invalid UTF-8.
        r = self.node.raw("GET", self.node.objects_path(self.c) + "?match[type]=%ff%fe", user="rw")
        self.assertEqual(r.status_code, 400)
        err = json.loads(r.content.decode("utf-8"))  # strict: raises on invalid UTF-8
        self.assertEqual(err["http_status"], "400")


if __name__ == "__main__":
    en.main()
