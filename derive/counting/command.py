"""``derive count``: count a network's parameters and operations from the command line.

Thin on purpose: parse options, call the library, print. It imports neither SymPy nor torch, so
the command starts fast (see ``bench/count_speed.py``). Input errors become ``error: <one line>``
on stderr and exit code 2 — never a traceback.
"""

from __future__ import annotations

import click

from derive.counting.convention import Convention
from derive.counting.counts import count_network
from derive.counting.loading import builtin_specs, load_network
from derive.counting.report import to_dict, to_text
from derive.errors import DeriveError, clean

EXIT_CODES = """\b
Exit codes:
  0  success
  2  usage or input error (the spec, a name, an option)"""


@click.command("count", epilog=EXIT_CODES)
@click.argument("spec", required=False, metavar="[SPEC|NAME]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--bias/--no-bias", default=False, help="Count one bias addition per output."
)
@click.option("--strict", is_flag=True, help="n-1 additions for a sum of n products.")
@click.option(
    "--exclude-padding", is_flag=True, help="Skip products with padding zeros."
)
@click.option(
    "--list", "list_", is_flag=True, help="List the built-in networks and exit."
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (check a spec).")
@click.pass_context
def count(
    ctx: click.Context,
    spec: str | None,
    as_json: bool,
    bias: bool,
    strict: bool,
    exclude_padding: bool,
    list_: bool,
    quiet: bool = False,
) -> None:
    """Count the parameters and operations of a network.

    SPEC|NAME is a TOML network spec or a built-in name (see --list). The default convention is
    the homework's: one operation per multiply-add, biases ignored, padding products counted.
    Only conv and linear layers have counted operations.
    """
    try:
        if list_:
            specs = builtin_specs()
            width = max(len(name) for name in specs)
            for name, description in specs.items():
                click.echo(f"{name:<{width}}  {description}")
            return
        if spec is None:
            raise click.UsageError(
                "give a spec file or a built-in name (see --list)", ctx
            )
        result = count_network(
            load_network(spec), Convention(bias, strict, exclude_padding)
        )
    except DeriveError as exc:
        click.echo(f"error: {clean(exc.message, 600)}", err=True)
        ctx.exit(exc.exit_code)
    if quiet:
        return
    if as_json:
        import json  # only when asked for

        click.echo(json.dumps(to_dict(result), indent=2))
    else:
        click.echo(to_text(result))


if __name__ == "__main__":
    count()
