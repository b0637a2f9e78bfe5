"""{% ssr_head %} and SsrStatusMiddleware in this process, with Django configured here, against a
real ssrd on tests/integration/bundles/echo.mjs ("WithHead" answers head "<title>T</title>" and
status 201; other names echo their props with status 200)."""
import shutil
import unittest

from . import support

TEMPLATES = {
    "base.html": "{% load ssrd %}<html><head><meta charset=\"utf-8\">{% ssr_head %}</head>"
                 "<body>{% block content %}{% endblock %}</body></html>",
    "page.html": "{% extends \"base.html\" %}{% load ssrd %}"
                 "{% block content %}{% ssr component props %}{% endblock %}",
    "two.html": "{% extends \"base.html\" %}{% load ssrd %}{% block content %}"
                "{% ssr \"Card\" %}{% ssr \"WithHead\" head_props %}{% endblock %}",
    "nohead.html": "{% load ssrd %}<body>{% ssr component props %}</body>",
    "bad.html": "{% load ssrd %}{% ssr_head extra %}",
}


class DjangoPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.templates = support.write_django_templates(TEMPLATES, "ssrd-py-page-templates-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.templates, True)

    def setUp(self):
        self.daemon = support.serve_django_from(self, support.ECHO_BUNDLE, self.templates)

    def view(self, template, context, status=None):
        """A view rendering template with django.shortcuts.render, behind the middleware."""
        from django.shortcuts import render
        from django.test import RequestFactory
        from ssrd_django.middleware import SsrStatusMiddleware

        def view(request):
            if status is None:
                return render(request, template, context)
            return render(request, template, context, status=status)

        return SsrStatusMiddleware(view)(RequestFactory().get("/page"))

    def test_the_head_goes_into_head_and_the_status_onto_the_response(self):
        response = self.view("page.html", {"component": "WithHead", "props": {"title": "A"}})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.content.decode(),
                         '<html><head><meta charset="utf-8"><title>A</title></head><body>'
                         '<div id="root"><h1>A</h1></div><script type="application/json" '
                         'id="ssrd-data">{"component":"WithHead","props":{"title":"A"}}</script>'
                         '</body></html>')

    def test_a_plain_render_adds_no_head_and_keeps_200(self):
        response = self.view("page.html", {"component": "Card", "props": {"n": 1}})
        self.assertEqual(response.status_code, 200)
        self.assertIn('<head><meta charset="utf-8"></head>', response.content.decode())

    def test_heads_of_several_components_in_order_and_the_status_of_the_one_that_set_it(self):
        response = self.view("two.html", {"head_props": {"title": "Second"}})
        self.assertEqual(response.status_code, 201)
        self.assertIn('<head><meta charset="utf-8"><title>Second</title></head>',
                      response.content.decode())

    def test_a_status_the_view_chose_is_kept(self):
        response = self.view("page.html", {"component": "WithHead", "props": {"title": "A"}},
                             status=410)
        self.assertEqual(response.status_code, 410)

    def test_without_ssr_head_the_head_is_dropped_and_the_status_still_applies(self):
        response = self.view("nohead.html", {"component": "WithHead", "props": {"title": "A"}})
        self.assertEqual(response.status_code, 201)
        self.assertNotIn("<title>", response.content.decode())

    def test_a_failed_render_serves_the_shell_with_200_and_no_head(self):
        self.daemon.stop()
        with self.assertLogs("ssrd_django", "ERROR"):
            response = self.view("page.html", {"component": "WithHead", "props": {"title": "A"}})
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        self.assertIn('<head><meta charset="utf-8"></head>', body)
        self.assertIn('<div id="root"></div><script type="application/json" id="ssrd-data">',
                      body)

    def test_ssr_head_takes_no_arguments(self):
        from django.template import TemplateSyntaxError
        from django.template.loader import get_template
        with self.assertRaises(TemplateSyntaxError):
            get_template("bad.html")


if __name__ == "__main__":
    unittest.main()
