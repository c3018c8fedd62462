//! Helpers for `beyond.rs`: two vrrpd daemons on the bridged namespace LAN of
//! `vrrp-net/tests/lan` (through [`Scene`] of `tests/peer`), side A on `a0` (192.0.2.1)
//! and side B on `b0` (192.0.2.2), VRRPv3 configurations, commands run as `nobody`, and
//! measured figures written where the test harness does not swallow them.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use crate::lan::{has_addr, is_root};
use crate::peer::{Scene, VIP};

/// uid/gid of `nobody`: an unprivileged user for the "no root needed / root needed" checks.
pub const NOBODY: &str = "65534";

/// Which namespace of the LAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `a0`, 192.0.2.1.
    A,
    /// `b0`, 192.0.2.2.
    B,
}

impl Side {
    pub fn ns(self, sc: &Scene) -> String {
        match self {
            Side::A => sc.a(),
            Side::B => sc.b(),
        }
    }

    pub fn dev(self) -> &'static str {
        match self {
            Side::A => "a0",
            Side::B => "b0",
        }
    }

    /// The run name: control socket `vrrpd-a.sock`, log `vrrpd-a.log`.
    pub fn run(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }
}

/// A scene for vrrpd only (keepalived is not needed), or `None` after a SKIP line.
pub fn scene(name: &str, tag: &str) -> Option<Scene> {
    if !is_root() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIP {name}: needs root (network namespaces, VRRP raw sockets)"
        );
        return None;
    }
    Some(Scene {
        lan: crate::lan::new(tag),
        name: name.to_string(),
    })
}

/// A measured figure, printed even when the harness captures test output.
pub fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "MEASURED {line}");
}

/// One VRRPv3 `vrrp_instance VI_1` (VRID 51, VIP 192.0.2.100/24).
#[derive(Debug, Clone)]
pub struct Inst {
    pub interface: &'static str,
    pub state: &'static str,
    pub priority: u8,
    /// `advert_int` as written (seconds).
    pub advert_int: &'static str,
    /// `(unicast_src_ip, Some(unicast_peer))`; `None`: multicast.
    pub unicast: Option<(&'static str, Option<&'static str>)>,
    /// Extra lines inside the instance.
    pub extra: String,
}

impl Inst {
    pub fn new(side: Side, state: &'static str, priority: u8) -> Inst {
        Inst {
            interface: side.dev(),
            state,
            priority,
            advert_int: "1",
            unicast: None,
            extra: String::new(),
        }
    }
}

/// The line (1-based) of `vrrp_instance VI_1 {` in the text [`conf`] writes.
pub const INSTANCE_LINE: usize = 5;

/// A keepalived.conf with `top` (e.g. `vrrp_script` blocks) after the instance.
pub fn conf(router_id: &str, i: &Inst, top: &str) -> String {
    let mut t = format!(
        "! written by vrrpd/tests/beyond.rs\nglobal_defs {{\n  router_id {router_id}\n}}\n\
         vrrp_instance VI_1 {{\n  state {}\n  interface {}\n  virtual_router_id 51\n  \
         version 3\n  priority {}\n  advert_int {}\n",
        i.state, i.interface, i.priority, i.advert_int
    );
    if let Some((src, peer)) = i.unicast {
        t += &format!("  unicast_src_ip {src}\n");
        if let Some(peer) = peer {
            t += &format!("  unicast_peer {{\n    {peer}\n  }}\n");
        }
    }
    t += &format!("  virtual_ipaddress {{\n    {VIP}\n  }}\n");
    t += &i.extra;
    t += "}\n";
    t += top;
    t
}

/// `vrrpd -n -l -f CONF --control SOCK -p PID EXTRA...` in `side`'s namespace.
pub fn start(sc: &mut Scene, side: Side, conf: &Path, extra: &[&str]) -> usize {
    let ns = side.ns(sc);
    sc.start_vrrpd_in(&ns, conf, side.run(), extra)
}

/// Whether `side` holds the VIP.
pub fn vip(sc: &Scene, side: Side) -> bool {
    has_addr(&side.ns(sc), side.dev(), VIP)
}

/// `argv` as `nobody` (setpriv, no groups, no capabilities), in namespace `ns` if given.
pub fn as_nobody(ns: Option<&str>, argv: &[&str]) -> Output {
    let mut c = match ns {
        Some(ns) => vrrp_lab::in_netns(ns, "setpriv"),
        None => Command::new("setpriv"),
    };
    c.args([
        &format!("--reuid={NOBODY}"),
        &format!("--regid={NOBODY}"),
        "--clear-groups",
        "--inh-caps=-all",
    ]);
    c.args(argv);
    c.output().unwrap()
}

/// `ip ARGS`, required to succeed.
pub fn ip(args: &[&str]) {
    crate::lan::ip(args)
}

/// `bridge ARGS`, required to succeed.
pub fn bridge(args: &[&str]) {
    let st = Command::new("bridge").args(args).status().unwrap();
    assert!(st.success(), "bridge {args:?}");
}

/// `vrrpd VERB VI_1 --control SOCK` as root; returns its exit status and output.
pub fn vrrpd_cmd(sc: &Scene, side: Side, verb: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args([verb, "VI_1", "--control"])
        .arg(sc.socket(side.run()))
        .output()
        .unwrap()
}

/// How long each phase of a test took, for the report (not asserted).
pub struct Phases {
    last: std::time::Instant,
    done: Vec<String>,
}

impl Phases {
    pub fn new() -> Phases {
        Phases {
            last: std::time::Instant::now(),
            done: Vec::new(),
        }
    }

    /// The phase `name` ends now.
    pub fn mark(&mut self, name: &str) {
        let now = std::time::Instant::now();
        self.done
            .push(format!("{name} {:.1}s", (now - self.last).as_secs_f64()));
        self.last = now;
    }

    pub fn summary(&self) -> String {
        self.done.join(", ")
    }
}
