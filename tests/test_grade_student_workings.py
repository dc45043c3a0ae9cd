"""The real student's Problem 2 totals, graded: one is a transcription slip, one is right."""

from __future__ import annotations

import json
import re
from pathlib import Path


def student_totals(workings: Path) -> tuple[str, str]:
    text = workings.read_text(encoding="utf-8")
    conv = re.search(r"Convolutional layers total.*?= (\d{6,})", text, re.S).group(1)
    linear = re.search(r"Linear layers total.*?= (\d{6,})", text, re.S).group(1)
    return conv, linear


def test_student_totals_are_graded_with_diagnoses(tmp_path, run, student_workings):
    conv, linear = student_totals(student_workings)
    answers = tmp_path / "student.toml"
    # The student counts an addition and a multiplication per multiply-add: the FLOP convention.
    answers.write_text(f'"p2.conv.flops" = "{conv}"\n"p2.linear.flops" = "{linear}"\n'
                       f'"p2.linear.macs" = "{linear}"\n'
                       '"p1.b.grad" = "exp(x_k)/sum(exp(x_i), i, 1, n)"\n')
    result = run("grade", answers, "--json")
    assert result.exit_code == 1  # at least one total is wrong
    claims = {c["id"]: c for c in json.loads(result.stdout)[0]["claims"]}
    assert claims["p2.conv.flops"]["status"] == "wrong"
    assert claims["p2.conv.flops"]["expected"] == "1311133056"
    assert "digit dropped" in claims["p2.conv.flops"]["diagnosis"]
    assert claims["p2.linear.flops"]["status"] == "correct"
    assert claims["p2.linear.macs"]["status"] == "wrong"
    assert "factor of 2" in claims["p2.linear.macs"]["diagnosis"]
    assert claims["p1.b.grad"]["status"] == "correct"
