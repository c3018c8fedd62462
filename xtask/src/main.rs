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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// A scratch directory removed on drop.
    struct Scratch(std::path::PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn dist_writes_a_page_per_subcommand_and_every_flag() {
        let dir = Scratch(std::env::temp_dir().join(format!("xtask-dist-{}", std::process::id())));
        let files = super::dist(&dir.0).expect("dist");
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let cmd = vrrpd::cli::Args::command();
        let mut want = vec!["vrrpd.8".to_string(), super::man::CONF_PAGE.to_string()];
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            want.push(format!("vrrpd-{}.8", sub.get_name()));
        }
        want.extend(["vrrpd", "_vrrpd", "vrrpd.fish"].map(String::from));
        for w in &want {
            assert!(names.contains(w), "{w} not written: {names:?}");
        }
        assert_eq!(names.len(), want.len(), "unexpected files: {names:?}");

        // Every flag of the definition is documented, roff-escaped ("\-\-name").
        let main = std::fs::read_to_string(dir.0.join("man/vrrpd.8")).unwrap();
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long() {
                let roff = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(main.contains(&roff), "vrrpd.8 lacks --{long}");
            }
        }
        for section in ["FILES", "SIGNALS", "EXIT STATUS", "SEE ALSO"] {
            assert!(
                main.contains(&format!(".SH \"{section}\""))
                    || main.contains(&format!(".SH {section}")),
                "vrrpd.8 lacks {section}"
            );
        }

        // The keepalived.conf page has every field filled in, and names the skipped blocks.
        let conf = std::fs::read_to_string(dir.0.join("man").join(super::man::CONF_PAGE)).unwrap();
        assert!(
            !conf.contains('@'),
            "unfilled template field in {}",
            super::man::CONF_PAGE
        );
        for kw in vrrpd::config::build::SKIPPED_BLOCKS {
            assert!(conf.contains(kw), "{kw} not named");
        }

        // Each completion knows the subcommands.
        for file in ["vrrpd", "_vrrpd", "vrrpd.fish"] {
            let text = std::fs::read_to_string(dir.0.join("completions").join(file)).unwrap();
            assert!(text.contains("undrain"), "{file} lacks the subcommands");
        }
    }

    /// Every command line of the packaged units parses with the CLI definition, so a unit
    /// never uses a flag the binary no longer has.
    #[test]
    fn the_unit_command_lines_parse() {
        the_command_lines_parse(include_str!("../../vrrpd/dist/vrrpd.service"));
        the_command_lines_parse(include_str!("../../vrrpd/dist/vrrpd@.service"));
    }

    fn the_command_lines_parse(unit: &str) {
        use clap::Parser;
        let mut seen = 0;
        for line in unit.lines() {
            let Some((key, cmd)) = line.split_once('=') else {
                continue;
            };
            if !key.starts_with("Exec") || !cmd.starts_with("/usr/sbin/vrrpd ") {
                continue;
            }
            // A template's instance name (`%i`) stands for a config id.
            let argv: Vec<&str> = cmd
                .split_whitespace()
                .map(|w| if w == "%i" { "node1" } else { w })
                .collect();
            if let Err(e) = vrrpd::cli::Args::try_parse_from(&argv) {
                panic!("{line}: {e}");
            }
            seen += 1;
        }
        assert_eq!(seen, 3, "ExecStartPre, ExecStart and ExecReload run vrrpd");
    }
}
