"""ssrd --metrics-listen, scraped over real HTTP and parsed with the Prometheus project's own
parser (Debian's python3-prometheus-client): the exposition must parse, and its counters must move
with the traffic the test sends."""
import os
import signal
import socket
import threading
import time
import unittest
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from . import support
from ssrd_client import Client, SsrdError


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.port = support.free_port()
        self.daemon = support.start_daemon(
            self, support.FAULTS_BUNDLE, workers=2,
            extra_args=["--metrics-listen", f"127.0.0.1:{self.port}"])
        # The daemon answers pings before its workers are ready; /readyz says when they are.
        self.assertTrue(support.wait_until(lambda: self.get("/readyz")[0] == 200, 30.0),
                        "/readyz never said ready")

    def get(self, path):
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def samples(self):
        status, headers, text = self.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        found = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return found

    def test_counters_move_with_the_traffic(self):
        ready = ("ssrd_workers", (("state", "ready"),))
        self.assertTrue(support.wait_until(lambda: self.samples()[ready] == 2, 30.0))
        before = self.samples()
        ok = ("ssrd_requests_total", (("outcome", "ok"),))
        not_found = ("ssrd_requests_total", (("outcome", "not_found"),))
        count = ("ssrd_render_duration_seconds_count", ())
        with Client(self.daemon.socket_path, timeout=10.0) as client:
            for i in range(5):
                client.render("Echo", {"i": i})
            for _ in range(2):
                with self.assertRaises(SsrdError):
                    client.render("Nope", {})
        after = self.samples()
        self.assertEqual(after[ok] - before.get(ok, 0), 5)
        self.assertEqual(after[not_found] - before.get(not_found, 0), 2)
        self.assertEqual(after[count] - before.get(count, 0), 7)
        inf = ("ssrd_render_duration_seconds_bucket", (("le", "+Inf"),))
        self.assertEqual(after[inf], after[count])
        self.assertGreater(after[("ssrd_render_duration_seconds_sum", ())], 0)
        workers = {dict(k[1])["state"]: v for k, v in after.items() if k[0] == "ssrd_workers"}
        self.assertEqual(workers["ready"] + workers["busy"], 2, workers)
        self.assertEqual(sum(workers.values()), 2, workers)
        self.assertEqual(after[("ssrd_queue_depth", ())], 0)
        for slot in ("0", "1"):
            self.assertGreater(after[("ssrd_worker_rss_bytes", (("slot", slot),))], 0)
        info = [k for k in after if k[0] == "ssrd_build_info"]
        self.assertEqual(len(info), 1)
        labels = dict(info[0][1])
        self.assertRegex(labels["v8"], r"^\d+\.\d+")

    def test_a_killed_worker_shows_as_a_crash(self):
        before = self.samples()
        crashes = ("ssrd_worker_crashes_total", ())
        victim = self.daemon.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        self.assertTrue(support.wait_until(
            lambda: self.samples()[crashes] == before[crashes] + 1, 10.0))

    def test_health_and_readiness(self):
        status, _, body = self.get("/healthz")
        self.assertEqual((status, body), (200, "ok\n"))
        status, _, body = self.get("/readyz")
        self.assertEqual((status, body), (200, "ready\n"))
        # Asked before the SIGTERM below: once the daemon has drained, it closes the endpoint.
        status, _, _ = self.get("/nothing-here")
        self.assertEqual(status, 404)
        # Draining is not ready: SIGTERM with a render in flight keeps the daemon up a moment.
        results = []

        def slow_render():
            with Client(self.daemon.socket_path, timeout=10.0) as client:
                results.append(client.render("Spin", {"ms": 1500}).html)

        thread = threading.Thread(target=slow_render)
        thread.start()
        self.addCleanup(thread.join)
        self.assertTrue(support.wait_until(
            lambda: ("ssrd_in_flight", ()) in self.samples() and
            self.samples()[("ssrd_in_flight", ())] == 1, 5.0))
        self.daemon.proc.send_signal(signal.SIGTERM)
        self.assertTrue(support.wait_until(lambda: self.get("/readyz")[0] == 503, 5.0))
        thread.join()
        self.assertEqual(results, ["<p>Spin:1500</p>"])

    def raw(self, request_bytes):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(request_bytes)
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def test_bad_requests_get_a_status_and_the_daemon_goes_on(self):
        self.assertTrue(self.raw(b"POST /metrics HTTP/1.1\r\n\r\n").startswith("HTTP/1.1 405 "))
        self.assertTrue(self.raw(b"GET /" + b"x" * 9000 + b" HTTP/1.1\r\n")
                        .startswith("HTTP/1.1 431 "))
        self.assertTrue(self.raw(b"nonsense\r\n\r\n").startswith("HTTP/1.1 400 "))
        status, _, _ = self.get("/healthz")
        self.assertEqual(status, 200)
        with Client(self.daemon.socket_path, timeout=10.0) as client:
            self.assertEqual(client.render("Echo", {}).html, "<p>Echo:{}</p>")


if __name__ == "__main__":
    unittest.main()
