"""Runs the example tests (test_*.py beside this file) and ends with one summary line
"examples: N passed, N failed, N skipped". Exit status 0 only if none failed."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
skipped = len(result.skipped)
passed = result.testsRun - failed - skipped
print(f"examples: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
