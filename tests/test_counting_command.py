"""``derive count`` through click's CliRunner, plus the fresh-process guarantees (no SymPy or
torch on the import path; ``python -m derive.counting`` works)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from derive.counting.command import count


def run(*args: str):
    return CliRunner().invoke(count, list(args))


def test_table_shows_course_figures() -> None:
    result = run("alexnet")
    assert result.exit_code == 0, result.output
    assert "61,100,840" in result.stdout
    assert "655,566,528 (91.79 %)" in result.stdout
    assert "58,621,952 (8.21 %)" in result.stdout
    assert (
        "convention: one addition per multiply, biases ignored, padding products counted"
        in result.stdout
    )
    header = next(
        line for line in result.stdout.splitlines() if line.lstrip().startswith("#")
    )
    assert header.split() == [
        "#",
        "name",
        "type",
        "output",
        "params",
        "MACs",
        "mults",
        "adds",
    ]
    assert any(
        line.split()[:4] == ["1", "conv1", "conv2d", "64x55x55"]
        for line in result.stdout.splitlines()
    )


def test_json_document_shape_and_consistency() -> None:
    result = run("alexnet", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"network", "input", "convention", "layers", "totals"}
    assert doc["network"] == "alexnet" and doc["input"] == [3, 227, 227]
    assert doc["convention"] == {
        "bias": False,
        "strict": False,
        "exclude_padding": False,
    }
    keys = {"name", "type", "out_shape", "params", "macs", "mults", "adds"}
    assert all(set(layer) == keys for layer in doc["layers"])
    totals = doc["totals"]
    for q in ("params", "macs", "mults", "adds"):
        assert totals[q] == sum(layer[q] for layer in doc["layers"])
        assert (
            sum(totals["by_kind"][k][q] for k in ("conv", "linear", "other"))
            == totals[q]
        )
    conv = totals["by_kind"]["conv"]
    assert round(conv["percent"]["macs"], 2) == 91.79
    assert conv["percent"]["macs"] == pytest.approx(100 * 655_566_528 / 714_188_480)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--bias"], {"bias": True, "strict": False, "exclude_padding": False}),
        (
            ["--bias", "--no-bias", "--strict"],
            {"bias": False, "strict": True, "exclude_padding": False},
        ),
        (
            ["--exclude-padding"],
            {"bias": False, "strict": False, "exclude_padding": True},
        ),
    ],
    ids=["bias", "no-bias-wins-last", "exclude-padding"],
)
def test_convention_flags_reach_the_count(flags, expected) -> None:
    base = json.loads(run("alexnet", "--json").stdout)["totals"]
    result = run("alexnet", "--json", *flags)
    doc = json.loads(result.stdout)
    assert doc["convention"] == expected
    assert (doc["totals"]["adds"], doc["totals"]["macs"]) != (
        base["adds"],
        base["macs"],
    )


def test_list_shows_builtins_with_descriptions() -> None:
    result = run("--list")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == ["alexnet", "net1", "net2", "smallnet", "vgg16"]
    assert all(len(line.split()) > 3 for line in result.stdout.splitlines())


def test_spec_file_argument(tmp_path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(
        'name = "tiny"\ninput = [2, 4, 4]\n[[layers]]\ntype = "conv2d"\nout_channels = 3\n'
        'kernel_size = 3\n[[layers]]\ntype = "flatten"\n[[layers]]\ntype = "linear"\n'
        "out_features = 5\nbias = false\n"
    )
    doc = json.loads(run(str(path), "--json").stdout)
    # conv: 3 x 2 x 2 outputs, 2 x 3 x 3 taps each; linear 12 -> 5
    assert [layer["macs"] for layer in doc["layers"]] == [3 * 2 * 2 * 2 * 9, 0, 12 * 5]
    assert doc["totals"]["params"] == 3 * 2 * 9 + 3 + 12 * 5


def test_bad_spec_is_one_line_exit_2(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'input = [3, 8, 8]\n[[layers]]\ntype = "linear"\nout_features = 10\n'
    )
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {path}: layer 1 (linear): linear needs a flat input but gets 3x8x8; "
        "add a flatten layer before it\n"
    )


def test_unknown_name_is_one_line_exit_2() -> None:
    result = run("vgg61")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: vgg61: ")
    assert "Traceback" not in result.output


def test_missing_argument_is_a_usage_error() -> None:
    result = run()
    assert result.exit_code == 2
    assert "give a spec file or a built-in name (see --list)" in result.stderr


def test_unknown_option_is_a_usage_error() -> None:
    result = run("alexnet", "--flops")
    assert result.exit_code == 2
    assert "No such option '--flops'" in result.stderr


def test_help_lists_the_options() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for option in (
        "--json",
        "--bias / --no-bias",
        "--strict",
        "--exclude-padding",
        "--list",
    ):
        assert option in result.stdout


def test_command_imports_neither_sympy_nor_torch() -> None:
    code = (
        "import sys\nfrom derive.counting.command import count\n"
        "import derive.counting.brute, derive.counting.torch_build\n"
        "from derive.counting import load_network, count_network\n"
        "count_network(load_network('vgg16'))\n"
        "print(sorted(m for m in ('sympy', 'torch', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", ["derive.counting", "derive.counting.command"])
def test_runs_as_a_module(module: str) -> None:
    ok = subprocess.run(
        [sys.executable, "-W", "error", "-m", module, "net1", "--json"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["network"] == "net1"
    bad = subprocess.run(
        [sys.executable, "-m", module, "no_such_net"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith(
        "error: no_such_net: no such spec file or built-in network"
    )
    assert bad.stderr.count("\n") == 1
