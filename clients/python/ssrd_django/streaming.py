"""Streamed pages in Django: a template whose component html arrives while it renders.

    from ssrd_django.streaming import stream_template
    def product(request):
        return stream_template(request, "shop/stream.html", {"title": t}, "ProductPage", props,
                               nonce=request.csp_nonce)

The template marks where the component goes with ``{% ssr_stream_slot %}`` (from ``{% load ssrd
%}``). The response is a StreamingHttpResponse: the template up to the slot, then
``<div id="root">`` and the component's html piece by piece as ssrd streams it (the protocol's
"Streaming"), then ``</div>`` and the hydration script, then the rest of the template. So the
browser gets the page's head and first markup before the render has finished.

Errors: the render is started, and its first piece awaited, before the response is made. A
failure before the first piece behaves like ``{% ssr %}``: with SSRD["FALLBACK"] (the default)
the page is served whole with the empty shell and a hydration script built here (logged at
ERROR), without it the SsrdError propagates (Django answers 500). A failure after the first piece
cannot change a response already under way: it is logged at ERROR and the page ends after the
markup received so far, without the hydration script (the browser keeps the server markup).
Status and head from the render arrive with its last piece, too late for the response headers:
a streamed page has the status given here (200 by default).
"""
import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string

from ssrd_client import SsrdError
from ssrd_client.hydration import SHELL, hydration_script

from .client import config, get_client

STREAM_SLOT = "<!--ssrd-stream-slot-->"

_log = logging.getLogger("ssrd_django")


def stream_template(request, template_name, context, component, props=None, *, nonce=None,
                    hydrate_id=None, url=None, status=200,
                    content_type="text/html; charset=utf-8"):
    """Returns a StreamingHttpResponse of ``template_name`` with ``component`` streamed in at
    its ``{% ssr_stream_slot %}``; see the module's documentation."""
    page = render_to_string(template_name, context, request)
    before, slot, after = page.partition(STREAM_SLOT)
    if not slot:
        raise ImproperlyConfigured(f"template {template_name} has no {{% ssr_stream_slot %}}")
    cfg = config()
    stream = get_client().render_stream(component, props, hydrate=cfg["HYDRATE"],
                                        hydrate_id=hydrate_id, nonce=nonce or None, url=url)
    pieces = iter(stream)
    try:
        first = next(pieces, "")
    except SsrdError as exc:
        if not (cfg["HYDRATE"] and cfg["FALLBACK"]):
            raise
        _log.error("ssrd render of %r failed with code %s (%s); serving the empty shell for "
                   "client-side rendering", component, exc.code, exc.message)
        shell = SHELL + hydration_script(component, props, hydrate_id, nonce or None)
        return HttpResponse(before + shell + after, status=status, content_type=content_type)

    def body():
        yield before + '<div id="root">' + first
        try:
            for piece in pieces:
                yield piece
            yield "</div>" + (stream.result.script if stream.result else "")
        except SsrdError as exc:
            _log.error("ssrd stream of %r failed after it started, with code %s (%s); the page "
                       "ends without its hydration script", component, exc.code, exc.message)
            yield "</div>"
        yield after

    return StreamingHttpResponse(body(), status=status, content_type=content_type)
