#!/usr/bin/env bash
# Build Paddock's installable bundles with the Tauri bundler (the @tauri-apps/cli
# npm package in ui/, which carries its native binary): the app in release, and
# the `paddock` CLI in release, shipped beside it (tauri.conf.json maps
# target/cli/paddock to /usr/bin/paddock in the .deb and the AppImage, and to
# Contents/MacOS/paddock in the macOS .app).
#
#   src-tauri/scripts/bundle.sh                # a .deb (target/release/bundle/deb/)
#   src-tauri/scripts/bundle.sh deb appimage   # also an AppImage (see below)
#   src-tauri/scripts/bundle.sh --stage-only   # only put the CLI where the config expects it
#
# The AppImage bundler downloads linuxdeploy and its plugins from GitHub while it
# bundles; on a machine that cannot reach GitHub only the .deb can be built.
# PADDOCK_CLI_BIN=/path/to/paddock stages that binary instead of building one.
# PADDOCK_BUNDLE_PROFILE=debug bundles unoptimised builds (target/debug/bundle/):
# minutes instead of the better part of an hour on 2 cores, for trying the package.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
cd "$PADDOCK_ROOT"

# Where tauri.conf.json's bundle.*.files read the CLI from (relative to the config).
STAGED_CLI="$PADDOCK_ROOT/target/cli/paddock"
PROFILE="${PADDOCK_BUNDLE_PROFILE:-release}"
case "$PROFILE" in
  release) cargo_profile=(--release); tauri_profile=() ;;
  debug) cargo_profile=(); tauri_profile=(--debug) ;;
  *) echo "paddock: PADDOCK_BUNDLE_PROFILE is release or debug, not $PROFILE" >&2; exit 1 ;;
esac

stage_cli() {
  local bin="${PADDOCK_CLI_BIN:-}"
  if [ -z "$bin" ]; then
    say "Building the paddock CLI ($PROFILE)"
    cargo build "${cargo_profile[@]}" --locked -p paddock-cli
    bin="${CARGO_TARGET_DIR:-$PADDOCK_ROOT/target}/$PROFILE/paddock"
  fi
  if [ ! -x "$bin" ]; then
    echo "paddock: no CLI binary at $bin" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$STAGED_CLI")"
  install -m 0755 "$bin" "$STAGED_CLI"
  say "The CLI to ship: $STAGED_CLI"
}

if [ "${1:-}" = --stage-only ]; then
  stage_cli
  exit 0
fi

bundles=("$@")
[ ${#bundles[@]} -gt 0 ] || bundles=(deb)

paddock_install_apt
# Builds ui/dist, which the app embeds at compile time (build.frontendDist), and
# installs ui/'s npm packages, @tauri-apps/cli among them.
paddock_build_ui
stage_cli
say "Bundling ${bundles[*]} with the Tauri bundler (a $PROFILE build of the app)"
ui/node_modules/.bin/tauri build --ci "${tauri_profile[@]}" --bundles "${bundles[@]}"
out="${CARGO_TARGET_DIR:-$PADDOCK_ROOT/target}/$PROFILE/bundle"
say "Bundles:"
find "$out" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.AppImage' \) -print
