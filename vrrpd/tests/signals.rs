//! The daemon's signals arrive through a mio Poll like sockets (moved from vrrp-net, which
//! no longer handles signals). Own test binary: it installs handlers for the whole process.

use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};
use nix::sys::signal::{raise, Signal as NixSignal};
use vrrpd::daemon::signals::{Signal, Signals};

/// How long a signal may take to show up.
const WAIT: Duration = Duration::from_secs(5);

/// Wait (at most [`WAIT`]) until `token` is readable.
fn wait_readable(poll: &mut Poll, token: Token) -> bool {
    let end = Instant::now() + WAIT;
    let mut events = Events::with_capacity(8);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        poll.poll(&mut events, Some(left)).expect("poll");
        if events.iter().any(|e| e.token() == token && e.is_readable()) {
            return true;
        }
    }
    false
}

#[test]
fn raised_signals_are_delivered_through_mio() {
    const SIG: Token = Token(3);
    let mut sigs = Signals::open().unwrap();
    let mut poll = Poll::new().unwrap();
    poll.registry()
        .register(&mut sigs, SIG, Interest::READABLE)
        .unwrap();
    for (raw, want) in [
        (NixSignal::SIGUSR1, Signal::Usr1),
        (NixSignal::SIGHUP, Signal::Hup),
        (NixSignal::SIGTERM, Signal::Term),
        (NixSignal::SIGINT, Signal::Int),
    ] {
        raise(raw).unwrap();
        let mut got = Vec::new();
        while !got.contains(&want) {
            assert!(
                wait_readable(&mut poll, SIG),
                "{want:?} not seen within {WAIT:?}"
            );
            sigs.pending(&mut got);
        }
        assert_eq!(got, vec![want]);
    }
}
