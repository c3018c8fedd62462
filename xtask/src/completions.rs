//! Shell completions for bash, zsh and fish, named as Debian's shells look them up
//! (bash-completion: `vrrpd`, zsh: `_vrrpd`, fish: `vrrpd.fish`).

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

/// Write the three completion files into `dir`.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (shell, file) in [
        (Shell::Bash, "vrrpd"),
        (Shell::Zsh, "_vrrpd"),
        (Shell::Fish, "vrrpd.fish"),
    ] {
        let mut cmd = vrrpd::cli::Args::command();
        let mut text = Vec::new();
        clap_complete::generate(shell, &mut cmd, "vrrpd", &mut text);
        let path = dir.join(file);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
