"""Python client for ssrd, the server-side rendering daemon (protocol v1, docs/protocol.md).

    from ssrd_client import Client
    client = Client("/run/ssrd/ssrd.sock")
    page = client.render("ProductPage", {"title": "Spring"}, hydrate=True)
    body = f'<div id="root">{page.html}</div>{page.script}'
"""
from .client import Client, RenderResult, RenderStream, default_socket_path
from .errors import SsrdError, SsrdTimeout
from .hydration import hydration_json, hydration_script, render_or_shell

__all__ = ["Client", "RenderResult", "RenderStream", "SsrdError", "SsrdTimeout", "default_socket_path",
           "hydration_json", "hydration_script", "render_or_shell"]
