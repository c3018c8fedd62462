//! The signals the daemon acts on (its own, not the runner's), through signal-hook-mio,
//! registered in the runner's mio Poll at a token of the daemon's.

use std::io;

use mio::event::Source;
use mio::{Interest, Registry, Token};
use signal_hook_mio::v1_0::Signals as Inner;

/// A signal the daemon handles (keepalived's meanings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: stop, releasing VIPs.
    Term,
    /// SIGINT: same as SIGTERM.
    Int,
    /// SIGHUP: reload the configuration.
    Hup,
    /// SIGUSR1: dump state.
    Usr1,
}

impl Signal {
    fn from_raw(n: i32) -> Option<Self> {
        match n {
            libc::SIGTERM => Some(Signal::Term),
            libc::SIGINT => Some(Signal::Int),
            libc::SIGHUP => Some(Signal::Hup),
            libc::SIGUSR1 => Some(Signal::Usr1),
            _ => None,
        }
    }
}

/// SIGTERM, SIGINT, SIGHUP and SIGUSR1 as a mio source. While it exists those signals no
/// longer take their default action.
pub struct Signals(Inner);

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signals(TERM, INT, HUP, USR1)")
    }
}

impl Signals {
    /// Install handlers for the four signals.
    pub fn open() -> io::Result<Self> {
        Inner::new([libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGUSR1]).map(Signals)
    }

    /// Append the signals received since the last call to `out`.
    pub fn pending(&mut self, out: &mut Vec<Signal>) {
        out.extend(self.0.pending().filter_map(Signal::from_raw));
    }
}

impl Source for Signals {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        self.0.register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        self.0.reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        self.0.deregister(r)
    }
}
