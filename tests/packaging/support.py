"""Helpers for the Python tests of tests/packaging: the paths CMake passes in, bounded runs of
programs, and an ssrd started from a given binary that the test that starts it always stops.

Every wait is bounded. A started daemon writes its output to files in the test's temporary
directory (never to a pipe that could fill up) and is stopped by a cleanup registered right
after it is spawned: SIGTERM, SIGKILL after a grace period, reaped.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get("SSRD_TEST_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("SSRD_TEST_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
PROJECT_VERSION = os.environ.get("SSRD_PROJECT_VERSION", "")
REACT_APP = os.path.join(SOURCE_DIR, "examples", "react-app")


def tool(name):
    """A program this test needs; a missing one fails the test with the package to install."""
    path = shutil.which(name, path="/usr/bin:/usr/sbin:/bin:/sbin")
    if path is None:
        raise AssertionError(f"{name} is not installed (scripts/setup installs it)")
    return path


def run(argv, timeout=120, check=True, **kwargs):
    """Runs a program to completion with output captured; fails with its output if asked."""
    if "input" not in kwargs:
        kwargs["stdin"] = subprocess.DEVNULL
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited with {result.returncode}\n"
                             f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")
    return result


def make_tmp(add_cleanup):
    """A temporary directory removed by `add_cleanup` (a test's addCleanup or addClassCleanup)."""
    tmp = tempfile.mkdtemp(prefix="ssrd-packaging-")
    add_cleanup(shutil.rmtree, tmp, True)
    return tmp


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Daemon:
    """An ssrd process started with `argv`, ready once it prints its ready line on stdout."""

    def __init__(self, add_cleanup, argv, tmp, env=None):
        self.out_path = os.path.join(tmp, "ssrd.out")
        self.err_path = os.path.join(tmp, "ssrd.err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=env)
        add_cleanup(self.stop)

    def logs(self):
        text = ""
        for path in (self.out_path, self.err_path):
            with open(path, errors="replace") as f:
                text += f.read()[-4000:]
        return text

    def wait_ready(self, timeout=60):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"ssrd exited with {self.proc.returncode}:\n{self.logs()}")
            with open(self.out_path, errors="replace") as f:
                return "ssrd: ready on" in f.read()
        if not wait_until(ready, timeout):
            raise AssertionError(f"ssrd was not ready within {timeout} s:\n{self.logs()}")

    def stop(self, grace=20):
        """SIGTERM (ssrd drains), SIGKILL after `grace` s; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode
