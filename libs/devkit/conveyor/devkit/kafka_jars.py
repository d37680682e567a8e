"""The Kafka broker's jars, fetched once from Maven Central into a per-user cache.

``ensure_kafka_jars()`` returns ``~/.cache/conveyor/kafka-<version>/libs``, filling it with Maven
on first use; a file lock keeps concurrent processes from fetching twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

KAFKA_VERSION = "3.9.1"
MAVEN_GOAL = "org.apache.maven.plugins:maven-dependency-plugin:2.8:copy-dependencies"
_MARKER = "complete.txt"

_POM = """\
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>conveyor</groupId><artifactId>kafka-fetch</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId>
      <version>1.2.25</version></dependency>
  </dependencies>
</project>
"""


def cache_dir() -> Path:
    """Return the per-user cache directory of this project (``$XDG_CACHE_HOME/conveyor``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "conveyor"


def ensure_kafka_jars(version: str = KAFKA_VERSION) -> Path:
    """Return a directory holding the broker's jars, fetching them with Maven on first use."""
    if not version.startswith("3."):
        raise ValueError(f"only Kafka 3.x is supported (its logging is reload4j), not {version}")
    home = cache_dir() / f"kafka-{version}"
    libs = home / "libs"
    home.mkdir(parents=True, exist_ok=True)
    with _file_lock(home / ".lock"):
        if not _jars_complete(home):
            _fetch_jars(version, home)
    return libs


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` so concurrent processes fetch the jars only once."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _jars_complete(home: Path) -> bool:
    """Tell whether a previous fetch finished: its marker lists jars that are all still there."""
    marker = home / _MARKER
    if not marker.is_file():
        return False
    names = marker.read_text().split()
    return bool(names) and all((home / "libs" / name).is_file() for name in names)


def _fetch_jars(version: str, home: Path) -> None:
    """Download the broker jars into ``home/libs`` with Maven, writing the marker file last."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) not found: run scripts/install.sh --test-deps")
    libs = home / "libs"
    (home / _MARKER).unlink(missing_ok=True)
    shutil.rmtree(libs, ignore_errors=True)
    (home / "pom.xml").write_text(_POM.format(version=version))
    result = _copy_dependencies(mvn, home)
    names = sorted(p.name for p in libs.glob("*.jar")) if libs.is_dir() else []
    if result.returncode != 0 or f"kafka_2.13-{version}.jar" not in names:
        raise RuntimeError(
            f"fetching Kafka {version} jars failed (exit {result.returncode}):\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    (home / _MARKER).write_text("\n".join(names) + "\n")


def _copy_dependencies(mvn: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run Maven's copy-dependencies goal on ``home/pom.xml``, writing the jars to ``home/libs``."""
    command = [mvn, "-q", "-B", "-f", str(home / "pom.xml"), MAVEN_GOAL]
    command += ["-DincludeScope=runtime", f"-DoutputDirectory={home / 'libs'}"]
    return subprocess.run(command, capture_output=True, text=True, check=False)
