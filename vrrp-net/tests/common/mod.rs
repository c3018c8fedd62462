//! Test fixture: two network namespaces joined by a veth pair ([`vrrp_lab::Pair`]),
//! removed on drop (even on panic). Namespaces are named `vrrpnet-<tag>-<pid>-<n>`;
//! addresses come from 192.0.2.0/24 and 2001:db8::/32 only.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use vrrp_lab::{Netns, Pair, Skip};

/// Side A: veth0 with 192.0.2.1/24 and 2001:db8::1/64.
pub const A_V4: &str = Pair::A_V4;
pub const A_V6: &str = Pair::A_V6;
/// Side B: veth1 with 192.0.2.2/24 and 2001:db8::2/64.
pub const B_V4: &str = Pair::B_V4;
pub const B_V6: &str = Pair::B_V6;
pub const A_IF: &str = Pair::A_IF;
pub const B_IF: &str = Pair::B_IF;

/// `None` (with the reason printed) when not root: the caller returns, skipping.
pub fn lab(tag: &str) -> Option<Pair> {
    if !Skip::check(tag).root("network namespaces").ok() {
        return None;
    }
    Some(Pair::new(&format!("vrrpnet-{tag}")).unwrap_or_else(|e| panic!("lab {tag}: {e}")))
}

/// Run `ip` with these arguments; panics (failing the test) if it fails.
pub fn ip(args: &[&str]) -> String {
    vrrp_lab::ip(args).unwrap_or_else(|e| panic!("{e}"))
}

/// Run `f` on a fresh thread that has entered namespace `ns` (setns is per thread).
pub fn in_ns<T: Send>(ns: &Netns, f: impl FnOnce() -> T + Send) -> T {
    ns.run(f).unwrap_or_else(|e| panic!("{e}"))
}

/// Upper bound on any wait for the kernel in these tests (a bound, not a speed assertion).
pub const WAIT: Duration = Duration::from_secs(5);

/// Poll until `token` is readable or `WAIT` passes; returns whether it became readable.
pub fn wait_readable(poll: &mut Poll, token: Token) -> bool {
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
