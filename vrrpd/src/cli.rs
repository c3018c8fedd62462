//! The command line's definition, shared by the binary and by `xtask`, which generates the
//! man pages and shell completions from it (`cargo xtask dist DIR`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The description of `vrrpd --help` and of vrrpd(8).
const LONG_ABOUT: &str = "\
vrrpd runs the VRRP part of a keepalived configuration: it reads keepalived.conf \
(keepalived 2.2.7's syntax and keywords, see vrrpd.keepalived.conf(5)), takes keepalived's \
flags, runs its notify scripts with the same arguments and logs in its wording, so that it \
can replace keepalived on one node of a pair at a time.

Without a subcommand it runs the daemon (it forks and logs to syslog unless -n and -l are \
given); with -t it only checks the configuration. The subcommands talk to a running daemon \
over its control socket (status, drain, undrain) or show a failover between two network \
namespaces (demo).";

/// Flags as keepalived spells them, so existing unit files and habits keep working.
#[derive(Debug, Parser)]
#[command(
    name = "vrrpd",
    version,
    disable_version_flag = true,
    about = "VRRP daemon reading keepalived.conf",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// Print the version (keepalived's -v).
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    pub version: Option<bool>,
    /// Configuration file (keepalived's -f/--use-file).
    #[arg(
        short = 'f',
        long = "use-file",
        default_value = "/etc/keepalived/keepalived.conf",
        global = true
    )]
    pub use_file: PathBuf,
    /// Config id for `@ID` lines (keepalived's -i/--config-id; default: the host name up to
    /// its first dot). Also names the default pid file and control socket (`vrrpd@ID.pid`).
    #[arg(short = 'i', long = "config-id", value_name = "ID", global = true)]
    pub config_id: Option<String>,
    /// Run in network namespace NAME (/run/netns/NAME), overriding the configuration's
    /// `net_namespace` (keepalived's -s/--namespace). Default paths go to /run/vrrpd/NAME/.
    #[arg(short = 's', long = "namespace", value_name = "NAME", global = true)]
    pub namespace: Option<String>,
    /// Every include check on (keepalived's -e/--all-config): a missing or unreadable
    /// included file is an error.
    #[arg(short = 'e', long = "all-config", global = true)]
    pub all_config: bool,
    /// Check the configuration and exit: 0 if it is valid, 1 if not (keepalived's -t).
    #[arg(short = 't', long = "config-test")]
    pub config_test: bool,
    /// Stay in the foreground (keepalived's -n).
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Log to the console instead of syslog (keepalived's -l).
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// Detailed (debug) log lines (keepalived's -D).
    #[arg(short = 'D', long = "log-detail")]
    pub log_detail: bool,
    /// Pid file (keepalived's -p), locked while the daemon runs: one daemon per pid file.
    /// Default /run/vrrpd/vrrpd.pid when neither -p nor -r is given
    /// (`/run/vrrpd[/NETNS]/vrrpd[_INSTANCE][@ID].pid` with a namespace, instance or -i).
    #[arg(short = 'p', long = "pid")]
    pub pid: Option<PathBuf>,
    /// VRRP child pid file (keepalived's -r); vrrpd is one process, so it holds the same pid
    /// (and is locked the same way).
    #[arg(short = 'r', long = "vrrp_pid")]
    pub vrrp_pid: Option<PathBuf>,
    /// keepalived's checker pid file (-c): accepted for compatibility, not written.
    #[arg(short = 'c', long = "checkers_pid")]
    pub checkers_pid: Option<PathBuf>,
    /// Only run VRRP (keepalived's -P): always true here.
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp_only: bool,
    /// Control socket, for `status`, `drain` and `undrain`. Default /run/vrrpd/vrrpd.sock
    /// (`/run/vrrpd[/NETNS]/vrrpd[_INSTANCE][@ID].sock` with a namespace, instance or -i).
    #[arg(long = "control", global = true)]
    pub control: Option<PathBuf>,
    /// Serve Prometheus metrics over HTTP on ADDR:PORT (off by default; no root needed to read).
    #[arg(long = "metrics-listen", value_name = "ADDR:PORT")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Where SIGUSR1 writes the state dump (keepalived: /tmp/keepalived.data). Default
    /// /run/vrrpd/keepalived.data (named as the pid file with a namespace, instance or -i).
    #[arg(long = "dump-file")]
    pub dump_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every instance's state, priority, master and counters.
    ///
    /// Asks the running daemon over its control socket; needs no root.
    Status {
        /// Print the JSON document as the daemon sends it.
        #[arg(long)]
        json: bool,
    },
    /// Show an election and a failover between two network namespaces.
    ///
    /// Two network namespaces, two daemons on an embedded keepalived.conf: the election, the
    /// master's link cut, the gap until the backup holds the VIP, the failback, measured;
    /// everything is removed at the end. Needs root.
    Demo,
    /// Hand mastership over gracefully and stay a backup until `undrain`.
    ///
    /// The master sends a priority-0 advert, as on shutdown, so that the peer takes over
    /// after Skew_Time; the instance then stays a backup that never takes over, until
    /// `undrain`. The drained set survives reloads. Needs root.
    Drain {
        /// Instance name.
        #[arg(required_unless_present = "all")]
        instance: Option<String>,
        /// Every instance.
        #[arg(long, conflicts_with = "instance")]
        all: bool,
    },
    /// Undo `drain`: the instance takes part in elections again.
    Undrain {
        /// Instance name.
        #[arg(required_unless_present = "all")]
        instance: Option<String>,
        /// Every instance.
        #[arg(long, conflicts_with = "instance")]
        all: bool,
    },
}
