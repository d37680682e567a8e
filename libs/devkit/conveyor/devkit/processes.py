"""Conveyor's services (and the demo inbox) as real processes, for the demo, tests and
benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx


class ServiceProcess:
    """One ``python -m <module> ...`` process that serves HTTP on a port."""

    def __init__(
        self,
        *,
        name: str,
        module: str,
        args: Sequence[str],
        port: int,
        env: Mapping[str, str],
        log_dir: Path,
    ) -> None:
        self.name, self.module, self.args, self.port = name, module, list(args), port
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where the process serves HTTP."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Launch the process, its output going to its log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module, *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_ready(self, path: str = "/readyz", timeout: float = 90.0) -> Self:
        """Poll path until it answers 200; raise with the log tail if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL after timeout; return the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log_tail(self, lines: int = 60) -> str:
        """The end of the process's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def service(
    name: str, *, port: int, env: Mapping[str, str], log_dir: Path, replica: int | None = None
) -> ServiceProcess:
    """A Conveyor service (intake, router or followup) started with ``serve``."""
    label = name if replica is None else f"{name}-{replica}"
    return ServiceProcess(
        name=label,
        module=f"conveyor.{name}",
        args=["serve"],
        port=port,
        env={**env, f"CONVEYOR_{name.upper()}_PORT": str(port)},
        log_dir=log_dir,
    )


def inbox(*, port: int, log_dir: Path) -> ServiceProcess:
    """The demo rep inbox."""
    return ServiceProcess(
        name="inbox",
        module="conveyor.devkit.inbox",
        args=["--port", str(port)],
        port=port,
        env={},
        log_dir=log_dir,
    )
