"""Each example app's server bundle in the real daemon renders what Node rendered from the same
bundle (expected/, written by examples/write-expected.mjs and checked under Node by npm run
check): html and head byte for byte, and the status. Renders must leave nothing on the global
object: the worker's guard replaces the context of one that did (context_resets)."""
import os
import unittest

from harness import APPS, EXAMPLES, first_difference, read_cases, support

from ssrd_client import Client, hydration_json


class ExampleBundlesInTheDaemon(unittest.TestCase):
    def check_app(self, app):
        bundle = os.path.join(EXAMPLES, app, "dist", "server.mjs")
        self.assertTrue(os.path.exists(bundle), f"{bundle} not built: run scripts/build")
        daemon = support.start_daemon(self, bundle, workers=1)
        with Client(daemon.socket_path, timeout=30) as client:
            # Twice: the second round runs in the context the first left behind.
            for round_ in (1, 2):
                for case, props, html, head in read_cases(app):
                    with self.subTest(app=app, case=case["name"], round=round_):
                        result = client.render(case["component"], props, hydrate=True, url="/")
                        self.assertTrue(result.html == html, first_difference(result.html, html))
                        self.assertEqual(result.head, head)
                        self.assertEqual(result.status, case["status"])
                        self.assertEqual(result.console, [])
                        self.assertIn(hydration_json(case["component"], props), result.script)
            self.assertEqual(client.stats().get("context_resets", 0), 0,
                             f"a render of {app} left something on the global object:\n{daemon.logs()}")

    def test_react_app(self):
        self.check_app("react-app")

    def test_vue_app(self):
        self.check_app("vue-app")

    def test_svelte_app(self):
        self.check_app("svelte-app")

    def test_preact_app(self):
        self.check_app("preact-app")

    def test_every_app_is_covered(self):
        self.assertEqual(sorted(APPS), sorted(d for d in os.listdir(EXAMPLES) if os.path.exists(
            os.path.join(EXAMPLES, d, "expected", "cases.json"))))


if __name__ == "__main__":
    unittest.main()
