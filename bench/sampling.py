"""Where a service's CPU time goes under load: py-spy samples the running process (no change
to the service, no restart) and the stacks are summed per library and per function."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from conveyor.devkit.processes import ServiceProcess

RATE = 100  # samples per second
ATTACH_SECONDS = 10  # how long py-spy may take to attach before the body starts anyway
OURS = "/conveyor/"
NOT_OURS = "(no Conveyor frame: event loop, library tasks)"
LOOP = "/asyncio/runners.py"  # frames above it start the process, not the work

# The innermost frame's file decides whose time a sample is (first match wins).
AREAS = (
    (OURS, "Conveyor's own code"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("<sqlalchemy", "SQLAlchemy"),
    ("/asyncpg/", "asyncpg"),
    ("/greenlet/", "SQLAlchemy's greenlet bridge"),
    ("/fastapi/", "FastAPI"),
    ("/starlette/", "Starlette"),
    ("/pydantic", "pydantic"),
    ("/uvicorn/", "uvicorn"),
    ("/httptools/", "uvicorn"),
    ("/h11/", "h11 (webhook sends)"),
    ("/aiokafka/", "aiokafka"),
    ("/kafka/", "aiokafka"),
    ("/httpx/", "httpx"),
    ("/httpcore/", "httpx"),
    ("/email_validator/", "email-validator"),
    ("/prometheus_client/", "prometheus-client"),
    ("/opentelemetry/", "OpenTelemetry"),
    ("/asyncio/", "asyncio event loop"),
    ("/json/", "json"),
    ("/logging/", "logging"),
)


@dataclass
class Profile:
    """Samples of one process: by area (innermost frame's library) and by function."""

    process: str
    seconds: float
    samples: int = 0
    areas: Counter[str] = field(default_factory=Counter)
    functions: Counter[str] = field(default_factory=Counter)
    callers: Counter[str] = field(default_factory=Counter)
    error: str = ""

    def markdown(self, top: int = 12) -> str:
        """The profile as a Markdown section."""
        over = f"{self.seconds:.0f}" if self.seconds >= 10 else f"{self.seconds:.1f}"
        head = f"### {self.process}: {self.samples:,} samples over {over} s"
        if self.error or not self.samples:
            return f"{head}\n\nNo profile: {self.error or 'no samples (the process was idle)'}\n"
        lines = [head, "", "| where (innermost frame) | share of CPU samples |", "| --- | ---: |"]
        lines += [f"| {a} | {n / self.samples:.1%} |" for a, n in self.areas.most_common()]
        lines += ["", "| function (self time) | share |", "| --- | ---: |"]
        lines += [f"| `{f}` | {n / self.samples:.1%} |" for f, n in self.functions.most_common(top)]
        lines += ["", "| Conveyor function the time is spent for (deepest of ours) | share |"]
        lines += ["| --- | ---: |"]
        lines += [f"| `{f}` | {n / self.samples:.1%} |" for f, n in self.callers.most_common(top)]
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, object]:
        """The profile for the JSON report (shares of samples)."""
        total = max(self.samples, 1)
        return {
            "process": self.process,
            "seconds": self.seconds,
            "samples": self.samples,
            "error": self.error,
            "areas": {a: n / total for a, n in self.areas.most_common()},
            "functions": {f: n / total for f, n in self.functions.most_common(30)},
            "callers": {f: n / total for f, n in self.callers.most_common(30)},
        }


def summarise(process: str, seconds: float, collapsed: str) -> Profile:
    """Sum py-spy's collapsed stacks (``frame;frame;... count`` per line)."""
    profile = Profile(process, seconds)
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        loop = max((n for n, f in enumerate(frames) if LOOP in f), default=-1)
        ours = [f for f in frames[loop + 1 :] if OURS in f]
        profile.samples += int(count)
        profile.areas[area(frames[-1])] += int(count)
        profile.functions[_short(frames[-1])] += int(count)
        profile.callers[_short(ours[-1]) if ours else NOT_OURS] += int(count)
    return profile


def area(frame: str) -> str:
    """Whose code a frame (``function (path/file.py:line)``) belongs to."""
    for marker, name in AREAS:
        if marker in frame:
            return name
    return "other (interpreter, C extensions, standard library)"


def _short(frame: str) -> str:
    """``function (…/package/module.py)`` without the line number and the long prefix."""
    function, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    return f"{function} ({'/'.join(parts[-2:])})" if path else function


@contextmanager
def sampled(
    proc: ServiceProcess, seconds: float, directory: Path, *, during: str
) -> Iterator[list[Profile]]:
    """Sample a running service with py-spy for up to seconds while the body runs (during:
    what it is doing); the profile is appended to the yielded list when the body is done."""
    assert proc.process is not None, f"{proc.name} is not running"
    with sampled_pid(proc.process.pid, proc.name, seconds, directory, during=during) as found:
        yield found


@contextmanager
def sampled_pid(
    pid: int, name: str, seconds: float, directory: Path, *, during: str
) -> Iterator[list[Profile]]:
    """Sample the process ``pid`` (called name in the report) with py-spy for up to seconds,
    or until the body is done if that comes first (py-spy is then interrupted and writes
    what it has; it also stops when the process ends). The profile is appended to the
    yielded list when the body is done, with the seconds it covered."""
    out = directory / f"{name.replace(' ', '-')}-{time.time_ns()}.pyspy.txt"
    directory.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(int(seconds), 1)),
        "--rate",
        str(RATE),
        "--format",
        "raw",
        "--full-filenames",
        "--nonblocking",
        "--output",
        str(out),
    ]
    spy = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert spy.stdout is not None
    # py-spy says (on stdout) that it is sampling once it has attached: the body starts after
    # that (or after ATTACH_SECONDS, or once py-spy has given up), so a short body is sampled
    attached, _, _ = select.select([spy.stdout], [], [], ATTACH_SECONDS)
    if attached:
        spy.stdout.readline()
    started = time.monotonic()
    found: list[Profile] = []
    try:
        yield found
    finally:
        if spy.poll() is None:
            spy.send_signal(signal.SIGINT)  # py-spy writes the samples it has, then exits
        _, errors = spy.communicate(timeout=seconds + 60)
        covered = min(seconds, time.monotonic() - started)
        text = out.read_text() if out.exists() else ""
        profile = summarise(f"{name}, {during}", covered, text)
        if spy.returncode != 0 and not profile.samples:
            profile.error = f"py-spy exited {spy.returncode}: {errors.strip()[-300:]}"
        found.append(profile)
