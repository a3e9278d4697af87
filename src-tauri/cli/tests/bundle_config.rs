//! The installable bundles are configured to ship what exists: tauri.conf.json's
//! bundle section names icons that are there, a frontend the UI build produces,
//! and a `paddock` CLI beside the app that `src-tauri/scripts/bundle.sh`
//! really stages where the config reads it. The release bundle itself is too
//! slow to build in CI; this checks the config against the script, fast.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{stderr, stdout};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn config() -> Value {
    let text = std::fs::read_to_string(root().join("tauri.conf.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every `files` map that puts the CLI beside the app: (bundle, destination, source).
fn cli_files(conf: &Value) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for (bundle, pointer) in [
        ("deb", "/bundle/linux/deb/files"),
        ("appimage", "/bundle/linux/appimage/files"),
        ("macos", "/bundle/macOS/files"),
    ] {
        let files = conf
            .pointer(pointer)
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("tauri.conf.json has no {pointer}"));
        for (dest, src) in files {
            out.push((bundle, dest.clone(), src.as_str().unwrap().to_owned()));
        }
    }
    out
}

#[test]
fn the_bundle_targets_deb_and_appimage_with_icons_that_exist() {
    let conf = config();
    let targets: Vec<&str> = conf["bundle"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        targets.contains(&"deb") && targets.contains(&"appimage"),
        "{targets:?}"
    );
    let icons = conf["bundle"]["icon"].as_array().unwrap();
    assert!(!icons.is_empty());
    for icon in icons {
        let path = root().join(icon.as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            bytes.starts_with(b"\x89PNG"),
            "{} is not a PNG",
            path.display()
        );
    }
}

#[test]
fn the_app_embeds_the_ui_the_ui_build_produces() {
    let conf = config();
    let dist = conf["build"]["frontendDist"].as_str().unwrap();
    // Vite builds ui/index.html into ui/<outDir>; the config must name that folder.
    let vite = std::fs::read_to_string(root().join("ui/vite.config.ts")).unwrap();
    let out_dir = vite
        .split("outDir:")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .expect("ui/vite.config.ts sets build.outDir");
    assert_eq!(dist, format!("ui/{out_dir}"));
    assert!(root().join("ui/index.html").is_file());
    // The bundler the script runs is a pinned devDependency of the UI.
    let pkg: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("ui/package.json")).unwrap())
            .unwrap();
    assert!(
        pkg["devDependencies"]["@tauri-apps/cli"].is_string(),
        "{}",
        pkg["devDependencies"]
    );
}

#[test]
fn the_cli_beside_the_app_is_what_the_bundle_script_stages() {
    let conf = config();
    let files = cli_files(&conf);
    let dests: Vec<(&str, &str)> = files.iter().map(|(b, d, _)| (*b, d.as_str())).collect();
    assert_eq!(
        dests,
        [
            ("deb", "/usr/bin/paddock"),
            ("appimage", "/usr/bin/paddock"),
            ("macos", "MacOS/paddock")
        ]
    );
    // The app's own binary keeps its cargo name, so it never collides with the CLI.
    assert!(conf.get("mainBinaryName").is_none());
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("[[bin]]\nname = \"paddock-app\""));

    // Stage for real, in a copy of the layout the script and the config live in.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path();
    std::fs::create_dir_all(copy.join("src-tauri/scripts")).unwrap();
    std::fs::copy(root().join("tauri.conf.json"), copy.join("tauri.conf.json")).unwrap();
    for script in ["bundle.sh", "deps.sh"] {
        std::fs::copy(
            root().join("src-tauri/scripts").join(script),
            copy.join("src-tauri/scripts").join(script),
        )
        .unwrap();
    }
    for (_, _, src) in &files {
        assert!(!copy.join(src).exists(), "{src} exists before staging");
    }
    let o = Command::new("bash")
        .arg(copy.join("src-tauri/scripts/bundle.sh"))
        .arg("--stage-only")
        .env("PADDOCK_CLI_BIN", env!("CARGO_BIN_EXE_paddock"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    for (bundle, _, src) in &files {
        let staged = copy.join(src);
        let v = Command::new(&staged)
            .arg("version")
            .env("PADDOCK_HOME", copy.join("home"))
            .output()
            .unwrap_or_else(|e| panic!("{bundle}: {} does not run: {e}", staged.display()));
        assert!(v.status.success(), "{bundle}: {}", stderr(&v));
        assert!(
            stdout(&v).starts_with("paddock "),
            "{bundle}: {}",
            stdout(&v)
        );
    }
}
