"""The README's run command and its example, run as the README shows them."""

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import free_port, poll

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_curl_example() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    [example] = [b for b in blocks if b.startswith("curl -X POST")]
    return example


def consecutive_free_ports(count: int) -> int:
    while True:
        base = free_port()
        if base + count < 65535 and all(_free(base + n) for n in range(count)):
            return base


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def read_until(process: subprocess.Popen[bytes], marker: str) -> str:
    assert process.stdout is not None
    text = ""
    while marker not in text:
        line = process.stdout.readline().decode()
        if not line:
            raise AssertionError(f"run exited before '{marker}':\n{text}")
        text += line
    return text


def listed(url: str, *, token: str | None = None) -> list[dict[str, Any]] | None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    got: list[dict[str, Any]] = httpx.get(url, headers=headers, timeout=10).json()
    return got or None


def test_make_run_serves_the_readme_example_from_intake_to_a_farmer_task(
    tmp_path: Path,
) -> None:
    assert "make run" in README.read_text()
    base = consecutive_free_ports(4)
    inbox, followup = f"http://127.0.0.1:{base + 3}", f"http://127.0.0.1:{base + 2}"
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conveyor.devkit.run",
            "--data-dir",
            str(tmp_path / "var"),
            "--base-port",
            str(base),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        banner = read_until(run, "Ctrl-C stops everything")
        assert f"http://127.0.0.1:{base}/docs" in banner
        curl = readme_curl_example().replace("127.0.0.1:8001", f"127.0.0.1:{base}")
        posted = subprocess.run(
            ["bash", "-c", curl], cwd=tmp_path, capture_output=True, text=True, check=True
        )
        lead_id = re.search(r'"lead_id":"([^"]+)"', posted.stdout)
        assert lead_id, posted.stdout
        received = poll(lambda: listed(f"{inbox}/received"), what="the lead in the inbox")
        offer = received[0]
        assert offer["payload"]["lead_id"] == lead_id.group(1)
        assert offer["verified"] is True  # the Standard Webhooks signature checked out
        form = {
            "url": offer["payload"]["links"]["assignment"],
            "rep_id": offer["rep_id"],
            "action": "won",
            "amount": "900.00",
        }
        assert httpx.post(f"{inbox}/answer", data=form, timeout=10).status_code == 303
        token = (tmp_path / "var" / "followup-admin.token").read_text().strip()
        tasks = poll(lambda: listed(f"{followup}/v1/tasks", token=token), what="the farmer's task")
        assert tasks[0]["farmer_id"] == "farmer-fay"
    finally:
        run.send_signal(signal.SIGINT)
        assert run.wait(60) == 0
