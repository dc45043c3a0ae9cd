"""Lay a ``NetworkCount`` out for people (an aligned table) or for programs (a JSON-ready dict).

Nothing is computed here beyond percentages of totals the counter already produced.
"""

from __future__ import annotations

from typing import Any

from derive.counting.counts import KINDS, QUANTITIES, NetworkCount
from derive.counting.layers import format_shape

_HEADERS = ("#", "name", "type", "output", "params", "MACs", "mults", "adds")
_RIGHT = {0, 4, 5, 6, 7}


def to_dict(result: NetworkCount) -> dict[str, Any]:
    """The JSON document of ``derive count --json``; percentages are of the network totals."""
    by_kind: dict[str, Any] = {}
    for kind in KINDS:
        totals = result.by_kind[kind]
        entry: dict[str, Any] = {q: totals.get(q) for q in QUANTITIES}
        entry["percent"] = {q: result.percent(kind, q) for q in QUANTITIES}
        by_kind[kind] = entry
    return {
        "network": result.network.name,
        "input": list(result.network.input_shape),
        "convention": result.convention.as_dict(),
        "layers": [
            {
                "name": row.name,
                "type": row.type,
                "out_shape": list(row.out_shape),
                "params": row.params,
                "macs": row.macs,
                "mults": row.mults,
                "adds": row.adds,
            }
            for row in result.layers
        ],
        "totals": {**{q: result.totals.get(q) for q in QUANTITIES}, "by_kind": by_kind},
    }


def to_text(result: NetworkCount) -> str:
    """A per-layer table with totals, then the conv / linear shares of MACs and parameters."""
    net = result.network
    rows = [
        (
            str(row.index),
            row.name,
            row.type,
            format_shape(row.out_shape),
            f"{row.params:,}",
            f"{row.macs:,}",
            f"{row.mults:,}",
            f"{row.adds:,}",
        )
        for row in result.layers
    ]
    t = result.totals
    total_row = (
        "",
        "total",
        "",
        "",
        f"{t.params:,}",
        f"{t.macs:,}",
        f"{t.mults:,}",
        f"{t.adds:,}",
    )
    table = [_HEADERS, *rows, total_row]
    widths = [max(len(r[i]) for r in table) for i in range(len(_HEADERS))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in _RIGHT else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [
        f"{net.name}: input {format_shape(net.input_shape)}",
        f"convention: {result.convention.describe()}",
        "",
        line(_HEADERS),
        rule,
        *(line(r) for r in rows),
        rule,
        line(total_row),
        "",
    ]
    for kind in ("conv", "linear"):
        k = result.by_kind[kind]
        out.append(
            f"{kind:<6}  MACs {k.macs:>,} ({_pct(result, kind, 'macs')})  "
            f"mults {k.mults:,}  adds {k.adds:,}  "
            f"params {k.params:,} ({_pct(result, kind, 'params')})"
        )
    other = result.by_kind["other"].params
    if other:
        out.append(
            f"other   params {other:,} ({_pct(result, 'other', 'params')}), no counted operations"
        )
    return "\n".join(out)


def _pct(result: NetworkCount, kind: str, quantity: str) -> str:
    return f"{result.percent(kind, quantity):.2f} %"
