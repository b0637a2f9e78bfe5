"""A per-request CSP nonce, as django-csp would set it: request.csp_nonce.

With SSRD_EXAMPLE_CSP=1 the page also sends a Content-Security-Policy that only lets scripts
carrying the nonce run, which proves the nonce reaches the hydration script and the bundle.
"""
import os
import secrets


def csp_nonce(get_response):
    enforce = os.environ.get("SSRD_EXAMPLE_CSP") == "1"

    def middleware(request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = get_response(request)
        if enforce:
            nonce = f"'nonce-{request.csp_nonce}'"
            response["Content-Security-Policy"] = (
                f"default-src 'self'; script-src {nonce}; style-src {nonce}")
        return response

    return middleware
