#!/usr/bin/env bash
# Set up this checkout on a Debian 12 machine: .venv with the project and its dev tools.
# With --test-deps also the PostgreSQL server, Java 17, Maven and the Kafka broker jars
# that the integration tests start, and the deployment checkers (tests/deploy): Debian's
# docker-compose (validates docker-compose.yml offline), nginx (runs the compose load
# balancer's configuration) and kustomize, built from the Go module proxy into .venv/bin;
# and Debian's Chromium with its chromedriver, which the console's browser tests drive.
# Safe to re-run: it only does what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() { echo "usage: $0 [--test-deps]" >&2; }

test_deps=0
for arg in "$@"; do
  case "$arg" in
    --test-deps) test_deps=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
KUSTOMIZE_VERSION=v5.5.0
VENV=.venv
STAMP=$VENV/.conveyor-installed
apt_updated=0

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  echo "install.sh: apt-get install $*" >&2
  if [[ $apt_updated -eq 0 ]]; then
    as_root apt-get update
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

ensure_venv() {
  if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
    apt_install python3-venv
  fi
  if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  if [[ ! -f $STAMP || pyproject.toml -nt $STAMP ]]; then
    "$VENV/bin/python" -m pip install --upgrade pip
    "$VENV/bin/python" -m pip install -e '.[dev]'
    touch "$STAMP"
  fi
}

have_postgres_server() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null
}

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

ensure_test_deps() {
  have_postgres_server || apt_install postgresql
  have_postgres_server || { echo "install.sh: initdb still missing" >&2; exit 1; }
  if ! command -v java >/dev/null || [[ $(java_major) -lt 17 ]] || ! command -v mvn >/dev/null; then
    apt_install openjdk-17-jdk-headless maven
  fi
  "$VENV/bin/python" -m conveyor.devkit.kafka fetch
  command -v docker-compose >/dev/null || apt_install docker-compose
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || apt_install nginx-light
  { command -v chromium && command -v chromedriver; } >/dev/null || apt_install chromium chromium-driver
  ensure_kustomize
}

go_binary() {
  command -v go || { [[ -x /usr/local/go/bin/go ]] && echo /usr/local/go/bin/go; } || true
}

ensure_kustomize() {
  local go target=$VENV/bin/kustomize
  go=$(go_binary)
  [[ -n $go ]] || { echo "install.sh: Go is needed to build kustomize" >&2; exit 1; }
  if ! "$go" version -m "$target" 2>/dev/null | grep -q "kustomize/v5[[:space:]]*$KUSTOMIZE_VERSION"; then
    echo "install.sh: go install kustomize $KUSTOMIZE_VERSION" >&2
    GOBIN="$PWD/$VENV/bin" GOFLAGS=-buildvcs=false \
      "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  fi
}

ensure_venv
if [[ $test_deps -eq 1 ]]; then
  ensure_test_deps
fi
