#!/usr/bin/env bash
# Build Paddock (installing whatever is missing) and launch the desktop app.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
cd "$PADDOCK_ROOT"
paddock_install_apt
paddock_build_ui
say "Building the app and the paddock CLI (first time: about 10 minutes on 2 cores)"
cargo build --workspace
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "paddock: built, but there is no display to open the window on (DISPLAY is unset)." >&2
  echo "paddock: for a headless try: xvfb-run -a dbus-run-session -- target/debug/paddock-app" >&2
  exit 1
fi
say "Launching Paddock (the CLI is at target/debug/paddock)"
exec target/debug/paddock-app
