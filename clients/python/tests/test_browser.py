"""Starts ssrd + the Django example under gunicorn and runs the Chromium test in tests/browser
(Node, playwright-core, Debian's /usr/bin/chromium) against them."""
import os
import shutil
import subprocess
import unittest

from . import support

BROWSER_DIR = os.path.join(support.REPO, "tests", "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class BrowserTest(unittest.TestCase):
    def test_product_page_in_chromium(self):
        self.run_browser_test(csp=False)

    def test_product_page_under_a_strict_csp(self):
        """The same checks with a Content-Security-Policy that only runs nonce-carrying
        scripts: hydration works only if the request's nonce reached the page."""
        self.run_browser_test(csp=True)

    def run_browser_test(self, csp):
        if os.environ.get("SSRD_SKIP_BROWSER") == "1":
            self.skipTest("SSRD_SKIP_BROWSER=1")
        # Missing pieces fail rather than skip: scripts/setup installs all of them.
        self.assertTrue(os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM}")
        self.assertTrue(shutil.which("node"), "no node on PATH")
        self.assertTrue(os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")),
                        "tests/browser/node_modules missing: run scripts/setup")
        daemon = support.start_daemon(self, support.REACT_BUNDLE, workers=2)
        server = support.Gunicorn(daemon.tmp, daemon.socket_path, workers=2, threads=2,
                                  extra_env={"SSRD_EXAMPLE_CSP": "1" if csp else "0"})
        self.addCleanup(server.stop)
        server.start()
        env = dict(os.environ, BASE_URL=server.base_url, CHROMIUM=CHROMIUM,
                   SCREENSHOT_DIR=os.path.join(support.REPO, "build", "browser", "csp" if csp else ""))
        try:
            run = subprocess.run(["node", "product_page.test.mjs"], cwd=BROWSER_DIR, env=env,
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 timeout=300)
        except subprocess.TimeoutExpired as exc:
            self.fail(f"browser test timed out:\n{exc.stdout}\n{exc.stderr}")
        print("\n" + run.stdout[-6000:] + run.stderr[-3000:], flush=True)
        self.assertEqual(run.returncode, 0, f"browser test failed; server log:\n{server.logs()}")


if __name__ == "__main__":
    unittest.main()
