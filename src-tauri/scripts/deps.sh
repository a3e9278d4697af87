#!/usr/bin/env bash
# Installs what Paddock needs and skips what is already there. Sourced by
# run-app.sh and tests/run-all.sh; safe to run again and again.
set -euo pipefail

PADDOCK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Debian packages: to build the app, and (with "test") to run its tests.
paddock_apt_packages() {
  local pkgs=(pkg-config build-essential git libwebkit2gtk-4.1-dev libgtk-3-dev
              libayatana-appindicator3-dev librsvg2-dev libssl-dev libsqlite3-dev bubblewrap dbus curl)
  if [ "${1:-}" = test ]; then
    pkgs+=(xvfb webkit2gtk-driver dbus dbus-x11 gnome-keyring dunst sqlite3 x11-utils
          python3 python3-venv)
  fi
  printf '%s\n' "${pkgs[@]}"
}

paddock_install_apt() {
  local missing=()
  while read -r p; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done < <(paddock_apt_packages "${1:-}")
  command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all present"
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "paddock: missing Debian packages (${missing[*]}) and no root or sudo to install them" >&2
      exit 1
    fi
  fi
  say "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

paddock_install_tauri_driver() {
  if command -v tauri-driver >/dev/null || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
    say "tauri-driver: present"
  else
    say "Installing tauri-driver (cargo install, about 2 minutes)"
    cargo install tauri-driver --locked --version 2.1.0
  fi
}

paddock_build_ui() {
  cd "$PADDOCK_ROOT/ui"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing the UI's npm packages"
    npm ci --no-audit --no-fund
  fi
  say "Building the UI"
  npm run --silent build
  cd "$PADDOCK_ROOT"
}

# The real agents the end-to-end tests drive (native binaries inside the npm packages).
PADDOCK_AGENT_PACKAGES=("@anthropic-ai/claude-code@2.1.197" "@openai/codex@0.171.0")
paddock_install_agents() {
  local dir="$PADDOCK_ROOT/target/agents"
  if [ -x "$dir/node_modules/.bin/claude" ] && [ -x "$dir/node_modules/.bin/codex" ]; then
    say "Claude Code and Codex (for the end-to-end tests): present"
    return
  fi
  say "Installing Claude Code and Codex into target/agents (for the end-to-end tests)"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund "${PADDOCK_AGENT_PACKAGES[@]}"
}

# A Python with the OpenTelemetry project's protobuf bindings, for the OTLP
# receiver the export tests run (src-tauri/cli/tests/support/otlp_receiver.py).
PADDOCK_OTLP_PROTO_VERSION="1.45.2"
paddock_install_otlp_python() {
  local venv="$PADDOCK_ROOT/target/py"
  if [ -x "$venv/bin/python" ] &&
     "$venv/bin/python" -c "import opentelemetry.proto, importlib.metadata as m, sys; sys.exit(m.version('opentelemetry-proto') != '$PADDOCK_OTLP_PROTO_VERSION')" 2>/dev/null; then
    say "opentelemetry-proto $PADDOCK_OTLP_PROTO_VERSION (for the OTLP export tests): present"
    return
  fi
  say "Installing opentelemetry-proto $PADDOCK_OTLP_PROTO_VERSION into target/py (for the OTLP export tests)"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "opentelemetry-proto==$PADDOCK_OTLP_PROTO_VERSION"
}
