"""The Python client against a real ssrd on tests/integration/bundles/echo.mjs."""
import json
import os
import threading
import time
import unittest

from . import support
from ssrd_client import Client, SsrdError, SsrdTimeout, render_or_shell


def echoed(component, props):
    return "<p>" + component + ":" + json.dumps(props, separators=(",", ":")) + "</p>"


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.daemon = support.start_daemon(self, support.ECHO_BUNDLE, workers=2)
        self.client = Client(self.daemon.socket_path, timeout=10.0)
        self.addCleanup(self.client.close)

    def test_render_returns_the_bundles_html(self):
        result = self.client.render("Card", {"name": "Ada", "n": 3})
        self.assertEqual(result.html, echoed("Card", {"name": "Ada", "n": 3}))
        self.assertEqual(result.status, 200)
        self.assertEqual(result.head, "")
        self.assertEqual(result.script, "")  # not asked for

    def test_render_without_props_sends_an_empty_map(self):
        self.assertEqual(self.client.render("Card").html, "<p>Card:{}</p>")

    def test_ping_and_stats(self):
        self.assertEqual(self.client.ping(), 1)
        self.client.render("Card", {"a": 1})
        stats = self.client.stats()
        self.assertIsInstance(stats, dict)
        self.assertTrue(stats, "stats is empty")
        self.assertTrue(all(isinstance(k, str) and isinstance(v, int) for k, v in stats.items()))

    def test_js_error_carries_code_message_and_stack(self):
        with self.assertRaises(SsrdError) as caught:
            self.client.render("Throw", {"n": 7})
        self.assertEqual(caught.exception.code, "js_error")
        self.assertIn("boom 7", caught.exception.message)
        self.assertNotIsInstance(caught.exception, SsrdTimeout)
        # the client still works after an error reply
        self.assertEqual(self.client.render("Card", {"x": 1}).html, echoed("Card", {"x": 1}))

    def test_timeout_raises_and_the_client_keeps_working(self):
        started = time.monotonic()
        with self.assertRaises(SsrdTimeout) as caught:
            self.client.render("Slow", {"ms": 3000}, timeout=0.3)
        self.assertEqual(caught.exception.code, "timeout")
        self.assertIsInstance(caught.exception, SsrdError)
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(self.client.render("Card", {"after": 1}).html,
                         echoed("Card", {"after": 1}))
        self.assertEqual(self.client.render("Slow", {"ms": 10}).html, "<p>slow</p>")

    def test_reconnects_after_the_daemon_restarts(self):
        self.assertEqual(self.client.render("Card", {"before": 1}).html,
                         echoed("Card", {"before": 1}))
        self.daemon.kill()
        with self.assertRaises(SsrdError) as caught:
            self.client.render("Card", {"down": 1}, timeout=2.0)
        self.assertEqual(caught.exception.code, "unavailable")
        os.unlink(self.daemon.socket_path)  # a SIGKILLed daemon leaves its socket file
        self.daemon.start()
        self.assertEqual(self.client.render("Card", {"after": 1}).html,
                         echoed("Card", {"after": 1}))

    def test_reconnects_when_the_daemon_restarts_between_calls(self):
        self.client.ping()
        self.daemon.stop()
        self.daemon.start()
        # No call saw the outage: the first call after it must still succeed.
        self.assertEqual(self.client.render("Card", {"n": 2}).html, echoed("Card", {"n": 2}))

    def test_sixteen_threads_share_one_client(self):
        threads, per_thread = 16, 200
        failures = []

        def work(t):
            try:
                for i in range(per_thread):
                    props = {"thread": t, "i": i, "pad": "x" * ((t * 31 + i) % 300)}
                    html = self.client.render("Card", props).html
                    if html != echoed("Card", props):
                        failures.append((t, i, html[:80]))
                        return
            except Exception as exc:  # reported below, the thread must not die silently
                failures.append((t, repr(exc)))

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        self.assertFalse(any(w.is_alive() for w in workers), "a thread hung")
        self.assertEqual(failures, [])

    def test_fork_parent_and_child_each_get_their_own_replies(self):
        self.assertEqual(self.client.render("Card", {"who": "pre"}).html,
                         echoed("Card", {"who": "pre"}))
        pid = os.fork()
        if pid == 0:  # child: never returns into unittest
            status = 1
            try:
                ok = all(self.client.render("Card", {"who": "child", "i": i}).html
                         == echoed("Card", {"who": "child", "i": i}) for i in range(50))
                status = 0 if ok else 3
            except BaseException:
                status = 4
            finally:
                os._exit(status)
        for i in range(50):
            self.assertEqual(self.client.render("Card", {"who": "parent", "i": i}).html,
                             echoed("Card", {"who": "parent", "i": i}))
        deadline = time.monotonic() + 30
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                self.fail("forked child did not finish")
            time.sleep(0.02)
        self.assertTrue(os.WIFEXITED(status))
        self.assertEqual(os.WEXITSTATUS(status), 0)
        # the parent's connection survived the child's exit
        self.assertEqual(self.client.render("Card", {"who": "post"}).html,
                         echoed("Card", {"who": "post"}))

    def test_fallback_helper_renders_on_success(self):
        markup = render_or_shell(self.client, "Card", {"a": 1})
        self.assertTrue(markup.startswith('<div id="root"><p>Card:{"a":1}</p></div><script'),
                        markup)

    def test_fallback_helper_logs_and_returns_the_shell(self):
        with self.assertLogs("ssrd_client", level="ERROR") as logs:
            markup = render_or_shell(self.client, "Throw", {"n": 1, "t": "</script>"})
        self.assertEqual(
            markup,
            '<div id="root"></div><script type="application/json" id="ssrd-data">'
            '{"component":"Throw","props":{"n":1,"t":"\\u003c/script\\u003e"}}</script>')
        self.assertIn("js_error", logs.output[0])
        self.assertTrue(logs.records[0].levelname == "ERROR")


class UnreachableDaemonTest(unittest.TestCase):
    def test_no_daemon_is_unavailable_and_fallback_logs_every_time(self):
        tmp = support.make_tmp(self)
        client = Client(os.path.join(tmp, "none.sock"), timeout=1.0)
        with self.assertRaises(SsrdError) as caught:
            client.ping()
        self.assertEqual(caught.exception.code, "unavailable")
        with self.assertLogs("ssrd_client", level="ERROR") as logs:
            for _ in range(3):
                markup = render_or_shell(client, "Tiny", {"name": "Ada"}, nonce="n1")
        self.assertEqual(len(logs.records), 3)
        self.assertIn("unavailable", logs.output[0])
        self.assertEqual(markup, '<div id="root"></div><script type="application/json" '
                                 'id="ssrd-data" nonce="n1">'
                                 '{"component":"Tiny","props":{"name":"Ada"}}</script>')


if __name__ == "__main__":
    unittest.main()
