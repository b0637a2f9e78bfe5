"""The Python client against a real ssrd on tests/integration/bundles/echo.mjs, and against
a socket the test drives by hand (how queued frames are combined into writes, what each caller
gets when the connection dies with frames queued)."""
import fcntl
import json
import os
import socket
import struct
import termios
import threading
import time
import unittest

import msgpack

from . import support
from ssrd_client import Client, SsrdError, SsrdTimeout, render_or_shell
from ssrd_client import protocol
from ssrd_client.connection import Connection


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



# -- against a socket the test drives by hand ----------------------------------------------------

class _RawServer:
    """A listening Unix socket; the test accepts and drives each connection itself, reading
    only when it chooses to, so that the client's frames pile up."""

    def __init__(self, test):
        self.test = test
        self.path = os.path.join(support.make_tmp(test), "raw.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(16)
        self.listener.settimeout(10)
        test.addCleanup(self.listener.close)

    def accept(self):
        peer, _ = self.listener.accept()
        peer.settimeout(10)  # a read that never completes fails the test instead of hanging it
        self.test.addCleanup(peer.close)
        return peer


def _read_request(peer, buf):
    """The next whole request map on ``peer``; ``buf`` carries bytes between calls. A frame
    mixed with another's bytes would not decode."""
    while True:
        if len(buf) >= 4:
            (length,) = struct.unpack(">I", bytes(buf[:4]))
            if len(buf) >= 4 + length:
                payload = bytes(buf[4:4 + length])
                del buf[:4 + length]
                return msgpack.unpackb(payload, raw=False)
        chunk = peer.recv(65536)
        if not chunk:
            raise AssertionError("the client closed before a whole request arrived")
        buf += chunk


def _reply(request_id, html):
    return protocol.encode_frame({"id": request_id, "ok": True, "html": html})


def _bytes_waiting(peer):
    return struct.unpack("i", fcntl.ioctl(peer.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]


class _HeldUpWrite:
    """One connection whose writer is held up: request "Big" is far larger than the socket
    buffer, so the thread sending it writes until the server reads; the FOLLOWERS requests are
    queued meanwhile, each by its own thread."""

    FOLLOWERS = 16

    def __init__(self, test):
        self.test = test
        self.server = _RawServer(test)
        self.conn = Connection(self.server.path, connect_timeout=5)
        test.addCleanup(self.conn.close)
        self.peer = self.server.accept()  # closed (cleanup) before the connection: unblocks all
        self.sent = {}  # component -> (id, waiter)
        self.threads = []

    def _send(self, component, pad):
        self.sent[component] = self.conn.send({"v": 1, "op": "render", "component": component,
                                               "props": {"pad": pad}})

    def _spawn(self, component, pad):
        thread = threading.Thread(target=self._send, args=(component, pad), daemon=True)
        thread.start()
        self.threads.append(thread)

    def start(self):
        self._spawn("Big", "x" * (4 << 20))
        queued = lambda n: lambda: self.conn.stats()["frames_queued"] == n  # noqa: E731
        self.test.assertTrue(support.wait_until(queued(1), 10, interval=0.001))
        for i in range(self.FOLLOWERS):
            self._spawn(f"C{i}", "y" * (40 + i))
        self.test.assertTrue(support.wait_until(queued(self.FOLLOWERS + 1), 10, interval=0.001),
                             "the requests were never all queued")

    def components(self):
        return ["Big"] + [f"C{i}" for i in range(self.FOLLOWERS)]

    def join(self):
        for thread in self.threads:
            thread.join(10)
        self.test.assertFalse(any(t.is_alive() for t in self.threads), "a send hung")

    def outcome(self, component):
        """(reply html or None, error or None, not_sent) once the waiter is settled."""
        _, waiter = self.sent[component]
        self.test.assertTrue(waiter.event.wait(10), f"{component} was never answered")
        html = waiter.reply.get("html") if waiter.reply is not None else None
        return html, waiter.error, waiter.not_sent


class CombinedWritesTest(unittest.TestCase):
    def test_frames_queued_during_a_write_leave_together_in_one_write(self):
        held = _HeldUpWrite(self)
        held.start()
        buf = bytearray()
        requests = [_read_request(held.peer, buf) for _ in held.components()]
        self.assertEqual(requests[0]["component"], "Big", "the held-up frame comes first, whole")
        self.assertEqual(sorted(r["component"] for r in requests), sorted(held.components()))
        # Answered in reverse, in one write.
        held.peer.sendall(b"".join(_reply(r["id"], "<" + r["component"] + ">")
                                   for r in reversed(requests)))
        held.join()
        for request in requests:
            self.assertEqual(request["id"], held.sent[request["component"]][0])
        for component in held.components():
            self.assertEqual(held.outcome(component), ("<" + component + ">", None, False))
        # One write for the held-up frame, one for the sixteen queued behind it; writing each
        # frame on its own would take seventeen.
        self.assertLessEqual(held.conn.stats()["writes"], 2)

    def test_connection_lost_before_queued_frames_left_fails_every_call_as_not_sent(self):
        held = _HeldUpWrite(self)
        held.start()
        # Take part of the held-up frame, then hang up: it left only in part, the rest not at all.
        self.assertTrue(held.peer.recv(65536))
        held.peer.shutdown(socket.SHUT_RDWR)
        held.join()
        for component in held.components():
            html, error, not_sent = held.outcome(component)
            self.assertIsNone(html, f"{component} got a reply nobody sent")
            self.assertEqual(error.code, "unavailable", component)
            self.assertTrue(not_sent, f"{component}: its frame never left whole")
        with self.assertRaises(ConnectionError):
            held.conn.send({"v": 1, "op": "ping"})

    def test_connection_lost_after_half_a_batch_was_answered_fails_only_the_other_half(self):
        held = _HeldUpWrite(self)
        held.start()
        buf = bytearray()
        requests = [_read_request(held.peer, buf) for _ in held.components()]
        answered = requests[:len(requests) // 2]
        held.peer.sendall(b"".join(_reply(r["id"], "<" + r["component"] + ">") for r in answered))
        held.peer.shutdown(socket.SHUT_RDWR)
        held.join()
        answered_names = {r["component"] for r in answered}
        for component in held.components():
            html, error, not_sent = held.outcome(component)
            if component in answered_names:
                self.assertEqual((html, error), ("<" + component + ">", None))
            else:
                self.assertIsNone(html, f"{component} got {html}")
                self.assertEqual(error.code, "unavailable", component)
                self.assertFalse(not_sent, f"{component}: the server did read its frame")

    def test_replies_arriving_together_reach_every_caller_once(self):
        # Many replies in one write, one larger than the read buffer, one for an unknown id, and
        # one split across two writes: each caller gets exactly its own.
        server = _RawServer(self)
        conn = Connection(server.path, connect_timeout=5)
        self.addCleanup(conn.close)
        peer = server.accept()
        sent = [conn.send({"v": 1, "op": "ping"}) for _ in range(12)]
        buf = bytearray()
        for _ in sent:
            _read_request(peer, buf)
        size = {sent[4][0]: 600 * 1024}
        burst = _reply(10 ** 6, "stray")
        for request_id, _ in reversed(sent[:-1]):
            burst += _reply(request_id, f"<{request_id}>" + "h" * size.get(request_id, 3))
        last = _reply(sent[-1][0], f"<{sent[-1][0]}>hhh")
        peer.sendall(burst + last[:7])
        peer.sendall(last[7:])
        for request_id, waiter in sent:
            self.assertTrue(waiter.event.wait(10), f"request {request_id} was never answered")
            self.assertIsNone(waiter.error)
            self.assertEqual(waiter.reply["html"],
                             f"<{request_id}>" + "h" * size.get(request_id, 3))
        self.assertFalse(conn.dead)

    def test_calls_whose_frames_never_left_are_retried_on_a_new_connection(self):
        # The first connection's writer is held up by a large request and the others queue
        # behind it; the server then hangs up without reading. None of those frames left whole,
        # so each call is sent again on a second connection, where each gets its own reply.
        server = _RawServer(self)
        client = Client(server.path, timeout=20.0)
        self.addCleanup(client.close)
        got = {}

        def render(name, pad=""):
            try:
                got[name] = client.render(name, {"pad": pad}).html
            except Exception as exc:  # reported by the comparison below
                got[name] = repr(exc)

        threads = [threading.Thread(target=render, args=("Big", "x" * (4 << 20)), daemon=True)]
        threads[0].start()
        first = server.accept()
        # The large write has begun once its bytes reach the server's socket.
        self.assertTrue(support.wait_until(lambda: _bytes_waiting(first) > 0, 10, interval=0.001))
        for i in range(8):
            threads.append(threading.Thread(target=render, args=(f"C{i}",), daemon=True))
            threads[-1].start()
        first.shutdown(socket.SHUT_RDWR)

        second = server.accept()

        def serve():
            buf = bytearray()
            try:
                while True:
                    request = _read_request(second, buf)
                    second.sendall(_reply(request["id"], "<" + request["component"] + ">"))
            except (AssertionError, OSError):
                return  # the client closed

        server_thread = threading.Thread(target=serve, daemon=True)
        server_thread.start()
        for thread in threads:
            thread.join(20)
        self.assertFalse(any(t.is_alive() for t in threads), "a call hung")
        self.assertEqual(got, {name: f"<{name}>" for name in ["Big"] + [f"C{i}" for i in range(8)]})


if __name__ == "__main__":
    unittest.main()
