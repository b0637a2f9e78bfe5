"""WSGI entry point: gunicorn exampleproject.wsgi:application (from examples/django-app)."""
import os

from exampleproject import client_path  # noqa: F401  (puts clients/python on sys.path)
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")
application = get_wsgi_application()

if os.environ.get("SSRD_PRELOAD_PING") == "1":
    # With gunicorn --preload the master runs this before forking its workers: they all inherit
    # this connection, and the client must leave it alone in each of them and open its own.
    # The tests use it to check exactly that.
    import logging

    from ssrd_client import SsrdError
    from ssrd_django.client import get_client

    try:
        get_client().ping()
    except SsrdError as exc:
        logging.getLogger("ssrd_client").warning("ssrd not reachable at start-up: %s", exc)
