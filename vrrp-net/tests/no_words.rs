//! vrrp-net writes no log line and handles no signal (issue 14): what happens comes back to
//! the caller as typed values, and the daemon owns its signals and its words. This fails if a
//! logging macro, the `log` crate or a signal handler comes back into `src/`.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 10, "too few sources under {}", root.display());
    files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// Lines of `text` (comments left out) containing one of `needles`.
fn hits(text: &str, needles: &[&str]) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter(|l| needles.iter().any(|n| l.contains(n)))
        .map(str::to_string)
        .collect()
}

#[test]
fn no_logging_macro_in_src() {
    // No allow-list: every line vrrp-net used to log is a `Happening` now.
    let needles = [
        "info!(", "warn!(", "error!(", "debug!(", "trace!(", "log!(", "log::",
    ];
    for (path, text) in src() {
        let found = hits(&text, &needles);
        assert!(found.is_empty(), "{}: {found:#?}", path.display());
    }
}

#[test]
fn no_signal_handler_in_src() {
    // `vrrp-one` blocks SIGTERM / SIGINT and reads a signalfd: no handler, and not the
    // library's business. The library itself does not touch signals at all.
    let needles = ["signal_hook", "sigaction", "SigHandler", "libc::signal("];
    for (path, text) in src() {
        let found = hits(&text, &needles);
        assert!(found.is_empty(), "{}: {found:#?}", path.display());
        if !path.components().any(|c| c.as_os_str() == "bin") {
            let found = hits(
                &text,
                &["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "signalfd"],
            );
            assert!(found.is_empty(), "{}: {found:#?}", path.display());
        }
    }
}

#[test]
fn no_log_or_signal_dependency() {
    let manifest =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    for line in deps.lines() {
        let name = line.split('=').next().unwrap().trim();
        assert!(
            name != "log" && !name.starts_with("signal-hook"),
            "vrrp-net depends on {name}"
        );
    }
}
