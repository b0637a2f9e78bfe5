"""Django integration for ssrd: add "ssrd_django" to INSTALLED_APPS and configure

    SSRD = {
        "SOCKET": "/run/ssrd/ssrd.sock",  # default: the daemon's default path
        "TIMEOUT": 5.0,                    # seconds per render
        "HYDRATE": True,                   # write the hydration <script> after the markup
        "FALLBACK": True,                  # daemon down: empty shell + client-side render
    }

then in a template:

    {% load ssrd %}
    {% ssr "ProductPage" props nonce=request.csp_nonce %}

and, for the component's head and status: ``{% ssr_head %}`` once in the base template's <head>,
and "ssrd_django.middleware.SsrStatusMiddleware" in MIDDLEWARE (templatetags/ssrd.py,
middleware.py).
"""
