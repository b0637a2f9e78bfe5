"""The one ssrd client of this process, built from settings.SSRD on first use.

Process-wide and shared by every thread. Safe across gunicorn's fork: the client itself notices
the fork and opens the worker's own connection (see ssrd_client.client).
"""
import threading

from django.conf import settings

from ssrd_client import Client

DEFAULTS = {"SOCKET": None, "TIMEOUT": 10.0, "HYDRATE": True, "FALLBACK": True, "POOL_SIZE": 1}

_lock = threading.Lock()
_client = None


def config():
    return {**DEFAULTS, **getattr(settings, "SSRD", {})}


def get_client():
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                cfg = config()
                _client = Client(cfg["SOCKET"], timeout=cfg["TIMEOUT"],
                                 pool_size=cfg["POOL_SIZE"])
            client = _client
    return client
