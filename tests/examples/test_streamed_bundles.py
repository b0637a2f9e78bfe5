"""Each example app's streaming bundle (dist/server.stream.mjs: the adapter's stream option) in
the real daemon: streamed, every case's chunks joined are the page Node wrote into expected/ from
the same bundle (examples/write-expected.mjs), byte for byte, with the same head and status and
the hydration script last; asked without a stream, the same bundle answers the same page whole.
React's Suspense boundary lets the shell reach the client before its data exists."""
import os
import unittest

from harness import APPS, EXAMPLES, first_difference, read_cases, support

from ssrd_client import Client, hydration_json


def streamed_bundle(app):
    return os.path.join(EXAMPLES, app, "dist", "server.stream.mjs")


class StreamedExampleBundles(unittest.TestCase):
    def check_app(self, app):
        bundle = streamed_bundle(app)
        self.assertTrue(os.path.exists(bundle), f"{bundle} not built: run scripts/build")
        daemon = support.start_daemon(self, bundle, workers=1)
        with Client(daemon.socket_path, timeout=30) as client:
            for case, props, html, head in read_cases(app, streamed=True):
                with self.subTest(app=app, case=case["name"]):
                    stream = client.render_stream(case["component"], props, hydrate=True, url="/")
                    page = "".join(stream)
                    self.assertTrue(page == html, first_difference(page, html))
                    self.assertEqual(stream.result.head, head)
                    self.assertEqual(stream.result.status, case["status"])
                    self.assertEqual(stream.result.console, [])
                    self.assertIn(hydration_json(case["component"], props), stream.result.script)
                    whole = client.render(case["component"], props, url="/")
                    self.assertTrue(whole.html == html, first_difference(whole.html, html))
                    self.assertEqual((whole.head, whole.status), (head, case["status"]))
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

    def test_every_app_has_a_streaming_bundle(self):
        for app in APPS:
            self.assertTrue(os.path.exists(streamed_bundle(app)), app)

    def test_react_shell_arrives_before_the_data(self):
        daemon = support.start_daemon(self, streamed_bundle("react-app"), workers=1)
        with Client(daemon.socket_path, timeout=30) as client:
            # The estimate's data comes after 60 s: what arrives before that is the shell.
            pieces = iter(client.render_stream(
                "ReactDelivery", {"product": "Lamp", "days": 3, "wait_ms": 60000}, nonce="n0nce"))
            first = next(pieces)
            self.assertIn("<h1>Lamp</h1>", first)
            self.assertIn("Checking delivery…", first)
            self.assertNotIn("ships in", first)
            self.assertIn('<script nonce="n0nce">', first)  # React's own, with the request's nonce
            before = client.stats()["cancels"]
            pieces.close()  # leaving the stream cancels the render
            self.assertTrue(support.wait_until(lambda: client.stats()["cancels"] > before, 10))


if __name__ == "__main__":
    unittest.main()
