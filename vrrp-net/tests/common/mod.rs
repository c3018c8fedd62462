//! Test fixture: two network namespaces joined by a veth pair, removed on drop (even on
//! panic). Namespaces are named `vrrpnet-<tag>-<pid>-{a,b}`; addresses come from
//! 192.0.2.0/24 and 2001:db8::/32 only. The fixture shells out to `ip`; the library never does.
#![allow(dead_code)]

use std::fs::File;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use nix::sched::{setns, CloneFlags};

/// Side A: veth0 with 192.0.2.1/24 and 2001:db8::1/64.
pub const A_V4: &str = "192.0.2.1";
pub const A_V6: &str = "2001:db8::1";
/// Side B: veth1 with 192.0.2.2/24 and 2001:db8::2/64.
pub const B_V4: &str = "192.0.2.2";
pub const B_V6: &str = "2001:db8::2";
pub const A_IF: &str = "veth0";
pub const B_IF: &str = "veth1";

/// The two namespaces; dropping it deletes them (and with them the veth pair).
pub struct Lab {
    pub a: String,
    pub b: String,
}

/// `None` (with the reason printed) when not root: the caller returns, skipping.
pub fn lab(tag: &str) -> Option<Lab> {
    if !nix::unistd::Uid::effective().is_root() {
        // Written to the stderr handle, not eprintln!, so the test harness does not swallow it.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP {tag}: needs root to create network namespaces"
        );
        return None;
    }
    let pid = std::process::id();
    let lab = Lab {
        a: format!("vrrpnet-{tag}-{pid}-a"),
        b: format!("vrrpnet-{tag}-{pid}-b"),
    };
    for ns in [&lab.a, &lab.b] {
        ip(&["netns", "add", ns]);
        for key in ["all", "default"] {
            sh(&[
                "ip",
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{key}.accept_dad=0"),
            ]);
        }
        ip(&["-n", ns, "link", "set", "lo", "up"]);
    }
    ip(&[
        "-n", &lab.a, "link", "add", A_IF, "type", "veth", "peer", "name", B_IF, "netns", &lab.b,
    ]);
    for (ns, ifname, v4, v6) in [(&lab.a, A_IF, A_V4, A_V6), (&lab.b, B_IF, B_V4, B_V6)] {
        ip(&["-n", ns, "addr", "add", &format!("{v4}/24"), "dev", ifname]);
        ip(&[
            "-n",
            ns,
            "addr",
            "add",
            &format!("{v6}/64"),
            "dev",
            ifname,
            "nodad",
        ]);
        ip(&["-n", ns, "link", "set", ifname, "up"]);
    }
    // Packets sent before the kernel's linkwatch activates the qdisc are dropped: wait
    // (bounded) until both ends report operstate UP.
    for (ns, ifname) in [(&lab.a, A_IF), (&lab.b, B_IF)] {
        let end = Instant::now() + WAIT;
        while !ip(&["-n", ns, "-o", "link", "show", "dev", ifname]).contains("state UP") {
            assert!(
                Instant::now() < end,
                "{ifname} in {ns} not up within {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Some(lab)
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Run `ip` with these arguments; panics (failing the test) if it fails.
pub fn ip(args: &[&str]) -> String {
    let mut v = vec!["ip"];
    v.extend_from_slice(args);
    sh(&v)
}

fn sh(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("spawn");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run `f` on a fresh thread that has entered namespace `ns` (setns is per thread).
pub fn in_ns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let fd = File::open(format!("/run/netns/{ns}")).expect("open netns");
            setns(fd, CloneFlags::CLONE_NEWNET).expect("setns");
            f()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
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
