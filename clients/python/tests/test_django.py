"""The Django example under gunicorn (3 workers x 4 threads, forked after import) in front of a
real ssrd on the example React bundle: concurrent pages never show another request's props,
the fallback serves a shell when ssrd is down, a component's head reaches <head> and its
status the response, and nothing is left running afterwards."""
import concurrent.futures
import http.client
import re
import time
import unittest
import urllib.parse
import uuid

from . import support
from ssrd_client import hydration_json


def get(port, path, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


def product_path(title, seed, count):
    return "/products/?" + urllib.parse.urlencode({"title": title, "seed": seed, "count": count})


class DjangoUnderGunicornTest(unittest.TestCase):
    def setUp(self):
        self.daemon = support.start_daemon(self, support.REACT_BUNDLE, workers=2)
        self.gunicorn = support.Gunicorn(self.daemon.tmp, self.daemon.socket_path,
                                         workers=3, threads=4)
        self.addCleanup(self.gunicorn.stop)
        self.gunicorn.start()

    def test_concurrent_pages_carry_only_their_own_props(self):
        run = uuid.uuid4().hex[:8]
        token = re.compile(r"title-" + run + r"-\d{4}")
        requests = 300

        def one(i):
            title = f"title-{run}-{i:04d}"
            seed, count = i % 7, 3 + i % 5
            status, page = get(self.gunicorn.port, product_path(title, seed, count))
            problems = []
            if status != 200:
                problems.append(f"status {status}")
            if f"<h1>{title}</h1>" not in page:
                problems.append("own title missing from the HTML")
            expected = hydration_json("ProductPage",
                                      {"title": title, "seed": seed, "count": count})
            if expected not in page:
                problems.append("own props missing from the hydration JSON")
            others = set(token.findall(page)) - {title}
            if others:
                problems.append(f"another request's title: {sorted(others)[:3]}")
            return i, problems

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
            results = list(pool.map(one, range(requests), timeout=240))
        elapsed = time.monotonic() - started
        failed = [(i, p) for i, p in results if p]
        self.assertEqual(len(results), requests)
        self.assertEqual(failed[:5], [], f"{len(failed)} of {requests} pages wrong")
        print(f"\n  {requests} pages from 24 threads in {elapsed:.1f} s", flush=True)

    def test_tiny_page_and_client_bundle(self):
        status, page = get(self.gunicorn.port, "/tiny/?name=Ada")
        self.assertEqual(status, 200)
        self.assertIn('<div id="root"><p class="tiny">Hello, Ada!</p></div>', page)
        self.assertTrue(hydration_json("Tiny", {"name": "Ada"}) in page,
                        "hydration JSON not in the page")
        # the request's CSP nonce reaches both the hydration element and the bundle's tag
        nonces = re.findall(r'<script[^>]* nonce="([^"]+)"', page)
        self.assertEqual(len(nonces), 2, page[-600:])
        self.assertEqual(nonces[0], nonces[1])
        status, bundle = get(self.gunicorn.port, "/static/client.js")
        self.assertEqual(status, 200)
        self.assertIn("ssrd-data", bundle)

    def test_a_component_that_sets_404_gets_a_404_response_with_its_head_in_head(self):
        status, page = get(self.gunicorn.port, "/checklist/react/?missing=1&title=Gone")
        self.assertEqual(status, 404)
        head, _, body = page.partition("</head>")
        self.assertIn("<title>Gone</title>", head)
        self.assertIn('<meta name="description" content="0 items, 0 left"/>', head)
        self.assertIn('<p class="missing">No such list.</p>', body)

    def test_head_tags_of_the_component_are_in_head_once(self):
        status, page = get(self.gunicorn.port, "/checklist/react/?title=" +
                           urllib.parse.quote("Milk & <eggs>"))
        self.assertEqual(status, 200)
        head, _, body = page.partition("</head>")
        self.assertIn("<title>Milk &amp; &lt;eggs&gt;</title>", head)
        self.assertIn('<meta name="description" content="3 items, 2 left"/>', head)
        self.assertEqual(page.count("<title>"), 1, head)
        self.assertNotIn("<title>", body)

    def test_hostile_title_is_escaped_in_html_and_json(self):
        title = '</script><script>alert(1)</script><!--&"\u2028'
        status, page = get(self.gunicorn.port, product_path(title, 1, 2))
        self.assertEqual(status, 200)
        self.assertNotIn("<script>alert(1)", page)
        expected = hydration_json("ProductPage", {"title": title, "seed": 1, "count": 2})
        self.assertTrue(expected in page, f"hydration JSON {expected!r} not in the page")
        # exactly the hydration element and the bundle's tag open a script
        self.assertEqual(len(re.findall(r"<script", page, re.I)), 2)

    def test_ssrd_down_serves_the_shell_and_logs_an_error(self):
        self.daemon.stop()
        status, page = get(self.gunicorn.port, product_path("shell-title", 1, 2))
        self.assertEqual(status, 200)
        self.assertIn('<div id="root"></div><script type="application/json" id="ssrd-data"',
                      page)
        self.assertIn(hydration_json("ProductPage",
                                     {"title": "shell-title", "seed": 1, "count": 2}), page)
        self.assertTrue(support.wait_until(
            lambda: "failed with code unavailable" in self.gunicorn.logs(), 10),
            self.gunicorn.logs())

    def test_nothing_is_left_running_after_stop(self):
        status, _ = get(self.gunicorn.port, "/tiny/?name=x")
        self.assertEqual(status, 200)
        workers = self.daemon.worker_pids()
        self.assertEqual(len(workers), 2, "ssrd should have 2 worker processes")
        gunicorn_pids = support.pids_with_cmdline(self.gunicorn.bind)
        self.assertGreaterEqual(len(gunicorn_pids), 4, "gunicorn master + 3 workers")
        self.gunicorn.stop()
        self.daemon.stop()
        self.assertTrue(support.wait_until(
            lambda: not support.pids_with_cmdline(self.gunicorn.bind)
            and not support.pids_with_cmdline(self.daemon.socket_path)
            and not any(support.alive(p) for p in workers + gunicorn_pids), 10),
            f"left: gunicorn {support.pids_with_cmdline(self.gunicorn.bind)}, ssrd "
            f"{support.pids_with_cmdline(self.daemon.socket_path)}, "
            f"{[p for p in workers + gunicorn_pids if support.alive(p)]}")


if __name__ == "__main__":
    unittest.main()
