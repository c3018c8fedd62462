//! A bridged LAN: two router namespaces plugged into a bridge in a third (a switch).
//!
//! The switch is there because a failover needs the survivor's link to stay up: with one
//! veth pair straight between the routers, setting one end down takes the carrier off the
//! other end too, and both routers would see their link fail.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Child;

use crate::{spawn_in, LabError, Netns};

/// ```text
///  a (STEM-PID-N)        br (STEM-PID-N+2)         b (STEM-PID-N+1)
///  a0 -------------- a1  [br0]  b1 -------------- b0
///  192.0.2.1/24                                   192.0.2.2/24
///  2001:db8::1/64                                 2001:db8::2/64
/// ```
///
/// DAD is off on both routers. It owns a scratch directory (`$TMPDIR/STEM-PID-N`) and the
/// processes started through [`Lan::spawn`]; dropping it kills those processes (and no
/// other), deletes the namespaces and removes the directory, also after a failed assertion.
#[derive(Debug)]
pub struct Lan {
    /// Router A's namespace, interface [`Lan::A_IF`].
    pub a: Netns,
    /// Router B's namespace, interface [`Lan::B_IF`].
    pub b: Netns,
    /// The switch's namespace, bridge [`Lan::BRIDGE`] (an observer with no address).
    pub br: Netns,
    /// Processes started on the LAN, by the index [`Lan::spawn`] returned.
    pub children: Vec<Child>,
    /// Scratch directory for configurations, logs, captures.
    pub dir: PathBuf,
}

impl Lan {
    /// Router A's interface.
    pub const A_IF: &'static str = "a0";
    /// Router B's interface.
    pub const B_IF: &'static str = "b0";
    /// Router A's IPv4 / IPv6 addresses.
    pub const A_ADDRS: [&'static str; 2] = ["192.0.2.1/24", "2001:db8::1/64"];
    /// Router B's IPv4 / IPv6 addresses.
    pub const B_ADDRS: [&'static str; 2] = ["192.0.2.2/24", "2001:db8::2/64"];
    /// The bridge in the switch namespace.
    pub const BRIDGE: &'static str = "br0";

    /// Build the LAN, with namespaces named `STEM-PID-N`; returns once both routers'
    /// links are up with carrier. On error, whatever was made is removed.
    pub fn new(stem: &str) -> Result<Lan, LabError> {
        let a = Netns::unique(stem)?;
        let b = Netns::unique(stem)?;
        let br = Netns::unique(stem)?;
        let dir = std::env::temp_dir().join(br.name());
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("create {}", dir.display()), e))?;
        let lan = Lan {
            a,
            b,
            br,
            children: Vec::new(),
            dir,
        };
        lan.a.no_dad()?;
        lan.b.no_dad()?;
        lan.br.bridge(Lan::BRIDGE)?;
        for (ns, end, port, addrs) in [
            (&lan.a, Lan::A_IF, "a1", Lan::A_ADDRS),
            (&lan.b, Lan::B_IF, "b1", Lan::B_ADDRS),
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
        lan.a.wait_up(Lan::A_IF)?;
        lan.b.wait_up(Lan::B_IF)?;
        Ok(lan)
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
        let log = File::create(&path)
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
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Only our own children: killed and reaped before their namespaces go.
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        // The namespaces are removed by their own Drop.
    }
}
