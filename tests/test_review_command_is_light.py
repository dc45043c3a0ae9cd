"""Registering `derive review` keeps the CLI light: importing it loads no SymPy."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_imports_no_sympy_until_a_review_runs():
    code = "import sys, derive.cli\nprint('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
