"""Runs every Python test (client, hydration vectors, Django under gunicorn, Chromium) and ends
with one summary line "python: N passed, N failed, N skipped". Exit status 0 only if none failed.
"""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

suite = unittest.defaultTestLoader.discover(os.path.join(here, "tests"), top_level_dir=here)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
skipped = len(result.skipped)
passed = result.testsRun - failed - skipped
print(f"python: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
