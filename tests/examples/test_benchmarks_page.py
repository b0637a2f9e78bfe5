"""docs/benchmarks.md is rewritten by scripts/bench (tools/bench/report.py); the adapters' section,
measured by bench/adapters/run.sh, sits below a marker that the rewrite keeps."""
import importlib.util
import os
import tempfile
import unittest

from harness import REPO

_spec = importlib.util.spec_from_file_location("bench_report", os.path.join(REPO, "tools", "bench", "report.py"))
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


class BenchmarksPage(unittest.TestCase):
    def test_the_part_below_the_marker_is_kept(self):
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write("# old generated part\n\n" + report.KEPT_MARKER + "\n## Adapters\nkept\n")
        self.addCleanup(os.unlink, f.name)
        self.assertEqual(report.kept_tail(f.name), "\n" + report.KEPT_MARKER + "\n## Adapters\nkept\n")

    def test_nothing_is_kept_without_the_marker_or_the_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write("# only generated\n")
        self.addCleanup(os.unlink, f.name)
        self.assertEqual(report.kept_tail(f.name), "")
        self.assertEqual(report.kept_tail(f.name + ".missing"), "")

    def test_the_page_has_the_marker(self):
        with open(os.path.join(REPO, "docs", "benchmarks.md"), encoding="utf-8") as page:
            self.assertIn(report.KEPT_MARKER, page.read())

    def test_the_soak_section_is_below_the_marker(self):
        # tools/bench/soak.py writes it by hand; a scripts/bench run must not drop it.
        with open(os.path.join(REPO, "docs", "benchmarks.md"), encoding="utf-8") as page:
            text = page.read()
        self.assertGreater(text.find("\n## Soak\n"), text.find(report.KEPT_MARKER))


if __name__ == "__main__":
    unittest.main()
