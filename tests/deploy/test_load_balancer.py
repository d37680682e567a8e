"""The Compose load balancer (deploy/compose/nginx.conf) run by a real nginx in front of
replicas on loopback addresses, with a DNS responder in place of Docker's: replicas added
or removed are found without restarting the proxy, and a removed one costs no request."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.deploy.dns import Names, serving
from tests.deploy.tools import ROOT, tool
from tests.support import poll

CONF = ROOT / "deploy" / "compose" / "nginx.conf"
PROXY = "127.0.0.31"  # the proxy listens here, not on every address, to leave 8001 free
DOCKER_DNS = "127.0.0.11"
REPLICAS = {"a": "127.0.0.21", "b": "127.0.0.22"}


class Replica(ThreadingHTTPServer):
    """An intake replica that answers every GET with its own name."""

    def __init__(self, name: str, address: str) -> None:
        class Answer(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(name.encode())

            def log_message(self, *args: object) -> None:
                pass

        super().__init__((address, 8001), Answer)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop answering and close the port, as a replica removed by --scale does."""
        self.shutdown()
        self.server_close()


@pytest.fixture
def names() -> Iterator[Names]:
    """The DNS table, served where nginx.conf expects Docker's DNS."""
    table = Names()
    with serving(table, DOCKER_DNS):
        yield table


@pytest.fixture
def proxy(names: Names, tmp_path: Path) -> Iterator[str]:
    """nginx running the compose file's configuration; yields intake's URL."""
    conf = CONF.read_text().replace("listen 800", f"listen {PROXY}:800")
    (tmp_path / "conveyor.conf").write_text(conf)
    main = f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{ include {tmp_path}/conveyor.conf; }}\n"
    (tmp_path / "nginx.conf").write_text(main)
    args = ["-p", str(tmp_path), "-e", "stderr", "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run([tool("nginx"), "-t", *args], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([tool("nginx"), *args, "-g", "daemon off;"])
    try:
        yield f"http://{PROXY}:8001/"
    finally:
        process.terminate()
        process.wait(timeout=30)


def answers(url: str, count: int) -> list[str]:
    """Who answered each of count requests (the status code when it was not a 200)."""
    with httpx.Client(timeout=10) as client:
        replies = [client.get(url) for _ in range(count)]
    return [r.text if r.status_code == 200 else str(r.status_code) for r in replies]


def test_the_proxy_finds_replicas_added_and_removed_without_losing_a_request(
    names: Names, proxy: str
) -> None:
    a = Replica("a", REPLICAS["a"])
    names.table["intake"] = [REPLICAS["a"]]
    poll(lambda: set(answers(proxy, 1)) == {"a"} or None, deadline=30, what="replica a")
    b = Replica("b", REPLICAS["b"])
    names.table["intake"] = [REPLICAS["a"], REPLICAS["b"]]
    poll(lambda: set(answers(proxy, 4)) == {"a", "b"} or None, deadline=30, what="a and b")
    a.stop()  # DNS still names a for up to 5 s: nginx must skip it on its own
    assert set(answers(proxy, 20)) == {"b"}, "a stopped replica's requests go to the next one"
    names.table["intake"] = [REPLICAS["b"]]
    assert set(answers(proxy, 20)) == {"b"}
    b.stop()
