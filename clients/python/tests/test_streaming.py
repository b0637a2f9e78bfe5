"""Streamed renders from Python (Client.render_stream) and Django (ssrd_django.streaming)
against a real ssrd on tests/integration/bundles/streaming.mjs."""
import time
import unittest

from . import support
from ssrd_client import Client, RenderStream, SsrdError, SsrdTimeout


class RenderStreamTest(unittest.TestCase):
    def setUp(self):
        self.daemon = support.start_daemon(self, support.STREAMING_BUNDLE, workers=1)
        self.client = Client(self.daemon.socket_path, timeout=10.0)
        self.addCleanup(self.client.close)

    def test_pieces_then_the_result(self):
        stream = self.client.render_stream(
            "Pieces", {"parts": ["<a>", "<b>", "<c>"], "delay_ms": 100}, hydrate=True)
        self.assertIsInstance(stream, RenderStream)
        self.assertIsNone(stream.result)
        pieces = list(stream)
        self.assertEqual(pieces, ["<a>", "<b>", "<c>"])
        self.assertEqual(stream.result.html, "")
        self.assertEqual(stream.result.head, "<title>streamed</title>")
        self.assertEqual(stream.result.status, 201)
        self.assertIn('"data":{"parts":3}', stream.result.script)

    def test_the_first_piece_comes_before_the_render_ends_and_leaving_cancels_it(self):
        stream = self.client.render_stream("WaitsAfterFirst")
        pieces = iter(stream)
        self.assertEqual(next(pieces), "<p>first</p>")  # the render now waits 60 s
        before = self.client.stats()["cancels"]
        pieces.close()  # the consumer leaves: the render is cancelled at the daemon
        self.assertTrue(support.wait_until(lambda: self.client.stats()["cancels"] > before, 10))
        # the only worker is free again at once
        self.assertEqual(self.client.render("Plain", timeout=5).html, "<p>plain</p>")

    def test_errors_are_raised_from_the_iteration(self):
        got = []
        with self.assertRaises(SsrdError) as caught:
            for piece in self.client.render_stream("ThrowsMidway"):
                got.append(piece)
        self.assertEqual(got, ["<p>before</p>"])
        self.assertEqual(caught.exception.code, "js_error")
        self.assertEqual(caught.exception.message, "Error: stream broke")
        self.assertEqual(self.client.render("Plain").html, "<p>plain</p>")

    def test_the_timeout_bounds_the_whole_stream(self):
        started = time.monotonic()
        pieces = []
        with self.assertRaises(SsrdTimeout):
            for piece in self.client.render_stream("WaitsAfterFirst", timeout=0.5):
                pieces.append(piece)
        self.assertEqual(pieces, ["<p>first</p>"])
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(self.client.render("Plain").html, "<p>plain</p>")

    def test_a_plain_render_streams_as_one_piece(self):
        self.assertEqual(list(self.client.render_stream("Plain")), ["<p>plain</p>"])

    def test_a_stream_is_iterated_once(self):
        stream = self.client.render_stream("Plain")
        list(stream)
        with self.assertRaises(RuntimeError):
            iter(stream)


class DjangoStreamTemplateTest(unittest.TestCase):
    """stream_template in this process, with Django configured here (no project needed)."""

    @classmethod
    def setUpClass(cls):
        cls.templates = support.write_django_templates({
            "page.html": "{% load ssrd %}<html><head><title>{{ title }}</title></head><body>"
                         "{% ssr_stream_slot %}<footer>end</footer></body></html>",
            "noslot.html": "<html></html>",
        }, "ssrd-py-templates-")

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.templates, True)

    def setUp(self):
        self.daemon = support.serve_django_from(self, support.STREAMING_BUNDLE, self.templates)

    def response(self, component, props=None, template="page.html"):
        from ssrd_django.streaming import stream_template
        return stream_template(None, template, {"title": "T"}, component, props, nonce="n0nce")

    def test_the_page_streams_around_the_component(self):
        response = self.response("Pieces", {"parts": ["<a>", "<b>"], "delay_ms": 5})
        self.assertTrue(response.streaming)
        body = b"".join(response.streaming_content).decode()
        self.assertTrue(body.startswith(
            '<html><head><title>T</title></head><body><div id="root"><a><b></div>'
            '<script type="application/json" id="ssrd-data" nonce="n0nce">'), body)
        self.assertTrue(body.endswith("</script><footer>end</footer></body></html>"), body)

    def test_the_head_and_first_markup_leave_before_the_render_ends(self):
        response = self.response("WaitsAfterFirst")
        content = iter(response.streaming_content)
        first = next(content).decode()  # the render now waits 60 s
        self.assertEqual(first, '<html><head><title>T</title></head><body><div id="root">'
                                "<p>first</p>")
        client = Client(self.daemon.socket_path, timeout=10.0)
        self.addCleanup(client.close)
        before = client.stats()["cancels"]
        response.close()  # what the WSGI server does when the browser goes away
        self.assertTrue(support.wait_until(lambda: client.stats()["cancels"] > before, 10))

    def test_a_failure_before_the_first_piece_serves_the_shell(self):
        response = self.response("BadChunk")
        self.assertFalse(response.streaming)
        body = response.content.decode()
        self.assertIn('<div id="root"></div><script type="application/json" id="ssrd-data" '
                      'nonce="n0nce">{"component":"BadChunk","props":{}}</script>', body)
        self.assertTrue(body.endswith("<footer>end</footer></body></html>"))

    def test_a_failure_after_the_first_piece_ends_the_page_without_hydration(self):
        body = b"".join(self.response("ThrowsMidway").streaming_content).decode()
        self.assertEqual(body, '<html><head><title>T</title></head><body><div id="root">'
                               "<p>before</p></div><footer>end</footer></body></html>")

    def test_a_template_without_the_slot_is_refused(self):
        from django.core.exceptions import ImproperlyConfigured
        with self.assertRaises(ImproperlyConfigured):
            self.response("Plain", template="noslot.html")
