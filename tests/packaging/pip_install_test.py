"""The Python client (clients/python/pyproject.toml) installed with pip into a virtual environment,
as a user would, and the client's own tests run from that environment against a real ssrd.

- The environment is Debian's python3 -m venv with --system-site-packages: the client's one
  dependency, msgpack, comes from Debian (python3-msgpack), and so do setuptools and wheel for the
  build; `pip install --no-index --no-build-isolation` fetches nothing.
- pip builds from a copy of clients/python (a build writes build/ and *.egg-info beside the sources).
- The client's tests run from a copy of clients/python/tests placed in a mirror of the tree whose
  clients/python holds no ssrd_client, so `import ssrd_client` can only find the installed package
  (checked). Run there: test_client, test_hydration, test_metrics. Not from the venv: test_django
  (gunicorn runs Debian's interpreter with the source tree on its path) and test_browser
  (Chromium); clients/python/run_tests.sh runs them against the sources.
"""
import os
import shutil
import unittest

import support

CLIENT_SOURCES = os.path.join(support.SOURCE_DIR, "clients", "python")
CLIENT_TESTS = ["tests.test_client", "tests.test_hydration", "tests.test_metrics"]


class PipInstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = support.make_tmp(cls.addClassCleanup)
        cls.venv = os.path.join(cls.tmp, "venv")
        cls.python = os.path.join(cls.venv, "bin", "python")
        support.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", cls.venv])
        copy = os.path.join(cls.tmp, "client-sources")
        shutil.copytree(CLIENT_SOURCES, copy,
                        ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
        cls.pip = support.run([cls.python, "-m", "pip", "install", "--no-index",
                               "--no-build-isolation", "--disable-pip-version-check", copy],
                              timeout=300)

    def test_installs_under_the_projects_name_and_version(self):
        shown = support.run([self.python, "-m", "pip", "show", "ssrd-client"]).stdout
        self.assertIn("Name: ssrd-client\n", shown)
        self.assertIn(f"Version: {support.PROJECT_VERSION}\n", shown)
        self.assertIn("Requires: msgpack", shown)

    def test_the_installed_packages_are_what_imports_find(self):
        probe = ("import ssrd_client, ssrd_django, ssrd_django.templatetags; "
                 "print(ssrd_client.__file__); print(ssrd_django.templatetags.__file__)")
        files = support.run([self.python, "-c", probe], cwd=self.tmp).stdout.split()
        site = os.path.join(self.venv, "lib")
        for file in files:
            self.assertTrue(file.startswith(site + os.sep), f"{file} is not in the venv")

    def test_the_clients_tests_pass_from_the_venv(self):
        # A mirror of the tree: the tests find the repository 3 levels above their own file.
        mirror = os.path.join(self.tmp, "mirror")
        client_dir = os.path.join(mirror, "clients", "python")
        shutil.copytree(os.path.join(CLIENT_SOURCES, "tests"), os.path.join(client_dir, "tests"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        for shared in ("tests", "examples"):
            os.symlink(os.path.join(support.SOURCE_DIR, shared), os.path.join(mirror, shared))
        env = dict(os.environ, SSRD_BIN=os.path.join(support.BUILD_DIR, "bin", "ssrd"),
                   PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTHONPATH", None)
        check = ("import ssrd_client, sys, tests.support; "
                 "sys.exit(0 if ssrd_client.__file__.startswith(sys.prefix) else "
                 "'ssrd_client came from ' + ssrd_client.__file__)")
        support.run([self.python, "-c", check], cwd=client_dir, env=env)
        result = support.run([self.python, "-m", "unittest", "-v"] + CLIENT_TESTS,
                             cwd=client_dir, env=env, timeout=540, check=False)
        self.assertEqual(result.returncode, 0, result.stderr[-6000:])
        self.assertRegex(result.stderr, r"\nRan [1-9][0-9]+ tests in ")
        self.assertRegex(result.stderr, r"\nOK\b")


if __name__ == "__main__":
    unittest.main()
