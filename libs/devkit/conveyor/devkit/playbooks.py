"""Department structures as ready configurations: list them, show one, load one into
running services, and try its scenario.

    python -m conveyor.devkit.playbooks list
    python -m conveyor.devkit.playbooks show two-level
    python -m conveyor.devkit.playbooks load by-territory --replace --keys-dir var/keys
    python -m conveyor.devkit.playbooks try by-territory --keys-dir var/keys

The services' URLs default to those of ``make run``; admin tokens come from the options,
else the services' own variables (``CONVEYOR_INTAKE_ADMIN_TOKEN``...), else the
``<service>-admin.token`` files ``make run`` writes in ``--tokens-dir`` (``var``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conveyor.devkit import playbooks_model
from conveyor.devkit.playbooks_http import Endpoints, LoadError
from conveyor.devkit.playbooks_load import load
from conveyor.devkit.playbooks_scenario import read_keys, run_scenario
from conveyor.devkit.playbooks_show import describe

SERVICES = {"intake": 8001, "router": 8002, "followup": 8003}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 when it did what it was asked, 1 otherwise."""
    args = _parser().parse_args(argv)
    try:
        return int(args.command(args))
    except (LoadError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _list(args: argparse.Namespace) -> int:
    for name in playbooks_model.names():
        print(f"{name:20} {playbooks_model.read(name).title}")
    return 0


def _show(args: argparse.Namespace) -> int:
    print(describe(playbooks_model.read(args.name)))
    return 0


def _load(args: argparse.Namespace) -> int:
    book = playbooks_model.read(args.name)
    report = load(
        book,
        endpoints(args),
        webhook_base=args.webhook_base,
        replace=args.replace,
        keys_dir=args.keys_dir,
    )
    print("\n".join(report.lines))
    print(report.summary())
    return 0


def _try(args: argparse.Namespace) -> int:
    book = playbooks_model.read(args.name)
    outcomes = run_scenario(book, endpoints(args), read_keys(args.keys_dir))
    for outcome in outcomes:
        print(outcome.line())
    failed = sum(1 for o in outcomes if o.problems())
    print(f"{len(outcomes) - failed} of {len(outcomes)} leads went where {book.name} says")
    return 1 if failed else 0


def endpoints(args: argparse.Namespace) -> Endpoints:
    """The services' URLs and admin tokens from the options, variables and token files."""
    return Endpoints(
        intake=args.intake,
        router=args.router,
        followup=args.followup,
        intake_token=_token("intake", args),
        router_token=_token("router", args),
        followup_token=_token("followup", args),
    )


def _token(service: str, args: argparse.Namespace) -> str | None:
    given = getattr(args, f"{service}_token") or os.environ.get(
        f"CONVEYOR_{service.upper()}_ADMIN_TOKEN"
    )
    if given:
        return str(given)
    saved = args.tokens_dir / f"{service}-admin.token"
    return saved.read_text().strip() if saved.exists() else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conveyor.devkit.playbooks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(required=True)
    commands.add_parser("list", help="the playbooks").set_defaults(command=_list)
    show = commands.add_parser("show", help="what a playbook configures")
    show.add_argument("name")
    show.set_defaults(command=_show)
    loading = commands.add_parser("load", help="load a playbook into running services")
    _connection(loading)
    loading.add_argument("--replace", action="store_true", help="deactivate other reps")
    loading.add_argument("--webhook-base", help="reps' webhooks go to <base>/<rep id>")
    loading.set_defaults(command=_load)
    trying = commands.add_parser("try", help="post the scenario's leads, show where they go")
    _connection(trying)
    trying.set_defaults(command=_try)
    return parser


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="a playbook's name, or the path of a playbook file")
    for service, port in SERVICES.items():
        parser.add_argument(f"--{service}", default=f"http://127.0.0.1:{port}")
        parser.add_argument(f"--{service}-token", default=None)
    parser.add_argument("--tokens-dir", type=Path, default=Path("var"))
    parser.add_argument(
        "--keys-dir",
        type=Path,
        default=Path("var/keys"),
        help="where new sources' API keys are saved (load) and read (try)",
    )


if __name__ == "__main__":
    sys.exit(main())
