"""Makes the in-tree client (clients/python) importable when it is not installed."""
import os
import sys

_CLIENTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "clients",
                                        "python"))
try:
    import ssrd_client  # noqa: F401
except ImportError:
    sys.path.insert(0, _CLIENTS)
