"""{% ssr "Component" props [nonce=...] [hydrate_id=...] [url=...] %}
{% ssr_stream_slot %}: the place of a streamed component (ssrd_django.streaming).

Outputs ``<div id="root">HTML</div>`` followed by the hydration script. Only the daemon's
output (and, on the fallback path, the script that ssrd_client escapes itself) is marked safe;
the component name and props never reach the page unescaped.

Errors: with SSRD["FALLBACK"] (the default) a failed render logs at ERROR and yields the empty
shell plus the hydration script, so the browser renders the page; without it the SsrdError
propagates and Django answers 500.
"""
from django import template
from django.utils.safestring import mark_safe

from ssrd_client import render_or_shell

from ..client import config, get_client
from ..streaming import STREAM_SLOT

register = template.Library()


@register.simple_tag
def ssr(component, props=None, nonce=None, hydrate_id=None, url=None):
    cfg = config()
    client = get_client()
    if cfg["HYDRATE"] and cfg["FALLBACK"]:
        return mark_safe(render_or_shell(client, component, props, hydrate_id=hydrate_id,
                                         nonce=nonce or None, url=url))
    result = client.render(component, props, hydrate=cfg["HYDRATE"], hydrate_id=hydrate_id,
                           nonce=nonce or None, url=url)
    return mark_safe(f'<div id="root">{result.html}</div>{result.script}')


@register.simple_tag
def ssr_stream_slot():
    """Where ssrd_django.streaming.stream_template streams the component in."""
    return mark_safe(STREAM_SLOT)
