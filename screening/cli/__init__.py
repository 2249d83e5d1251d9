"""The ``screen`` command (CONTRACT.md §5): assembles the sub-commands into one Typer app.

Imports the library; the library never imports this package. Each sub-command lives in its own
module and shares helpers through :mod:`screening.cli.common` only.
"""

from __future__ import annotations

import typer

from screening.cli import flow, pack, reports, run, scenarios

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Screen candidate projects against declarative rule packs.")
app.command("run")(run.run)
app.command("check")(pack.check)
app.command("test")(pack.test_cmd)
app.command("explain")(run.explain)
app.command("schema")(pack.schema)
app.command("compare")(reports.compare)
app.command("sweep")(reports.sweep)
app.command("scenarios")(scenarios.scenarios)
app.add_typer(flow.flow_app, name="flow", help="The approval flow: record events, show status and history.")


def main() -> None:
    """Console-script entry point."""
    app()
