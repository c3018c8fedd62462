//! `vrrpd`: keepalived-compatible command line.
//!
//! `vrrpd [-f FILE] [-n] [-l] [-D] [-p PIDFILE] [-r VRRP_PIDFILE]` runs the daemon;
//! `vrrpd -t` checks a configuration; `vrrpd status [--json]` asks a running daemon;
//! `vrrpd demo` shows an election and a failover between two network namespaces.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use vrrpd::cli::{Args, Command};
use vrrpd::daemon::{control, files, logging, status, Daemon, Options};

fn main() -> ExitCode {
    let args = Args::parse();
    match &args.command {
        Some(Command::Status { json }) => return status_cmd(&args.control, *json),
        Some(Command::Demo) => return demo(),
        Some(Command::Drain { instance, all }) => {
            return drain_cmd(&args.control, "drain", instance.as_deref(), *all)
        }
        Some(Command::Undrain { instance, all }) => {
            return drain_cmd(&args.control, "undrain", instance.as_deref(), *all)
        }
        None => {}
    }
    if args.config_test {
        return config_test(&args.use_file);
    }
    logging::init(args.log_console, args.log_detail);
    // Paths are kept absolute: a forked daemon runs from / and reloads later.
    let args = Args {
        use_file: absolute(&args.use_file),
        control: absolute(&args.control),
        pid: args.pid.as_deref().map(absolute),
        vrrp_pid: args.vrrp_pid.as_deref().map(absolute),
        dump_file: absolute(&args.dump_file),
        ..args
    };
    let pid_paths: Vec<PathBuf> = if args.pid.is_none() && args.vrrp_pid.is_none() {
        vec![PathBuf::from(files::DEFAULT_PID_FILE)]
    } else {
        args.pid
            .iter()
            .chain(args.vrrp_pid.iter())
            .cloned()
            .collect()
    };
    // Locked before the fork, so that a refusal reaches the terminal, and before anything
    // else is touched (addresses, control socket); held, and removed on every way out of
    // main, by the guards' Drop. The forking parent leaves with _exit and drops nothing.
    let mut pid_files = match files::lock_pid_files(&pid_paths) {
        Ok(p) => p,
        Err(e) => return fail(args.log_console, &e),
    };
    if !args.dont_fork {
        if let Err(e) = nix::unistd::daemon(false, false) {
            eprintln!("vrrpd: fork: {e}");
            return ExitCode::FAILURE;
        }
    }
    for p in &mut pid_files {
        if let Err(e) = p.write_pid(std::process::id()) {
            return fail(args.log_console, &e);
        }
    }
    let opts = Options {
        config: args.use_file.clone(),
        control: args.control.clone(),
        dump_file: args.dump_file.clone(),
        metrics: args.metrics_listen,
    };
    match Daemon::start(opts).and_then(Daemon::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(args.log_console, &e),
    }
}

/// Log why the daemon cannot go on (and say it on stderr too when logging to syslog).
fn fail(log_console: bool, e: &dyn std::fmt::Display) -> ExitCode {
    log::error!("{e}");
    if !log_console {
        eprintln!("vrrpd: {e}");
    }
    ExitCode::FAILURE
}

/// `path` made absolute against the current directory (unchanged if that fails).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// keepalived -t: print warnings and the first error, each with file:line; the scripts are
/// prepared as the daemon prepares them (users, programs, enable_script_security), so what
/// the daemon would refuse fails here with the same message; then vrrpd's lint
/// (configurations that will not do what their author thinks), also as warnings.
fn config_test(path: &Path) -> ExitCode {
    match vrrpd::config::load(path) {
        Ok(mut built) => {
            match vrrpd::daemon::check_scripts(&built.config) {
                Ok(warnings) => built.warnings.extend(warnings),
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
            let c = &built.config;
            let mut lint = vrrpd::lint::static_checks(c);
            match vrrp_net::Netlink::open() {
                Ok(nl) => {
                    let nl = std::cell::RefCell::new(nl);
                    let addresses = |ifname: &str| {
                        let mut nl = nl.borrow_mut();
                        let link = nl.link_by_name(ifname).ok()?;
                        let list = nl.list_addresses(link.ifindex).ok()?;
                        Some(list.into_iter().map(|a| (a.addr, a.prefix_len)).collect())
                    };
                    lint.extend(vrrpd::lint::system_checks(c, &addresses));
                }
                Err(e) => eprintln!("{}: note: interfaces not checked: {e}", path.display()),
            }
            built.warnings.extend(lint);
            built.warnings.sort_by(|a, b| {
                (a.loc.file.as_ref(), a.loc.line).cmp(&(b.loc.file.as_ref(), b.loc.line))
            });
            built.warnings.dedup();
            for w in &built.warnings {
                eprintln!("{w}");
            }
            let c = &built.config;
            println!(
                "{}: configuration OK: {} vrrp_instance, {} vrrp_script, {} vrrp_sync_group, {} warning(s)",
                path.display(),
                c.instances.len(),
                c.scripts.len(),
                c.sync_groups.len(),
                built.warnings.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `vrrpd status [--json]`.
fn status_cmd(socket: &Path, json: bool) -> ExitCode {
    let reply = match control::request(socket, "status") {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vrrpd status: cannot reach the daemon: {e}");
            return ExitCode::FAILURE;
        }
    };
    match serde_json::from_str::<serde_json::Value>(&reply) {
        Ok(v) if v.get("error").is_some() => {
            eprintln!("vrrpd status: {}", reply.trim());
            ExitCode::FAILURE
        }
        Ok(_) if json => {
            print!("{reply}");
            ExitCode::SUCCESS
        }
        Ok(v) => {
            print!("{}", status::table(&v));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vrrpd status: bad reply ({e}): {reply}");
            ExitCode::FAILURE
        }
    }
}

/// `vrrpd drain|undrain INSTANCE|--all`.
fn drain_cmd(socket: &Path, verb: &str, instance: Option<&str>, all: bool) -> ExitCode {
    let target = if all { "--all" } else { instance.unwrap_or("") };
    match control::request(socket, &format!("{verb} {target}")) {
        Ok(reply) if reply.contains("\"error\"") => {
            eprintln!("vrrpd {verb}: {}", reply.trim());
            ExitCode::FAILURE
        }
        Ok(reply) if reply.trim().is_empty() => {
            eprintln!("vrrpd {verb}: the daemon closed the connection without answering");
            ExitCode::FAILURE
        }
        Ok(reply) => {
            print!("{reply}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vrrpd {verb}: cannot reach the daemon: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `vrrpd demo`.
fn demo() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("vrrpd demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    match vrrpd::demo::run(&exe) {
        Ok(report) => {
            use std::io::Write;
            // A closed stdout (`vrrpd demo | head`) is not worth a panic.
            let _ = writeln!(std::io::stdout(), "{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vrrpd demo: {e}");
            ExitCode::FAILURE
        }
    }
}
