"""``SsrStatusMiddleware``: the status a component set (``useSsrd().setStatus(404)``) becomes the
response's status.

    MIDDLEWARE = [..., "ssrd_django.middleware.SsrStatusMiddleware"]

A template tag cannot change the response it is part of, so ``{% ssr %}`` records a status other
than 200 on the request and this middleware applies it once the view has rendered the page
(``render()``, a TemplateResponse, a generic view alike). It changes only a 200 response: a view
that chose its own status, or an error page, keeps it. A streamed page
(``ssrd_django.streaming``) has sent its status before the render ends, so it keeps the one its
view gave.

A redirect status (301, 302, …) comes without a ``Location`` header (the render reply has none):
the component's head holds a ``<meta http-equiv="refresh">`` to the target, which
``{% ssr_head %}`` writes into the page; a view that knows the target should redirect itself.
"""
from .page import STATUS_ATTR


class SsrStatusMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = getattr(request, STATUS_ATTR, None)
        if status is not None and response.status_code == 200 and not response.streaming:
            response.status_code = status
        return response
