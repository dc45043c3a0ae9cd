"""Problem 5's measured figures and cost table, laid out as tables for the PDF.

Three sources, each shown honestly for what it is:

* torch checks at reduced widths, run at build time and cached with ``measured`` (Net2 against
  Net1 on 32 × 32 inputs, and against Net1 on every window of a 36 × 38 input);
* the sheet's full widths, which need gigabytes and minutes, so only ``bench/net_in_net.py
  --json PATH`` runs them; the build shows that file's figures if it exists (default
  ``output/.cache/net_in_net_full.json``, or the path in ``$DERIVE_P5_FULL_RESULTS``) and says
  it was not run otherwise. Both the writer (:func:`full_width_record`) and the reader
  (:func:`read_full_width`) of that file live here, so its format is defined once;
* exact MAC counts from the counting engine (no numpy, no torch), so the cost table is always
  there.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from derive import InputError, Part, Unavailable, measured, require, single_threaded, torch_version

#: Environment variable naming the full-width results file written by bench/net_in_net.py.
FULL_RESULTS_ENV = "DERIVE_P5_FULL_RESULTS"
#: Where the build looks for that file when the variable is not set (relative to the cwd).
DEFAULT_FULL_RESULTS = Path("output") / ".cache" / "net_in_net_full.json"
#: Format tag of the full-width file; bump when its fields change.
FULL_FORMAT = "derive-p5-full/1"
DTYPES = ("float32", "float64")
#: A check agrees when max |Net2 − Net1| ≤ tolerance × max |Net1 output|. At the sheet's widths
#: (sums of up to 82 944 products) rounding reached about 1e-6 of the logits' scale in float32 and
#: 1e-15 in float64, so these leave a margin near 100 and 1000; a wrong reshape or a shifted
#: window gives a relative difference of order 1.
RELATIVE_TOLERANCE = {"float32": 1e-4, "float64": 1e-12}
#: What the build-time torch check runs: reduced widths, the sheet's 36 × 38 input.
BATCH, SIZE, SEED = 2, (36, 38), 0
MEASUREMENT_VERSION = "p5-small-checks/1"


def check_record(report: Any) -> dict[str, Any]:
    """The JSON-able figures of a SameOutputReport or SlidingReport (derive.documents.hw7.net_in_net_torch)."""
    record = {
        "max_abs_diff": float(report.max_abs_diff),
        "max_abs_output": float(report.max_abs_output),
        "shapes_match": bool(report.shapes_match),
        "net2_shape": list(report.net2_shape),
        "expected_shape": list(report.expected_shape),
    }
    if hasattr(report, "windows"):
        record["windows"] = int(report.windows)
    return record


def full_width_record(checks: Mapping[str, tuple[Any, Any]], *, batch: int, size: tuple[int, int],
                      torch: str) -> dict[str, Any]:
    """The file bench/net_in_net.py writes with --json: per dtype, the reports of (a) and (b)."""
    return {
        "format": FULL_FORMAT,
        "widths": "sheet",
        "torch": torch,
        "batch": batch,
        "size": list(size),
        "dtypes": {name: {"a": check_record(same), "b": check_record(sliding)}
                   for name, (same, sliding) in checks.items()},
    }


def full_results_path() -> Path:
    """The full-width results file this build would show: $DERIVE_P5_FULL_RESULTS or the default."""
    return Path(os.environ.get(FULL_RESULTS_ENV) or DEFAULT_FULL_RESULTS)


def read_full_width(path: Path) -> dict[str, Any] | None:
    """The full-width figures in ``path``, None when there is no such file.

    The file is input like any other, so it is validated field by field; a damaged or foreign
    file is an InputError naming the file, the field and how to fix it.
    """
    if not path.is_file():
        return None
    fix = f"rerun python bench/net_in_net.py --json {path}, or delete the file"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}); {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc.__class__.__name__}); {fix}") from None
    problem = _format_problem(data)
    if problem:
        raise InputError(f"{path}: {problem}; {fix}")
    return data


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _format_problem(data: object) -> str:
    """What is wrong with a decoded full-width file ('' when nothing is)."""
    if not isinstance(data, dict) or data.get("format") != FULL_FORMAT:
        return f'not a results file of bench/net_in_net.py (no "format": "{FULL_FORMAT}")'
    if not isinstance(data.get("torch"), str):
        return '"torch" must be the torch version as a string'
    if not _is_count(data.get("batch")):
        return '"batch" must be a positive integer'
    size = data.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(_is_count(n) and n >= 32 for n in size)):
        return '"size" must be [height, width], both at least 32'
    dtypes = data.get("dtypes")
    if not isinstance(dtypes, dict) or not dtypes:
        return '"dtypes" must map float32 and/or float64 to their checks'
    for name, checks in dtypes.items():
        if name not in DTYPES:
            return f'"dtypes" has {name!r}; only {" and ".join(DTYPES)} are known'
        for check in ("a", "b"):
            record = checks.get(check) if isinstance(checks, dict) else None
            where = f'"dtypes"."{name}"."{check}"'
            if not isinstance(record, dict):
                return f"{where} is missing"
            for field in ("max_abs_diff", "max_abs_output"):
                value = record.get(field)
                if not _is_number(value) or value < 0:
                    return f"{where}.{field} must be a number at least 0"
            if not isinstance(record.get("shapes_match"), bool):
                return f"{where}.shapes_match must be true or false"
        if not _is_count(checks["b"].get("windows")):
            return f'"dtypes"."{name}"."b".windows must be a positive integer'
    return ""


def _measure_small_widths() -> dict[str, Any]:
    """Both checks at reduced widths in float32 and float64 (about a second on one core)."""
    try:
        import torch

        from derive.documents.hw7.net_in_net_torch import verify_net_in_net
        from derive.nn.net_in_net import SMALL_WIDTHS
    except ImportError as exc:
        raise Unavailable(f"the torch checks cannot run here ({exc})") from None
    results = {}
    for name in DTYPES:
        report = verify_net_in_net(SMALL_WIDTHS, dtype=getattr(torch, name), batch=BATCH,
                                   size=SIZE, seed=SEED)
        results[name] = {"a": check_record(report.same), "b": check_record(report.sliding)}
    return {"widths": _describe_small_widths(SMALL_WIDTHS), "dtypes": results}


def _describe_small_widths(widths: Any) -> str:
    channels = ", ".join(str(c) for c in widths.channels)
    hidden = ", ".join(str(c) for c in widths.hidden)
    return f"channels {channels}; hidden {hidden}"


def small_width_checks() -> dict[str, Any]:
    """The reduced-width torch figures, measured once per torch version and kept in the cache."""
    version = torch_version()  # Unavailable when torch is not installed
    key = f"{MEASUREMENT_VERSION}/torch-{version}/batch-{BATCH}/size-{SIZE[0]}x{SIZE[1]}/seed-{SEED}"
    return measured(key, single_threaded(_measure_small_widths))


def _ratio_text(diff: float, scale: float) -> str:
    if scale > 0:
        return f"{diff / scale:.1e}"
    return "0" if diff == 0 else "inf"


def _power_of_ten(value: float, digits: int = 1) -> str:
    """3e-07 as prose maths, $3.0 · 10^{-7}$, the way the tables and the rest of the text write it."""
    if value == 0 or not math.isfinite(value):
        return "$0$" if value == 0 else "$\\infty$"
    mantissa, power = f"{value:.{digits}e}".split("e")
    head = "" if mantissa == "1" else f"{mantissa} · "  # a tolerance 10^{-4}; a measured 1.0 · 10^{-6}
    return f"${head}10^{{{int(power)}}}$"


def agrees(record: Mapping[str, Any], dtype: str) -> bool:
    """Shapes match and the largest difference is within the dtype's relative tolerance."""
    diff, scale = record["max_abs_diff"], record["max_abs_output"]
    return bool(record["shapes_match"]) and math.isfinite(diff) and diff <= RELATIVE_TOLERANCE[dtype] * scale


def _rows(label: str, dtypes: Mapping[str, Any], check: str) -> list[tuple[str, ...]]:
    rows = []
    for name in DTYPES:
        if name not in dtypes:
            continue
        record = dtypes[name][check]
        require(agrees(record, name), f"problem 5: check ({check}) at {label} widths in {name} disagrees: "
                                      f"max |Net2 - Net1| = {record['max_abs_diff']:.3e} against "
                                      f"max |Net1| = {record['max_abs_output']:.3e}")
        rows.append((label, name, f"{record['max_abs_diff']:.3e}", f"{record['max_abs_output']:.3e}",
                     _ratio_text(record["max_abs_diff"], record["max_abs_output"]),
                     "yes" if agrees(record, name) else "NO"))
    return rows


HEADER = ("widths", "dtype", "max |Net2 - Net1|", "max |Net1|", "relative", "agrees")


def _show_check(part: Part, check: str, what: str) -> None:
    """One sentence with one check's figures: reduced widths (this build) and, if run, the sheet's.

    Without torch the reduced-width figures are missing and the sentence says why; the build goes on.
    """
    found: list[str] = []
    try:
        small = small_width_checks()
    except Unavailable as exc:
        found.append(f"not run in this build at reduced widths, because {exc}")
    else:
        found.append(_sentence(f"at reduced widths ({small['widths']})", small["dtypes"], check))
    full = read_full_width(full_results_path())
    if full is not None:
        found.append(_sentence("at the sheet's widths (run separately)", full["dtypes"], check))
    tolerance = ", ".join(f"{_power_of_ten(RELATIVE_TOLERANCE[n], 0)} in {n}" for n in DTYPES)
    part.say(f"Checked numerically with seeded weights on {BATCH} standard normal inputs, {what}: "
             + "; ".join(found) + f" (required: at most {tolerance}).")


def _relative(record: Mapping[str, Any]) -> float:
    diff, scale = record["max_abs_diff"], record["max_abs_output"]
    return diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)


def _sentence(label: str, dtypes: Mapping[str, Any], check: str) -> str:
    _rows(label, dtypes, check)  # fails the build when a dtype disagrees
    shown = [f"{_power_of_ten(_relative(dtypes[n][check]))} in {n}"
             for n in DTYPES if n in dtypes]
    return f"{label} the largest difference relative to the largest output is " + " and ".join(shown)


def show_same_output(part: Part) -> None:
    """Check (a) in torch: Net2 built from Net1 gives Net1's logits on 32 × 32 inputs."""
    _show_check(part, "a", "Net2 against Net1 on 32 × 32 inputs")


def show_sliding_windows(part: Part) -> None:
    """Check (b) in torch: Net2 on 36 × 38 against an explicit loop of Net1 over the 35 windows."""
    _show_check(part, "b", f"Net2 on {SIZE[0]} × {SIZE[1]} inputs against Net1 on each 32 × 32 "
                "window, taken one by one")


def _counted(name: str, shape: tuple[int, int, int] | None = None):
    """The counting engine's per-layer counts of a built-in network, at another input size."""
    from derive.counting import build_network, builtin_spec_text, count_network

    data = tomllib.loads(builtin_spec_text(name))
    if shape is not None:
        data["input"] = list(shape)
    return count_network(build_network(data, name))


def cost_rows(height: int, width: int, windows: int) -> list[tuple[Any, ...]]:
    """Per-layer MACs: Net2 once on an h × w input against Net1 on each of its windows.

    ``windows`` is the count the derivation proved; the counting engine's Net2 output grid must
    have exactly that many positions, or the table would compare different things.
    """
    net1 = _counted("net1")
    net2 = _counted("net2", (3, height, width))
    grid = net2.network.output_shape
    if grid[1] * grid[2] != windows:
        raise RuntimeError(f"Net2's output grid {grid[1]} x {grid[2]} does not have {windows} positions")
    per_window = {row.name: row.macs for row in net1.layers if row.kind != "other"}
    rows: list[tuple[Any, ...]] = []
    groups = {"features": [0, 0], "classifier": [0, 0]}
    for layer, row in zip(net2.network.layers, net2.layers):
        if row.kind == "other":
            continue
        op = layer.op
        kernel = f"{op.kernel_size[0]} × {op.kernel_size[1]}"
        shared, separate = row.macs, windows * per_window[row.name]
        group = groups["classifier" if row.name.startswith("fc") else "features"]
        group[0] += shared
        group[1] += separate
        rows.append((f"{row.name} ({op.in_channels} → {op.out_channels}, {kernel})", shared, separate,
                     f"{separate / shared:.2f}"))
    for name, (shared, separate) in groups.items():
        rows.append((f"{name}, all layers", shared, separate, f"{separate / shared:.2f}"))
    shared = sum(g[0] for g in groups.values())
    separate = sum(g[1] for g in groups.values())
    rows.append(("total", shared, separate, f"{separate / shared:.2f}"))
    return rows


def show_costs(part: Part, height: int, width: int, windows: int) -> None:
    """What sharing the overlapping windows' work saves: the features against the classifier."""
    rows = [row for row in cost_rows(height, width, windows) if row[0].endswith("all layers") or row[0] == "total"]
    part.table(
        f"Multiply-adds: Net2 once on a 3 × {height} × {width} input against Net1 on each "
        f"of its {windows} windows",
        ("layers", "Net2", f"Net1 × {windows}", "ratio"), rows, "lrrr",
        "Why Net2 is the better way to slide Net1: a feature pixel shared by several windows is "
        "computed once, not once per window; the classifier's products are the same either way. "
        "Counted by the counting engine (one per product; biases and ReLUs not counted).",
    )
