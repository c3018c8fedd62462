//! Everything the demo makes (namespaces, temp dir, daemons), kept together so that all of
//! it is removed whichever way the demo ends.

use std::net::IpAddr;

use super::config;
use super::daemon::Daemon;
use super::error::DemoError;
use super::topology::{Router, Topology};

/// The demo's VIP as an address.
pub(super) fn vip() -> IpAddr {
    IpAddr::V4(config::VIP_ADDR)
}

/// Everything the demo makes, so that it can all be removed whichever way it ends (the
/// temp dir is the topology's).
#[derive(Debug, Default)]
pub(super) struct Lab {
    pub(super) topo: Option<Topology>,
    pub(super) daemons: Vec<Daemon>,
}

impl Lab {
    /// Router `i` (0: A, 1: B).
    pub(super) fn router(&mut self, i: usize) -> Result<&mut Router, DemoError> {
        let topo = self
            .topo
            .as_mut()
            .ok_or(DemoError::Internal("topology used before it was built"))?;
        Ok(if i == 0 { &mut topo.a } else { &mut topo.b })
    }

    /// Whether router `i` has the VIP.
    pub(super) fn has_vip(&mut self, i: usize) -> Result<bool, DemoError> {
        self.router(i)?.has_address(vip())
    }

    /// Print each daemon's new state-change log lines and its reported state.
    pub(super) fn show_states(&mut self) {
        for d in &mut self.daemons {
            for line in d.new_state_lines() {
                say!("   [{} log] {line}", d.label);
            }
        }
        let states: Vec<String> = self
            .daemons
            .iter()
            .filter_map(|d| d.state().map(|s| format!("{} {s}", d.label)))
            .collect();
        if !states.is_empty() {
            say!("   vrrpd status: {}", states.join(", "));
        }
    }

    /// Stop the daemons, the backup first so the VIP does not move on the way out.
    pub(super) fn stop_daemons(&mut self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        while let Some(mut d) = self.daemons.pop() {
            out.push((d.label, d.stop()));
        }
        out
    }

    /// After the daemons stopped: the VIP is on neither router.
    pub(super) fn vip_nowhere(&mut self) -> bool {
        let Some(topo) = self.topo.as_mut() else {
            return false;
        };
        topo.routers()
            .into_iter()
            .all(|r| matches!(r.has_address(vip()), Ok(false)))
    }

    /// Remove namespaces and temp dir; then check nothing is left. Returns what is.
    pub(super) fn remove(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut paths = Vec::new();
        if let Some(mut topo) = self.topo.take() {
            let net = &topo.net;
            paths.extend([&net.a, &net.b, &net.br].map(|ns| ns.path().to_owned()));
            paths.push(net.dir.path().to_owned());
            problems.extend(topo.remove());
        }
        for p in paths {
            if p.exists() {
                problems.push(format!("{} still exists", p.display()));
            }
        }
        problems
    }
}
