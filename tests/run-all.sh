#!/usr/bin/env bash
# Every test Paddock has, on a fresh machine: installs what is missing, then
# runs formatting, lints, the UI's tests, the engine and CLI tests, and the
# end-to-end tests of the real app under Xvfb. Each end-to-end test starts and
# stops its own Xvfb, D-Bus session, keyring and notification daemon.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../src-tauri/scripts/deps.sh"
cd "$PADDOCK_ROOT"

paddock_install_apt test
paddock_install_tauri_driver
paddock_install_agents
paddock_install_otlp_python
export PADDOCK_REQUIRE_AGENTS=1
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
paddock_build_ui

say "cargo fmt --check"
cargo fmt --all --check

say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

say "UI tests (Vitest)"
(cd ui && npx vitest run)

say "Rust tests: engine, CLI, and the real app end to end"
# Tests never touch the machine's own state: each sets HOME and PADDOCK_HOME to temp dirs.
cargo test --workspace --no-fail-fast

say "The UI's bindings match the Rust types"
stale="$(git status --porcelain -- ui/src/backend/bindings)"
if [ -n "$stale" ]; then
  printf '%s\n' "$stale" >&2
  echo "paddock: ui/src/backend/bindings is out of date; commit the files the tests regenerated" >&2
  exit 1
fi
say "All tests passed"
