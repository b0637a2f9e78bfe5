"""{% ssr "Component" props [nonce=...] [hydrate_id=...] [url=...] %}
{% ssr_head %}: where the head of the page's components goes (in the page's <head>).
{% ssr_stream_slot %}: the place of a streamed component (ssrd_django.streaming).

``{% ssr %}`` outputs ``<div id="root">HTML</div>`` followed by the hydration script. Only the
daemon's output (and, on the fallback path, the script that ssrd_client escapes itself) is marked
safe; the component name and props never reach the page unescaped. It also records the render's
head for ``{% ssr_head %}`` and a status other than 200 for
``ssrd_django.middleware.SsrStatusMiddleware`` (ssrd_django.page).

``{% ssr_head %}`` renders everything after it in the template first (the ``{% ssr %}`` tags of
the page, blocks of child templates included), then writes their heads where it stands. Put it
once, in the base template's ``<head>``. The head is the component's own markup (its title, meta
tags, a redirect's meta refresh), escaped by the framework.

Errors: with SSRD["FALLBACK"] (the default) a failed render logs at ERROR and yields the empty
shell plus the hydration script, so the browser renders the page (no head, status 200); without
it the SsrdError propagates and Django answers 500.
"""
import logging

from django import template
from django.utils.safestring import mark_safe

from ssrd_client import SsrdError
from ssrd_client.hydration import SHELL, hydration_script

from ..client import config, get_client
from ..page import HEAD_KEY, HeadCollector, record
from ..streaming import STREAM_SLOT

register = template.Library()

_log = logging.getLogger("ssrd_django")


@register.simple_tag(takes_context=True)
def ssr(context, component, props=None, nonce=None, hydrate_id=None, url=None):
    cfg = config()
    nonce = nonce or None
    try:
        result = get_client().render(component, props, hydrate=cfg["HYDRATE"],
                                     hydrate_id=hydrate_id, nonce=nonce, url=url)
    except SsrdError as exc:
        if not (cfg["HYDRATE"] and cfg["FALLBACK"]):
            raise
        # Logged every time: a silent fallback hides an outage.
        _log.error("ssrd render of %r failed with code %s (%s); serving the empty shell for "
                   "client-side rendering", component, exc.code, exc.message)
        return mark_safe(SHELL + hydration_script(component, props, hydrate_id, nonce))
    record(context, result.head, result.status)
    return mark_safe(f'<div id="root">{result.html}</div>{result.script}')


class SsrHeadNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        collector = HeadCollector()
        with context.push({HEAD_KEY: collector}):
            rest = self.nodelist.render(context)
        return mark_safe(collector.markup()) + rest


@register.tag
def ssr_head(parser, token):
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% ssr_head %} takes no arguments")
    return SsrHeadNode(parser.parse())  # the rest of the template: rendered before the head


@register.simple_tag
def ssr_stream_slot():
    """Where ssrd_django.streaming.stream_template streams the component in."""
    return mark_safe(STREAM_SLOT)
