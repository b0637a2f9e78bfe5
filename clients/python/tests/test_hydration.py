"""The hydration script against tests/vectors/hydration.json: built in Python (the fallback
path) and written by a real ssrd on tests/vectors/hydration_bundle.mjs. Both must equal the
vector's "script" byte for byte."""
import json
import unittest

from . import support
from ssrd_client import Client, hydration_script
from ssrd_client.hydration import _js_number


def load_vectors():
    with open(support.VECTORS, encoding="utf-8") as f:
        vectors = json.load(f)
    if not vectors:
        raise AssertionError("no hydration vectors")
    return vectors


class PythonBuiltScriptTest(unittest.TestCase):
    def test_every_vector(self):
        checked = 0
        for vector in load_vectors():
            if vector.get("data"):
                continue  # the bundle adds that data at render time; only the daemon sees it
            with self.subTest(vector["name"]):
                options = vector.get("options") or {}
                script = hydration_script(vector["component"], vector["props"],
                                          hydrate_id=options.get("hydrate_id"),
                                          nonce=options.get("nonce"),
                                          hydrate_global=options.get("hydrate_global"))
                self.assertEqual(script, vector["script"])
                checked += 1
        self.assertGreater(checked, 10)

    def test_numbers_follow_javascript(self):
        cases = {1.0: "1", 0.1: "0.1", 1e21: "1e+21", 1e20: "100000000000000000000",
                 1e-7: "1e-7", 1.5e-7: "1.5e-7", 0.000001: "0.000001", -2.5: "-2.5",
                 1e16: "10000000000000000", 5e-324: "5e-324", -0.0: "0",
                 float("nan"): "null", float("inf"): "null", 1.25e25: "1.25e+25"}
        for value, text in cases.items():
            self.assertEqual(_js_number(value), text, repr(value))

    def test_hostile_nonce_and_id_cannot_leave_the_attribute(self):
        script = hydration_script("X", {}, hydrate_id='a"><x', nonce='"><script>')
        self.assertEqual(script.count("<"), 2)  # the opening and the closing tag only
        self.assertEqual(script.count(">"), 2)
        self.assertIn('id="a&quot;&gt;&lt;x"', script)


class DaemonScriptTest(unittest.TestCase):
    """Fails until the daemon writes hydration scripts (the "hydrate" request key)."""

    def test_every_vector_against_ssrd(self):
        daemon = support.start_daemon(self, support.VECTOR_BUNDLE, workers=1)
        client = Client(daemon.socket_path, timeout=20.0)
        self.addCleanup(client.close)
        probe = client.render("Text", {"text": "x"}, hydrate=True)
        if not probe.script:
            self.fail("this ssrd sent no \"script\" for hydrate=True: it has no hydration support")
        for vector in load_vectors():
            with self.subTest(vector["name"]):
                options = vector.get("options") or {}
                result = client.render(vector["component"], vector["props"], hydrate=True,
                                       hydrate_id=options.get("hydrate_id"),
                                       nonce=options.get("nonce"),
                                       hydrate_global=options.get("hydrate_global"))
                self.assertEqual(result.script, vector["script"])
                self.assertEqual(result.html, "<p>" + vector["component"] + "</p>")
                combined = client.render(vector["component"], vector["props"], hydrate=True,
                                         combine=True, hydrate_id=options.get("hydrate_id"),
                                         nonce=options.get("nonce"),
                                         hydrate_global=options.get("hydrate_global"))
                self.assertEqual(combined.html,
                                 "<p>" + vector["component"] + "</p>" + vector["script"])

    def test_no_script_unless_asked(self):
        daemon = support.start_daemon(self, support.VECTOR_BUNDLE, workers=1)
        with Client(daemon.socket_path, timeout=20.0) as client:
            self.assertEqual(client.render("Text", {"text": "x"}).script, "")


if __name__ == "__main__":
    unittest.main()
