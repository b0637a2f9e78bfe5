"""The Django example serves one checklist page per framework through the same {% ssr %} tag,
from one daemon on the project's bundle (examples/django-app/dist: the four apps' bundles behind
one render), with the component's head in <head> and its status on the response, and the same
pages streamed (/stream/: the apps' streaming bundles) and React's Suspense page; the pages are
checked over HTTP, then hydrated in Chromium under a strict nonce CSP
(tests/browser/adapters.test.mjs)."""
import http.client
import os
import re
import shutil
import subprocess
import unittest
import urllib.parse

from harness import DJANGO_BUNDLE, FRAMEWORKS, REPO, support

from ssrd_client import hydration_json

BROWSER_DIR = os.path.join(REPO, "tests", "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ITEMS = [{"id": 1, "text": "Milk", "done": True}, {"id": 2, "text": "Eggs", "done": False},
         {"id": 3, "text": "Bread", "done": False}]


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8")
    finally:
        conn.close()


class DjangoPagePerFramework(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(DJANGO_BUNDLE):
            raise unittest.SkipTest(f"{DJANGO_BUNDLE} not built: run scripts/build")

    def setUp(self):
        self.daemon = support.start_daemon(self, DJANGO_BUNDLE, workers=2)
        self.gunicorn = support.Gunicorn(self.daemon.tmp, self.daemon.socket_path, workers=2,
                                         threads=2, extra_env={"SSRD_EXAMPLE_CSP": "1"})
        self.addCleanup(self.gunicorn.stop)
        self.gunicorn.start()

    def test_each_framework_page_is_rendered_by_ssrd(self):
        for framework in FRAMEWORKS:
            with self.subTest(framework=framework):
                title = f"{framework} <list> & co"
                path = f"/checklist/{framework}/?" + urllib.parse.urlencode({"title": title})
                status, headers, page = get(self.gunicorn.port, path)
                self.assertEqual(status, 200)
                self.assertIn("script-src 'nonce-", headers.get("Content-Security-Policy", ""))
                self.assertIn(f'<div id="root">', page)
                self.assertIn(f'data-framework="{framework}"', page)
                self.assertRegex(page, r"<h1>[^<]*&lt;list&gt; &amp; co</h1>|<h1>[^<]*&lt;list> &amp; co</h1>")
                self.assertIn("2 of 3 left", page, "the server render is missing (shell served?)")
                component = framework.capitalize() + "Checklist"
                self.assertIn(hydration_json(component, {"title": title, "items": ITEMS}), page)
                self.assertEqual(len(re.findall(r"<script", page, re.I)), 2)
                self.assertIn(f'<script src="/static/{framework}/client.js" nonce="', page)
                status, _, bundle = get(self.gunicorn.port, f"/static/{framework}/client.js")
                self.assertEqual(status, 200)
                self.assertGreater(len(bundle), 1000)

    def test_react_product_page_still_renders_from_the_project_bundle(self):
        status, _, page = get(self.gunicorn.port, "/products/?title=Mixed&count=3")
        self.assertEqual(status, 200)
        self.assertIn("<h1>Mixed</h1>", page)
        self.assertEqual(page.count('class="add-to-cart"'), 3)

    def test_each_framework_page_streams_from_its_streaming_bundle(self):
        for framework in FRAMEWORKS:
            with self.subTest(framework=framework):
                status, _, page = get(self.gunicorn.port, f"/stream/checklist/{framework}/?title=Streamed")
                self.assertEqual(status, 200)
                self.assertIn("<title>Streamed</title>", page.partition("</head>")[0])
                self.assertIn(f'data-framework="{framework}"', page)
                self.assertIn("2 of 3 left", page)
                component = framework.capitalize() + "Checklist"
                self.assertIn(hydration_json(component, {"title": "Streamed", "items": ITEMS}), page)

    def test_react_suspense_page_streams_with_the_request_nonce(self):
        status, headers, page = get(self.gunicorn.port, "/stream/delivery/?product=Desk&days=4&wait_ms=50")
        self.assertEqual(status, 200)
        nonce = re.search(r"'nonce-([^']+)'", headers["Content-Security-Policy"]).group(1)
        self.assertIn("Checking delivery…", page)
        self.assertIn("Desk ships in 4 days", page)
        # React's inline scripts, the hydration element and the bundle's tag: all with the nonce
        scripts = re.findall(r"<script[^>]*>", page)
        self.assertGreaterEqual(len(scripts), 4, scripts)
        for tag in scripts:
            self.assertIn(f'nonce="{nonce}"', tag)

    def test_a_component_that_sets_404_gets_a_404_page_with_its_head(self):
        for framework in FRAMEWORKS:
            with self.subTest(framework=framework):
                status, _, page = get(self.gunicorn.port, f"/checklist/{framework}/?missing=1&title=Gone")
                self.assertEqual(status, 404)
                head = page.partition("</head>")[0]
                self.assertIn("<title>Gone</title>", head)
                self.assertEqual(page.count("<title>"), 1)

    def test_only_the_client_bundles_are_served(self):
        for path in ("/static/vue/server.mjs", "/static/angular/client.js", "/checklist/angular/"):
            with self.subTest(path=path):
                self.assertEqual(get(self.gunicorn.port, path)[0], 404)

    def test_pages_hydrate_in_chromium(self):
        if os.environ.get("SSRD_SKIP_BROWSER") == "1":
            self.skipTest("SSRD_SKIP_BROWSER=1")
        self.assertTrue(os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM}")
        self.assertTrue(shutil.which("node"), "no node on PATH")
        self.assertTrue(os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")),
                        "tests/browser/node_modules missing: run scripts/setup")
        env = dict(os.environ, BASE_URL=self.gunicorn.base_url, CHROMIUM=CHROMIUM)
        try:
            run = subprocess.run(["node", "adapters.test.mjs"], cwd=BROWSER_DIR, env=env,
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 timeout=300)
        except subprocess.TimeoutExpired as exc:
            self.fail(f"browser test timed out:\n{exc.stdout}\n{exc.stderr}")
        print("\n" + run.stdout[-8000:] + run.stderr[-3000:], flush=True)
        self.assertEqual(run.returncode, 0, f"browser test failed; server log:\n{self.gunicorn.logs()}")


if __name__ == "__main__":
    unittest.main()
