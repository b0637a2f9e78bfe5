"""The Python client over TCP (tcp://host:port) with a token, against a real ssrd listening on
loopback with --auth-token-file: render, render_stream, a refused token, token rotation."""
import os
import socket
import unittest

from . import support
from ssrd_client import Client, SsrdError

TOKEN = "py-test-token-0123456789"
OTHER = "py-rotated-token-9876543210"


def ipv6_loopback_port():
    """A free port on ::1, or None when this host has no IPv6 loopback."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
            return s.getsockname()[1]
    except OSError:
        return None


def write_tokens(path, *tokens):
    with open(path, "w") as f:
        f.write("# ssrd tokens\n\n" + "".join(t + "\n" for t in tokens))
    os.chmod(path, 0o600)


class TcpClientTest(unittest.TestCase):
    def start(self, listen, tokens=(TOKEN,)):
        tmp = support.make_tmp(self)
        self.token_file = os.path.join(tmp, "tokens")
        write_tokens(self.token_file, *tokens)
        args = ["--auth-token-file", self.token_file]
        for address in listen:
            args += ["--listen", address]
        daemon = support.Daemon(tmp, support.STREAMING_BUNDLE, workers=1, extra_args=args)
        self.addCleanup(daemon.stop)
        return daemon.start()

    def client(self, address, token):
        client = Client(address, timeout=10.0, token=token)
        self.addCleanup(client.close)
        return client

    def test_render_and_stream_over_ipv4(self):
        port = support.free_port()
        self.start([f"127.0.0.1:{port}"])
        client = self.client(f"tcp://127.0.0.1:{port}", TOKEN)
        self.assertEqual(client.render("Plain").html, "<p>plain</p>")
        stream = client.render_stream("Pieces", {"parts": ["<a>", "<b>"], "delay_ms": 1})
        self.assertEqual(list(stream), ["<a>", "<b>"])
        self.assertEqual(stream.result.status, 201)

    def test_render_over_ipv6(self):
        port = ipv6_loopback_port()
        if port is None:
            self.skipTest("no IPv6 loopback (::1) on this host")
        self.start([f"[::1]:{port}"])
        client = self.client(f"tcp://[::1]:{port}", TOKEN)
        self.assertEqual(client.render("Plain").html, "<p>plain</p>")

    def test_a_wrong_token_is_unauthorized_and_nothing_renders(self):
        port = support.free_port()
        daemon = self.start([f"127.0.0.1:{port}"])
        client = self.client(f"tcp://127.0.0.1:{port}", "not-the-right-token-at-all")
        with self.assertRaises(SsrdError) as caught:
            client.render("Plain")
        self.assertEqual(caught.exception.code, "unauthorized")
        self.assertEqual(caught.exception.message, "the token is not valid")
        # Without a token, the first request itself is refused.
        with self.assertRaises(SsrdError) as caught:
            self.client(f"tcp://127.0.0.1:{port}", None).render("Plain")
        self.assertEqual(caught.exception.code, "unauthorized")
        self.assertIn("authenticate first", caught.exception.message)
        with Client(daemon.socket_path, timeout=5.0) as local:
            self.assertEqual(local.stats()["served"], 0)

    def test_both_tokens_of_a_rotation_are_accepted(self):
        port = support.free_port()
        self.start([f"127.0.0.1:{port}"], tokens=(TOKEN, OTHER))
        for token in (TOKEN, OTHER):
            self.assertEqual(self.client(f"tcp://127.0.0.1:{port}", token).ping(), 1)

    def test_a_unix_socket_answers_auth_without_checking(self):
        daemon = self.start([])
        self.assertEqual(self.client(daemon.socket_path, "any-token-a-client-sends").ping(), 1)

    def test_a_malformed_address_is_an_error(self):
        with self.assertRaises(SsrdError) as caught:
            Client("tcp://127.0.0.1", timeout=1.0).ping()
        self.assertEqual(caught.exception.code, "unavailable")
        self.assertIn("tcp://HOST:PORT", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
