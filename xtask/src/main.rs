//! `cargo xtask dist [DIR]`: vrrpd's man pages and shell completions, generated from the
//! clap definition the binary parses with (`vrrpd::cli::Args`), written under DIR
//! (default `target/dist`): `man/` (vrrpd.8, one vrrpd-SUBCOMMAND.8 per subcommand,
//! vrrpd.keepalived.conf.5) and `completions/` (bash, zsh, fish). The Debian package
//! (`.ci/package.sh`) installs them from there; nothing generated is committed.

mod completions;
mod man;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["dist"] => run(&workspace_root().join("target/dist")),
        ["dist", dir] => run(Path::new(dir)),
        _ => {
            eprintln!("usage: cargo xtask dist [DIR]   (default DIR: target/dist)");
            ExitCode::from(2)
        }
    }
}

fn run(out: &Path) -> ExitCode {
    match dist(out) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask dist: {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

/// Write every page and completion file under `out`; returns the paths written.
pub fn dist(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = man::write_all(&out.join("man"))?;
    files.extend(completions::write_all(&out.join("completions"))?);
    Ok(files)
}

fn workspace_root() -> PathBuf {
    // xtask/ is one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent directory")
        .to_owned()
}
