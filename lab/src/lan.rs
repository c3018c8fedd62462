//! A bridged LAN: two router namespaces plugged into a bridge in a third (a switch).
//!
//! The switch is there because a failover needs the survivor's link to stay up: with one
//! veth pair straight between the routers, setting one end down takes the carrier off the
//! other end too, and both routers would see their link fail.

use std::io::Write;
use std::path::Path;
use std::process::Child;

use crate::{spawn_in, unique_name, LabError, Netns, WorkDir};

/// The interface names of a [`Lan`]: each router's end, and its peer's name on the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wiring {
    /// Router A's interface.
    pub a_if: &'static str,
    /// Router B's interface.
    pub b_if: &'static str,
    /// A's port on the bridge.
    pub a_port: &'static str,
    /// B's port on the bridge.
    pub b_port: &'static str,
}

impl Wiring {
    /// What the tests use: `a0` — `a1` `[br0]` `b1` — `b0`.
    pub const TESTS: Wiring = Wiring {
        a_if: "a0",
        b_if: "b0",
        a_port: "a1",
        b_port: "b1",
    };
}

/// ```text
///  PREFIX-a               PREFIX-lan                PREFIX-b
///  a_if ------------ a_port [br0] b_port ------------ b_if
///  192.0.2.1/24                                      192.0.2.2/24
///  2001:db8::1/64                                    2001:db8::2/64
/// ```
///
/// DAD is off on both routers. It owns a scratch directory (`$TMPDIR/PREFIX`, private
/// unless shared) and the processes started through [`Lan::spawn`]; [`Lan::remove`] or
/// dropping it kills those processes (and no other), deletes the namespaces and removes
/// the directory, also after a failed assertion.
#[derive(Debug)]
pub struct Lan {
    /// Router A's namespace, interface `wiring.a_if`.
    pub a: Netns,
    /// Router B's namespace, interface `wiring.b_if`.
    pub b: Netns,
    /// The switch's namespace, bridge [`Lan::BRIDGE`] (an observer with no address).
    pub br: Netns,
    /// Interface names.
    pub wiring: Wiring,
    /// Processes started on the LAN, by the index [`Lan::spawn`] returned.
    pub children: Vec<Child>,
    /// Scratch directory for configurations, logs, captures.
    pub dir: WorkDir,
}

impl Lan {
    /// Router A's IPv4 / IPv6 addresses.
    pub const A_ADDRS: [&'static str; 2] = ["192.0.2.1/24", "2001:db8::1/64"];
    /// Router B's IPv4 / IPv6 addresses.
    pub const B_ADDRS: [&'static str; 2] = ["192.0.2.2/24", "2001:db8::2/64"];
    /// The bridge in the switch namespace.
    pub const BRIDGE: &'static str = "br0";

    /// A LAN with [`Wiring::TESTS`] and a unique prefix `STEM-PID-N`, its directory
    /// shared (tests run clients as `nobody` and peers under their own users).
    pub fn new(stem: &str) -> Result<Lan, LabError> {
        let lan = Lan::build(&unique_name(stem), Wiring::TESTS)?;
        lan.dir.share()?;
        Ok(lan)
    }

    /// Build the LAN with namespaces `PREFIX-a`, `PREFIX-b`, `PREFIX-lan` and directory
    /// `$TMPDIR/PREFIX`; returns once both routers' links are up with carrier. On error,
    /// whatever was made is removed.
    pub fn build(prefix: &str, wiring: Wiring) -> Result<Lan, LabError> {
        let lan = Lan {
            a: Netns::create(&format!("{prefix}-a"))?,
            b: Netns::create(&format!("{prefix}-b"))?,
            br: Netns::create(&format!("{prefix}-lan"))?,
            wiring,
            children: Vec::new(),
            dir: WorkDir::create(prefix)?,
        };
        lan.a.no_dad()?;
        lan.b.no_dad()?;
        lan.br.bridge(Lan::BRIDGE)?;
        for (ns, end, port, addrs) in [
            (&lan.a, wiring.a_if, wiring.a_port, Lan::A_ADDRS),
            (&lan.b, wiring.b_if, wiring.b_port, Lan::B_ADDRS),
        ] {
            lan.br.veth(port, ns, end)?;
            lan.br.set_master(port, Lan::BRIDGE)?;
            lan.br.set_link(port, true)?;
            for addr in addrs {
                ns.add_addr(end, addr)?;
            }
            ns.set_link(end, true)?;
        }
        lan.br.set_link(Lan::BRIDGE, true)?;
        lan.wait_links_up()?;
        Ok(lan)
    }

    /// Wait (bounded) until both routers' interfaces are up with carrier.
    pub fn wait_links_up(&self) -> Result<(), LabError> {
        self.a.wait_up(self.wiring.a_if)?;
        self.b.wait_up(self.wiring.b_if)
    }

    /// Start `program args` in namespace `ns` (one of this LAN's), its output in
    /// `DIR/log_name`; returns its index in [`Lan::children`].
    pub fn spawn(
        &mut self,
        ns: &str,
        program: &Path,
        args: &[String],
        log_name: &str,
    ) -> Result<usize, LabError> {
        let path = self.dir.join(log_name);
        let log = std::fs::File::create(&path)
            .map_err(|e| LabError::io(format!("create {}", path.display()), e))?;
        self.children.push(spawn_in(ns, program, args, log)?);
        Ok(self.children.len() - 1)
    }

    /// SIGTERM child `i` (if it still runs) and wait for it; returns whether it exited 0.
    pub fn stop(&mut self, i: usize) -> bool {
        let c = &mut self.children[i];
        if let Ok(None) = c.try_wait() {
            let pid = nix::unistd::Pid::from_raw(c.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        }
        c.wait().is_ok_and(|s| s.success())
    }

    /// Contents of `DIR/name` ("" if absent).
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    /// Kill and reap the processes started on it (only those), delete the namespaces and
    /// the directory. Idempotent; returns what could not be done.
    pub fn remove(&mut self) -> Vec<String> {
        for mut c in self.children.drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
        let mut problems = self.a.remove();
        problems.extend(self.b.remove());
        problems.extend(self.br.remove());
        problems.extend(self.dir.remove());
        problems
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for p in self.remove() {
            // Not eprintln!: it panics when stderr is gone, and this runs during cleanup.
            let _ = writeln!(std::io::stderr(), "vrrp-lab: cleanup: {p}");
        }
    }
}
