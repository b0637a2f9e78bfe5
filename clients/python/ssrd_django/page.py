"""What a page's ``{% ssr %}`` tags learn besides the markup: the head and the status.

The head is collected in the template context by ``{% ssr_head %}`` (templatetags/ssrd.py),
which renders the rest of the template first; the status is kept on the request for
``ssrd_django.middleware.SsrStatusMiddleware``, which sets it on the response.
"""
HEAD_KEY = "_ssrd_head_collector"
STATUS_ATTR = "ssrd_status"


class HeadCollector:
    """The head markup of the ``{% ssr %}`` tags rendered inside one ``{% ssr_head %}``."""

    def __init__(self):
        self.parts = []

    def add(self, head):
        if head:
            self.parts.append(head)

    def markup(self):
        return "".join(self.parts)


def record(context, head, status):
    """Called by ``{% ssr %}`` with its render's head and status. The first status other than
    200 on a page wins: it is the component that said the page is missing or moved."""
    collector = context.get(HEAD_KEY)
    if collector is not None:
        collector.add(head)
    request = getattr(context, "request", None) or context.get("request")
    if request is not None and status != 200 and getattr(request, STATUS_ATTR, None) is None:
        setattr(request, STATUS_ATTR, status)
