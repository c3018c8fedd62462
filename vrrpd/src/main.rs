//! `vrrpd`: keepalived-compatible command line.
//!
//! `vrrpd [-f FILE] [-i ID] [-s NETNS] [-n] [-l] [-D] [-p PIDFILE] [-r VRRP_PIDFILE]` runs the daemon;
//! `vrrpd -t` checks a configuration; `vrrpd status [--json]` asks a running daemon;
//! `vrrpd demo` shows an election and a failover between two network namespaces.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use vrrpd::cli::{Args, Command};
use vrrpd::config::LangOptions;
use vrrpd::daemon::names::{enter_namespace, DaemonNames};
use vrrpd::daemon::{control, files, logging, status, Daemon, Options};

fn main() -> ExitCode {
    let args = Args::parse();
    let lang = lang_options(&args);
    match &args.command {
        Some(Command::Status { json }) => return status_cmd(&control_path(&args, &lang), *json),
        Some(Command::Demo) => return demo(),
        Some(Command::Drain { instance, all }) => {
            return drain_cmd(
                &control_path(&args, &lang),
                "drain",
                instance.as_deref(),
                *all,
            )
        }
        Some(Command::Undrain { instance, all }) => {
            return drain_cmd(
                &control_path(&args, &lang),
                "undrain",
                instance.as_deref(),
                *all,
            )
        }
        None => {}
    }
    if args.config_test {
        return config_test(&args.use_file, &lang, args.namespace.as_deref());
    }
    logging::init(args.log_console, args.log_detail);
    // Read once here for what names and places the daemon (net_namespace, instance);
    // the daemon reads it again as it starts.
    let naming = match vrrpd::config::load_with(&args.use_file, &lang) {
        Ok(b) => b.config.naming,
        Err(e) => return fail(args.log_console, &e),
    };
    let names = names(&args, &naming);
    if let (Some(s), Some(c)) = (&args.namespace, &naming.net_namespace) {
        log::info!("Overriding config net_namespace '{c}' with command line namespace '{s}'");
    }
    let default = |p: Result<PathBuf, String>| p.map_err(|e| fail(args.log_console, &e));
    let control = match args
        .control
        .clone()
        .map_or_else(|| default(names.control()), Ok)
    {
        Ok(p) => p,
        Err(code) => return code,
    };
    let dump_file = match args
        .dump_file
        .clone()
        .map_or_else(|| default(names.dump_file()), Ok)
    {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Paths are kept absolute: a forked daemon runs from / and reloads later.
    let args = Args {
        use_file: absolute(&args.use_file),
        control: Some(absolute(&control)),
        pid: args.pid.as_deref().map(absolute),
        vrrp_pid: args.vrrp_pid.as_deref().map(absolute),
        dump_file: Some(absolute(&dump_file)),
        ..args
    };
    let pid_paths: Vec<PathBuf> = if args.pid.is_none() && args.vrrp_pid.is_none() {
        match default(names.pid_file()) {
            Ok(p) => vec![p],
            Err(code) => return code,
        }
    } else {
        args.pid
            .iter()
            .chain(args.vrrp_pid.iter())
            .cloned()
            .collect()
    };
    // keepalived's net_namespace / -s: the daemon runs in that namespace. Entered while
    // the process has one thread, before anything is opened.
    if let Some(ns) = &names.namespace {
        if let Err(e) = enter_namespace(ns) {
            return fail(args.log_console, &e);
        }
    }
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
    let mut fixed = naming;
    fixed.net_namespace = names.namespace.clone();
    let opts = Options {
        config: args.use_file.clone(),
        control,
        dump_file,
        metrics: args.metrics_listen,
        lang,
        namespace_override: args.namespace.clone(),
        naming: fixed,
    };
    match Daemon::start(opts).and_then(Daemon::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(args.log_console, &e),
    }
}

/// `-i` and `-e` as the language reads them.
fn lang_options(args: &Args) -> LangOptions {
    let mut lang = LangOptions::with_config_id(args.config_id.as_deref());
    if args.all_config {
        lang.include_check = vrrpd::config::lang::text::INCLUDE_ALL;
    }
    lang
}

/// What names the daemon: `-s` (else `net_namespace`), `instance`, `-i`.
fn names(args: &Args, naming: &vrrpd::config::naming::Naming) -> DaemonNames {
    DaemonNames {
        namespace: args
            .namespace
            .clone()
            .or_else(|| naming.net_namespace.clone()),
        instance: naming.instance.clone(),
        config_id: args.config_id.clone(),
    }
}

/// The control socket a client talks to: `--control`, else the daemon's default, named
/// from `-s`, `-i` and (when the configuration can be read) its `net_namespace` and
/// `instance`.
fn control_path(args: &Args, lang: &LangOptions) -> PathBuf {
    if let Some(c) = &args.control {
        return c.clone();
    }
    let naming = vrrpd::config::load_with(&args.use_file, lang)
        .map(|b| b.config.naming)
        .unwrap_or_default();
    names(args, &naming)
        .control()
        .unwrap_or_else(|_| PathBuf::from(control::DEFAULT_PATH))
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
fn config_test(path: &Path, lang: &LangOptions, namespace: Option<&str>) -> ExitCode {
    match vrrpd::config::load_with(path, lang) {
        Ok(mut built) => {
            // The interfaces are looked for where the daemon would run: in its namespace.
            let ns = namespace.or(built.config.naming.net_namespace.as_deref());
            let entered = match ns {
                None => Ok(()),
                Some(ns) if Path::new("/run/netns").join(ns).exists() => enter_namespace(ns),
                Some(ns) => Err(format!(
                    "network namespace {ns} does not exist (/run/netns/{ns}); the daemon will not start until it does"
                )),
            };
            match vrrpd::daemon::check_scripts(&built.config) {
                Ok(warnings) => built.warnings.extend(warnings),
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
            let c = &built.config;
            let mut lint = vrrpd::lint::static_checks(c);
            match entered.and_then(|()| vrrp_net::Netlink::open().map_err(|e| e.to_string())) {
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
