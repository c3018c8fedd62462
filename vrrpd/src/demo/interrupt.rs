//! The demo's own SIGINT / SIGTERM / SIGHUP: while it runs they do not kill it; every wait
//! goes through [`Interrupts::sleep`], which turns them into [`DemoError::Interrupted`] so
//! the normal cleanup path runs. A second Ctrl-C during cleanup is absorbed.

use std::time::Duration;

use crate::daemon::signals::{Signal, Signals};
use mio::{Events, Interest, Poll, Token};

use super::error::DemoError;

const SIGNALS: Token = Token(0);

/// Installed signal handlers and the poll that waits on them.
pub struct Interrupts {
    poll: Poll,
    signals: Signals,
    events: Events,
    got: Vec<Signal>,
}

impl std::fmt::Debug for Interrupts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interrupts")
    }
}

impl Interrupts {
    /// Take over SIGINT, SIGTERM, SIGHUP (and SIGUSR1, ignored) for as long as it lives.
    pub fn install() -> Result<Interrupts, DemoError> {
        let what = "install signal handlers";
        let poll = Poll::new().map_err(|e| DemoError::io(what, e))?;
        let mut signals = Signals::open().map_err(|e| DemoError::io(what, e))?;
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)
            .map_err(|e| DemoError::io(what, e))?;
        Ok(Interrupts {
            poll,
            signals,
            events: Events::with_capacity(4),
            got: Vec::new(),
        })
    }

    /// Wait `d`, or less if a stopping signal arrives (then an error naming it).
    pub fn sleep(&mut self, d: Duration) -> Result<(), DemoError> {
        if let Err(e) = self.poll.poll(&mut self.events, Some(d)) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(DemoError::io("wait", e));
            }
        }
        self.check()
    }

    /// An error if a stopping signal has arrived (without waiting).
    pub fn check(&mut self) -> Result<(), DemoError> {
        self.got.clear();
        self.signals.pending(&mut self.got);
        let name = self.got.iter().find_map(|s| match s {
            Signal::Int => Some("SIGINT"),
            Signal::Term => Some("SIGTERM"),
            Signal::Hup => Some("SIGHUP"),
            Signal::Usr1 => None,
        });
        match name {
            Some(n) => Err(DemoError::Interrupted(n)),
            None => Ok(()),
        }
    }
}
