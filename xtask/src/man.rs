//! Man pages: vrrpd(8) and one page per subcommand, rendered by clap_mangen from
//! `vrrpd::cli::Args`, with the sections clap does not know (files, signals, exit status)
//! added from the daemon's own constants; vrrpd.keepalived.conf(5) from its template
//! (`vrrpd/dist/vrrpd.keepalived.conf.5.in`), with the reader's keyword lists filled in.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_mangen::Man;
use roff::{bold, italic, roman, Roff};
use vrrpd::config::build::SKIPPED_BLOCKS;
use vrrpd::config::not_applied::{NOT_APPLICABLE_GLOBAL, NOT_APPLIED_GLOBAL};
use vrrpd::config::read::{MAX_FILES, MAX_FILE_SIZE};
use vrrpd::config::tree::MAX_INCLUDE_DEPTH;
use vrrpd::daemon::{control, files};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const CONF_TEMPLATE: &str = include_str!("../../vrrpd/dist/vrrpd.keepalived.conf.5.in");
/// The page on what vrrpd reads of keepalived.conf.
pub const CONF_PAGE: &str = "vrrpd.keepalived.conf.5";

/// Write every page into `dir`.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = vrrpd::cli::Args::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = vec![write_page(dir, &cmd, true)?];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        written.push(write_page(dir, sub, false)?);
    }
    let path = dir.join(CONF_PAGE);
    std::fs::write(&path, conf_page())?;
    written.push(path);
    Ok(written)
}

fn write_page(dir: &Path, cmd: &clap::Command, top: bool) -> std::io::Result<PathBuf> {
    let man = Man::new(cmd.clone())
        .section("8")
        .source(format!("vrrpd {VERSION}"))
        .manual("System Administration");
    let path = dir.join(man.get_filename());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if top {
        man.render_subcommands_section(&mut out)?;
        daemon_sections(&mut out)?;
    }
    see_also(&mut out, cmd, top)?;
    std::fs::write(&path, out)?;
    Ok(path)
}

/// FILES, SIGNALS and EXIT STATUS of vrrpd(8).
fn daemon_sections(w: &mut dyn Write) -> std::io::Result<()> {
    let mut r = Roff::new();
    r.control("SH", ["FILES"]);
    for (path, what) in [
        (
            "/etc/keepalived/keepalived.conf",
            "The configuration read by default (-f), keepalived's own; see vrrpd.keepalived.conf(5).",
        ),
        (
            control::DEFAULT_PATH,
            "The control socket (--control) that vrrpd status, drain and undrain talk to.",
        ),
        (
            files::DEFAULT_PID_FILE,
            "The pid file (-p), locked while the daemon runs.",
        ),
        (
            files::DEFAULT_DUMP_FILE,
            "Where SIGUSR1 writes the state dump (--dump-file), mode 0600.",
        ),
    ] {
        r.control("TP", []).text([bold(path)]).text([roman(what)]);
    }
    r.control("SH", ["SIGNALS"]);
    for (sig, what) in [
        (
            "SIGHUP",
            "Reload the configuration; a file that does not load is logged and the running one stays.",
        ),
        (
            "SIGTERM, SIGINT",
            "Stop: a master sends a priority-0 advert and removes its addresses, then notify_stop scripts run (vrrpd waits for them at most 10 s).",
        ),
        ("SIGUSR1", "Write the state dump."),
    ] {
        r.control("TP", []).text([bold(sig)]).text([roman(what)]);
    }
    r.control("SH", ["EXIT STATUS"]);
    r.text([roman(
        "0 on success (with -t: the configuration is valid); 1 on an error, which is printed \
         with the file and line it is about; 2 on a command-line error.",
    )]);
    r.to_writer(w)
}

fn see_also(w: &mut dyn Write, cmd: &clap::Command, top: bool) -> std::io::Result<()> {
    let mut refs: Vec<String> = Vec::new();
    if !top {
        refs.push("vrrpd(8)".into());
    }
    refs.push("vrrpd.keepalived.conf(5)".into());
    refs.extend(["keepalived(8)", "keepalived.conf(5)"].map(String::from));
    if top {
        refs.push("systemctl(1)".into());
    }
    let mut r = Roff::new();
    r.control("SH", ["SEE ALSO"]);
    r.text([roman(refs.join(", "))]);
    if top {
        r.control("PP", []).text([
            roman("The unit "),
            italic("vrrpd.service"),
            roman(" runs "),
            bold(cmd.get_name()),
            roman(" -t before each start and reload."),
        ]);
    }
    r.to_writer(w)
}

/// vrrpd.keepalived.conf(5): the template with the keyword lists and the version filled in.
pub fn conf_page() -> String {
    CONF_TEMPLATE
        .replace("@VERSION@", VERSION)
        .replace("@SKIPPED_BLOCKS@", &keyword_list(SKIPPED_BLOCKS))
        .replace(
            "@NOT_APPLICABLE_GLOBAL@",
            &keyword_list(NOT_APPLICABLE_GLOBAL),
        )
        .replace(
            "@NOT_APPLIED_GLOBAL@",
            &keyword_list(
                &NOT_APPLIED_GLOBAL
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>(),
            ),
        )
        .replace("@MAX_FILES@", &MAX_FILES.to_string())
        .replace("@MAX_DEPTH@", &MAX_INCLUDE_DEPTH.to_string())
        .replace("@MAX_FILE_MIB@", &(MAX_FILE_SIZE >> 20).to_string())
}

/// One bold keyword per line, comma-separated, the last followed by a full stop, for roff.
fn keyword_list(words: &[&str]) -> String {
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let w = w.replace('\\', "\\e").replace('-', "\\-");
            if i == last {
                format!(".BR {w} .")
            } else {
                format!(".BR {w} ,")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
