"""Errors raised by the ssrd client.

Every failure a caller can see is an ``SsrdError`` whose ``code`` is one of the protocol's stable
error codes (docs/protocol.md, section 5): the daemon's own code for an error reply, ``timeout``
when the client's deadline passed, ``unavailable`` when the daemon cannot be reached or the
connection dropped with the request in flight.
"""

# Codes a client may see; an unknown code from a newer daemon is kept as sent (callers should
# treat unknown codes as "internal", as the protocol says).
KNOWN_CODES = frozenset({
    "bad_request", "not_found", "js_error", "timeout", "overloaded", "worker_crashed",
    "out_of_memory", "too_large", "shutting_down", "bundle_error", "unavailable", "cancelled",
    "forbidden", "unauthorized", "internal",
})


class SsrdError(Exception):
    """A request failed. ``code``: protocol error code; ``message``: one line; ``stack``: the
    JavaScript stack for ``js_error`` (else ""); ``console``: what the render logged before it
    failed, as a list of (level, text)."""

    def __init__(self, code, message, stack="", console=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.stack = stack or ""
        self.console = list(console or [])


class SsrdTimeout(SsrdError):
    """The request's deadline passed (client side, or the daemon answered ``timeout``)."""

    def __init__(self, message, stack="", console=None):
        super().__init__("timeout", message, stack, console)


def error_from_reply(reply):
    """Builds the exception for an error reply map (``ok`` false)."""
    err = reply.get("error") or {}
    code = err.get("code") or "internal"
    message = err.get("message") or ""
    stack = err.get("stack") or ""
    console = [tuple(entry) for entry in reply.get("console") or []]
    if code == "timeout":
        return SsrdTimeout(message, stack, console)
    return SsrdError(code, message, stack, console)
