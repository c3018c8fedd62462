//! Scripts, as keepalived runs them: notify hooks on state transitions and `vrrp_script`
//! checks, all without blocking, driven from the daemon's poll loop.
//!
//! - [`split`]: a `script` / `notify*` string into argv (quotes, backslashes);
//! - [`user`]: which uid/gid a script runs as (`script_user`, `user`, keepalived's default);
//! - [`security`]: `enable_script_security`'s check of every entry on a program's path;
//! - [`env`](mod@env): load-time preparation of one command line into a [`CommandSpec`]
//!   (the program looked up in `PATH` and followed to its real path once, there);
//! - [`command`]: how a command is started (the program found at load, ENOEXEC fallback to
//!   `/bin/sh`, process group, `/dev/null` stdio, user switch);
//! - [`notify`]: ordered notify hooks with timeouts, newest transition wins;
//! - [`check`]: `vrrp_script` checks with fall/rise;
//! - `child`: one running child, reaped by polling and killed at its timeout.
//!
//! Everything takes `now: Instant` and reports results as values; nothing panics on bad
//! scripts. A poll loop uses `next_deadline(now)` of [`NotifyRunner`] and [`Checkers`] to
//! bound its wait (about 20 ms while a child runs, since children are reaped by polling
//! rather than on SIGCHLD), then calls their `poll(now)`.
//!
//! Children are reaped by pid only: the daemon must not reap with `waitpid(-1)` nor set
//! SIGCHLD to SIG_IGN, or outcomes are lost (reported as [`OutcomeKind::WaitError`]).
//! Dropping a runner or checker with a child still running SIGKILLs its process group and
//! waits for it.

pub mod check;
mod child;
pub mod command;
pub mod env;
pub mod error;
pub mod notify;
pub mod security;
pub mod split;
pub mod user;

pub use check::{CheckEvent, Checker, Checkers, LastRun, Weight};
pub use child::{ExitKind, KILL_GRACE, POLL_TICK};
pub use command::{resolve_program, CommandSpec};
pub use env::ScriptEnv;
pub use error::ScriptError;
pub use notify::{
    Counters, Hook, Job, NotifyRunner, NotifyScripts, NotifyState, Outcome, OutcomeKind, Subject,
    DEFAULT_NOTIFY_TIMEOUT,
};
pub use split::{split_command, SplitError};
pub use user::{RunAs, DEFAULT_SCRIPT_USER};
