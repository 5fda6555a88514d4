"""The package type-checks: it ships py.typed, so users' type checkers read these annotations."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_stance_passes_mypy():
    pytest.importorskip("mypy")
    r = subprocess.run([sys.executable, "-m", "mypy", "stance", "--no-error-summary"], cwd=ROOT,
                       capture_output=True, text=True)
    errors = [line for line in r.stdout.splitlines() if ": error:" in line]
    assert r.returncode == 0 and not errors, "\n".join(errors) or r.stdout + r.stderr
