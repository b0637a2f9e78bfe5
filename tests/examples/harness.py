"""The Python client's process helpers (clients/python/tests/support.py: ssrd and gunicorn on
temp sockets and loopback, always stopped), loaded from there rather than copied."""
import importlib.util
import json
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(REPO, "examples")
# Apps whose expected/cases.json the daemon must reproduce.
APPS = ("react-app", "vue-app", "svelte-app", "preact-app")
FRAMEWORKS = ("react", "vue", "svelte", "preact")
DJANGO_BUNDLE = os.path.join(EXAMPLES, "django-app", "dist", "server.mjs")

_spec = importlib.util.spec_from_file_location(
    "ssrd_client_test_support", os.path.join(REPO, "clients", "python", "tests", "support.py"))
support = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(support)  # also puts clients/python on sys.path for ssrd_client


def read_cases(app, streamed=False):
    """[(case dict, props, html, head)] from examples/APP/expected; with streamed, the cases of
    stream-cases.json (pages only the streaming bundle renders) too."""
    expected = os.path.join(EXAMPLES, app, "expected")
    cases = []
    for name in ("cases.json", "stream-cases.json") if streamed else ("cases.json",):
        path = os.path.join(expected, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                cases += json.load(f)

    def text(name):
        with open(os.path.join(expected, name), encoding="utf-8", newline="") as f:
            return f.read()

    return [(c, json.loads(text(f"{c['name']}.props.json")), text(f"{c['name']}.html"),
             text(f"{c['name']}.head.html")) for c in cases]


def first_difference(got, want):
    i = 0
    while i < len(got) and i < len(want) and got[i] == want[i]:
        i += 1
    return f"first difference at {i}:\n got: {got[max(0, i - 60):i + 100]!r}\nwant: {want[max(0, i - 60):i + 100]!r}"


assert sys.version_info >= (3, 9)
