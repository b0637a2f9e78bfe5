"""Settings of the example: one app, no database, ssrd on $SSRD_SOCKET."""
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REACT_DIST = os.path.abspath(os.path.join(BASE_DIR, "..", "react-app", "dist"))
# The client bundles of the example apps, one per framework (each app's dist/).
FRAMEWORK_DISTS = {
    name: os.path.abspath(os.path.join(BASE_DIR, "..", f"{name}-app", "dist"))
    for name in ("react", "vue", "svelte", "preact")
}

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = ["ssrd_django", "shop"]
# SsrStatusMiddleware: a component's status (a 404 from the checklist without items) becomes the
# response's.
MIDDLEWARE = ["shop.middleware.csp_nonce", "ssrd_django.middleware.SsrStatusMiddleware"]
ROOT_URLCONF = "exampleproject.urls"
WSGI_APPLICATION = "exampleproject.wsgi.application"
DATABASES = {}
USE_TZ = True

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]

SSRD = {
    "SOCKET": os.environ.get("SSRD_SOCKET") or None,  # None: the daemon's default path
    "TIMEOUT": float(os.environ.get("SSRD_TIMEOUT", "10")),
    "HYDRATE": True,
    "FALLBACK": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {name: {"handlers": ["console"], "level": "ERROR"} for name in ("ssrd_client", "ssrd_django")},
}
