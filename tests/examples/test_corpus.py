"""The corpus of real SSR libraries from the npm registry (tests/corpus, pinned by its lock file):
each library's server entry, bundled plainly by esbuild (build/tests/corpus/NAME.mjs, made by the
CMake target corpus_bundles), renders through the real daemon exactly what Node 20 renders from
the same bundle with the same requests: html, head, status and the hydration data, byte for byte.

Node runs the requests of tests/corpus/cases.json in order, twice, in one process
(tests/corpus/node_render.mjs). The daemon answers them with one worker in each mode: the
default (a startup snapshot, a guarded context reused by the next render), a fresh context per
render, and no snapshot. A reused context must give what Node's second round gave; a fresh one
what its first round gave. A case marked "stream" is asked for both as a stream and whole."""
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

# mode: (daemon arguments, which of Node's rounds each of the daemon's two rounds must equal)
MODES = {
    "guarded": ([], (0, 1)),
    "fresh": (["--isolation", "fresh"], (0, 0)),
    "no-snapshot": (["--no-snapshot"], (0, 1)),
}


def node_rounds(name):
    bundle = os.path.join(BUILT, f"{name}.mjs")
    done = subprocess.run(["node", os.path.join(CORPUS, "node_render.mjs"), bundle, name],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"node could not render {name}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)["rounds"]


def hydration_element(text):
    return f'<script type="application/json" id="ssrd-data">{text}</script>'


class CorpusInTheDaemon(unittest.TestCase):
    def check_library(self, name):
        bundle = os.path.join(BUILT, f"{name}.mjs")
        self.assertTrue(os.path.exists(bundle), f"{bundle} not built: run scripts/build")
        rounds = node_rounds(name)
        cases = LIBRARIES[name]["cases"]
        for mode, (args, which) in MODES.items():
            snapshots = support.make_tmp(self)
            daemon = support.start_daemon(self, bundle, workers=1,
                                          extra_args=args + ["--snapshot-dir", snapshots])
            with Client(daemon.socket_path, timeout=30) as client:
                for round_, node_round in enumerate(which, 1):
                    for case in cases:
                        want = rounds[node_round][case["name"]]
                        for stream in ((True, False) if case.get("stream") else (False,)):
                            with self.subTest(mode=mode, round=round_, case=case["name"], stream=stream):
                                self.check_reply(client, case, stream, want)
                resets = client.stats().get("context_resets", 0)
            self.assertEqual(resets, 0, f"a render of {name} left something on the global object "
                                        f"({mode}):\n{daemon.logs()}")
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
