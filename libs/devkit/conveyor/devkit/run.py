"""Run the whole conveyor on one machine, no servers needed: SQLite files, the embedded
transport, the three services as processes, a demo rep inbox and the two-level playbook's
team (hunters, a team lead and farmers; docs/playbooks.md).

    make run            # or: python -m conveyor.devkit.run [--data-dir var] [--demo-lead]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from conveyor.devkit import playbooks_model
from conveyor.devkit.playbooks_http import Endpoints
from conveyor.devkit.playbooks_load import load
from conveyor.devkit.processes import ServiceProcess, inbox, service

NAMES = ("intake", "router", "followup", "inbox")
DEMO_PLAYBOOK = "two-level"
DEMO_LEAD = {
    "contact": {"name": "Grace Hopper", "email": "grace@example.com", "company": "Cobol Systems"},
    "interest": {"product_lines": ["compilers"]},
    "channel": "web_form",
}
DEMO_SOURCE = {"source_id": "demo-website", "name": "Demo website", "channel": "web_form"}
KEY_FILE = "demo-source.key"
ADMIN_TOKEN_VARIABLE = "CONVEYOR_INTAKE_ADMIN_TOKEN"
FOLLOWUP_TOKEN_VARIABLE = "CONVEYOR_FOLLOWUP_ADMIN_TOKEN"
FOLLOWUP_TOKEN_FILE = "followup-admin.token"
INTAKE_TOKEN_FILE = "intake-admin.token"


LOCAL_WEBHOOKS = {
    f"CONVEYOR_{service}_WEBHOOK_{setting}": value
    for service in ("ROUTER", "FOLLOWUP")
    for setting, value in (("REQUIRE_HTTPS", "false"), ("ALLOW_LOOPBACK", "true"))
}
"""Let the router and followup call the demo inbox on this machine over plain http
(development only)."""


def settings_env(data_dir: Path) -> dict[str, str]:
    """Point every service at its SQLite file and the embedded bus, and give intake a fresh
    admin token, unless the environment already names them (``..._BUS_URL=kafka://...``)."""
    bus = f"sqlite+aiosqlite:///{data_dir / 'bus.db'}"
    env: dict[str, str] = {}
    for name in ("intake", "router", "followup"):
        env[f"CONVEYOR_{name.upper()}_DATABASE_URL"] = f"sqlite+aiosqlite:///{data_dir}/{name}.db"
        env[f"CONVEYOR_{name.upper()}_BUS_URL"] = bus
    env[ADMIN_TOKEN_VARIABLE] = secrets.token_urlsafe(24)
    env[FOLLOWUP_TOKEN_VARIABLE] = secrets.token_urlsafe(24)
    env |= LOCAL_WEBHOOKS
    return {key: value for key, value in env.items() if key not in os.environ}


def register_demo_source(intake_url: str, admin_token: str, data_dir: Path) -> str:
    """Register the demo website as a source (or give it a new key if it exists), write its
    API key to ``<data dir>/demo-source.key`` and return it."""
    admin = {"Authorization": f"Bearer {admin_token}"}
    response = httpx.post(f"{intake_url}/v1/sources", json=DEMO_SOURCE, headers=admin, timeout=10)
    if response.status_code == 409:
        url = f"{intake_url}/v1/sources/{DEMO_SOURCE['source_id']}/key"
        response = httpx.post(url, headers=admin, timeout=10)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"registering the demo source: {response.status_code} {response.text}")
    key = str(response.json()["api_key"])
    (data_dir / KEY_FILE).write_text(key + "\n")
    return key


def register_demo_team(endpoints: Endpoints, inbox_url: str, data_dir: Path) -> None:
    """Load the two-level playbook with every rep's webhook going to the inbox (its
    sources' keys saved in ``<data dir>/keys``), and give the inbox each rep's signing
    secret (a fresh one for a rep registered before) and API key."""
    book = playbooks_model.read(DEMO_PLAYBOOK)
    report = load(book, endpoints, webhook_base=f"{inbox_url}/hooks", keys_dir=data_dir / "keys")
    router = endpoints.router
    for rep in book.reps:
        secret = report.webhook_secrets.get(rep.rep_id)
        if secret is None:
            url = f"{router}/v1/reps/{rep.rep_id}/webhook-secret"
            secret = httpx.post(url, timeout=10).raise_for_status().json()["webhook_secret"]
        key = httpx.post(f"{router}/v1/reps/{rep.rep_id}/keys", timeout=10).json()["key"]
        httpx.put(
            f"{inbox_url}/reps/{rep.rep_id}", json={"secret": secret, "key": key}, timeout=10
        ).raise_for_status()


def ports_from(base: int) -> dict[str, int]:
    """Consecutive ports for intake, router, followup and the inbox."""
    return {name: base + n for n, name in enumerate(NAMES)}


def start_all(data_dir: Path, ports: dict[str, int], env: dict[str, str]) -> list[ServiceProcess]:
    """Start inbox, intake, router and followup, and wait until each is ready."""
    logs = data_dir / "logs"
    procs = [inbox(port=ports["inbox"], log_dir=logs)]
    procs += [service(n, port=ports[n], env=env, log_dir=logs) for n in NAMES[:3]]
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.wait_ready("/received" if proc.name == "inbox" else "/readyz")
    except BaseException:
        for proc in procs:
            proc.stop()
        raise
    return procs


def main(argv: Sequence[str] | None = None) -> None:
    """Start everything, print where to look, and stop everything on Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--demo-lead", action="store_true", help="post one lead at start")
    parser.add_argument(
        "--base-port",
        type=int,
        default=8001,
        help="intake's port; router, followup and the inbox take the next ones",
    )
    args = parser.parse_args(argv)
    ports = ports_from(args.base_port)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    env = settings_env(args.data_dir.resolve())
    admin_token = os.environ.get(ADMIN_TOKEN_VARIABLE) or env[ADMIN_TOKEN_VARIABLE]
    followup_token = os.environ.get(FOLLOWUP_TOKEN_VARIABLE) or env[FOLLOWUP_TOKEN_VARIABLE]
    (args.data_dir / FOLLOWUP_TOKEN_FILE).write_text(followup_token + "\n")
    (args.data_dir / INTAKE_TOKEN_FILE).write_text(admin_token + "\n")
    procs = start_all(args.data_dir, ports, env)
    try:
        endpoints = Endpoints(
            intake=procs[1].url,
            router=procs[2].url,
            followup=procs[3].url,
            intake_token=admin_token,
            followup_token=followup_token,
        )
        register_demo_team(endpoints, procs[0].url, args.data_dir)
        key = register_demo_source(procs[1].url, admin_token, args.data_dir)
        if args.demo_lead:
            auth = {"Authorization": f"Bearer {key}"}
            httpx.post(f"{procs[1].url}/v1/leads", json=DEMO_LEAD, headers=auth, timeout=10)
        print(_banner(ports, args.data_dir), flush=True)
        _wait_for_signal(procs)
    finally:
        for proc in reversed(procs):
            proc.stop()


def _banner(ports: dict[str, int], data_dir: Path) -> str:
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    return (
        f"\nConveyor is running (embedded mode, data in {data_dir}/).\n"
        f"  intake    {url['intake']}/docs\n  router    {url['router']}/docs\n"
        f"  followup  {url['followup']}/docs\n"
        f"  team      the {DEMO_PLAYBOOK} playbook (docs/playbooks.md; others: "
        "python -m conveyor.devkit.playbooks list)\n"
        f"            (its back office token is in {data_dir / FOLLOWUP_TOKEN_FILE})\n"
        f"  rep inbox {url['inbox']}/  (open it, then post a lead as the demo website,\n"
        f"            whose API key is in {data_dir / KEY_FILE}:)\n"
        f"  curl -X POST {url['intake']}/v1/leads -H 'content-type: application/json' "
        f'-H "Authorization: Bearer $(cat {data_dir / KEY_FILE})" '
        '-d \'{"contact": {"name": "Ada", "email": "ada@example.com"}}\'\n'
        "Ctrl-C stops everything."
    )


def _wait_for_signal(procs: Sequence[ServiceProcess]) -> None:
    stopping = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    with contextlib.suppress(KeyboardInterrupt):
        while not stopping and all(p.process and p.process.poll() is None for p in procs):
            time.sleep(0.5)


if __name__ == "__main__":
    main()
