"""The corpus of real SSR libraries from the npm registry (tests/corpus, pinned by its lock file):
each library's server entry, bundled plainly by esbuild (build/tests/corpus/NAME.mjs, made by the
CMake target corpus_bundles), renders through the real daemon exactly what Node 20 renders from
the same bundle with the same requests: html, head, status and the hydration data, byte for byte.

Node answers the requests of tests/corpus/cases.json (tests/corpus/node_render.mjs) in order,
twice, in one module instance, and each alone in a module instance of its own. The daemon
answers them with one worker in each mode: the default (a startup snapshot, a guarded context
reused by the next render) and no snapshot must give Node's two rounds; a fresh context per
render must give what each request gave alone. A case marked "stream" is asked for as a stream
and then whole.

A library may leave globals behind when it renders (Vue sets its feature flags and __VUE__ on
the first createApp, not when the bundle loads): cases.json names them under "leaves_globals",
and the guarded worker must name exactly those and replace its context, while the pages still
equal Node's."""
import json
import os
import subprocess
import unittest

from harness import REPO, first_difference, support

from ssrd_client import Client

CORPUS = os.path.join(REPO, "tests", "corpus")
BUILT = os.environ.get("SSRD_CORPUS_DIR") or os.path.join(REPO, "build", "tests", "corpus")
with open(os.path.join(CORPUS, "cases.json"), encoding="utf-8") as f:
    LIBRARIES = json.load(f)

# mode: (daemon arguments, whether each render starts from a freshly loaded bundle)
MODES = {
    "guarded": ([], False),
    "fresh": (["--isolation", "fresh"], True),
    "no-snapshot": (["--no-snapshot"], False),
}


def requests(cases):
    """(key, case, stream) in the order node_render.mjs answers them."""
    for case in cases:
        if case.get("stream"):
            yield f"{case['name']} (stream)", case, True
        yield case["name"], case, False


def node_rounds(name):
    bundle = os.path.join(BUILT, f"{name}.mjs")
    done = subprocess.run(["node", os.path.join(CORPUS, "node_render.mjs"), bundle, name],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"node could not render {name}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def hydration_element(text):
    return f'<script type="application/json" id="ssrd-data">{text}</script>'


class CorpusInTheDaemon(unittest.TestCase):
    def check_library(self, name):
        bundle = os.path.join(BUILT, f"{name}.mjs")
        self.assertTrue(os.path.exists(bundle), f"{bundle} not built: run scripts/build")
        node = node_rounds(name)
        library = LIBRARIES[name]
        for mode, (args, fresh) in MODES.items():
            snapshots = support.make_tmp(self)
            daemon = support.start_daemon(self, bundle, workers=1,
                                          extra_args=args + ["--snapshot-dir", snapshots])
            with Client(daemon.socket_path, timeout=30) as client:
                for round_ in (0, 1):
                    want = node["fresh"] if fresh else node["rounds"][round_]
                    for key, case, stream in requests(library["cases"]):
                        with self.subTest(mode=mode, round=round_ + 1, request=key):
                            self.check_reply(client, case, stream, want[key])
                resets = client.stats().get("context_resets", 0)
            leaves = library.get("leaves_globals")
            if mode == "fresh":
                pass  # every render has a new context anyway
            elif leaves:
                left = ", ".join(f"globalThis.{g} (added)" for g in leaves)
                self.assertIn(f"a render left {left} behind; its context was replaced", daemon.logs())
                self.assertGreater(resets, 0)
            else:
                self.assertEqual(resets, 0, f"a render of {name} left something on the global "
                                            f"object ({mode}):\n{daemon.logs()}")
            daemon.stop()

    def check_reply(self, client, case, stream, want):
        component = case.get("component", "Page")
        url = case.get("url", "/")
        if stream:
            reply = client.render_stream(component, case["props"], hydrate=True, url=url)
            html = "".join(reply)
            result = reply.result
        else:
            result = client.render(component, case["props"], hydrate=True, url=url)
            html = result.html
        self.assertTrue(html == want["html"], first_difference(html, want["html"]))
        self.assertEqual(result.head, want["head"])
        self.assertEqual(result.status, want["status"])
        self.assertEqual(result.script, hydration_element(want["hydration"]))
        self.assertEqual(result.console, [])

    def test_the_corpus_spans_the_four_frameworks_with_eight_libraries_or_more(self):
        self.assertGreaterEqual(len(LIBRARIES), 8)
        built = sorted(f[:-4] for f in os.listdir(BUILT) if f.endswith(".mjs"))
        self.assertEqual(built, sorted(LIBRARIES), "every bundle has its cases and every case its bundle")
        self.assertEqual(sorted(os.listdir(os.path.join(CORPUS, "src"))), sorted(LIBRARIES))
        self.assertEqual({library["framework"] for library in LIBRARIES.values()},
                         {"react", "vue", "svelte", "preact"})


def _add_tests():
    for name in LIBRARIES:
        method = f"test_{name.replace('-', '_')}"
        setattr(CorpusInTheDaemon, method, lambda self, name=name: self.check_library(name))


_add_tests()

if __name__ == "__main__":
    unittest.main()
