//! Signals arrive through the same mio Poll as sockets. Own test binary: it installs handlers
//! for the whole process.
mod common;

use common::{wait_readable, WAIT};
use mio::{Interest, Poll, Token};
use nix::sys::signal::{raise, Signal as NixSignal};
use vrrp_net::{Signal, Signals};

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
