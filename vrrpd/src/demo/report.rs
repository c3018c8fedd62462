//! What the demo measured, printed as a small table at the end.

use std::fmt;
use std::time::Duration;

use super::config::{ADVERT_INT, PRIORITY_A, PRIORITY_B, VERSION, VIP, VIP_PREFIX, VRID};

/// The demo's figures. Gaps are measured from the demo's own action (daemons started, link
/// set down, link set up) to the moment the VIP was seen where it should be, by listing the
/// interfaces' addresses through rtnetlink every [`Report::poll_interval`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// "vrrpd" or "keepalived".
    pub daemon: &'static str,
    /// Router that won the election ("A", priority 150, unless something is wrong).
    pub elected: &'static str,
    /// The other router.
    pub backup: &'static str,
    /// Daemons started → VIP on the elected router (stable afterwards).
    pub election: Duration,
    /// Elected router's link set down → VIP on the backup.
    pub failover: Duration,
    /// Elected router's link set down → VIP gone from it (`None`: it kept it while cut off).
    pub failover_release: Option<Duration>,
    /// Link set up again → VIP on the elected router and gone from the backup.
    pub failback: Duration,
    /// Where the VIP was at the end (stable for a while before the daemons were stopped).
    pub final_holder: &'static str,
    /// How each daemon ended after SIGTERM: (router, "exit 0" / ...).
    pub stopped: Vec<(&'static str, String)>,
    /// After both daemons exited the VIP was on neither router.
    pub vip_released_on_stop: bool,
    /// What the cleanup could not remove (empty: namespaces, links and temp dir are gone).
    pub leftovers: Vec<String>,
    /// How often the addresses were listed.
    pub poll_interval: Duration,
}

impl Report {
    /// Every daemon exited with status 0 after SIGTERM.
    pub fn clean_exits(&self) -> bool {
        !self.stopped.is_empty() && self.stopped.iter().all(|(_, s)| s == "exit 0")
    }
}

/// Priority of a router in the demo's configuration.
pub fn priority(router: &str) -> u8 {
    if router == "A" {
        PRIORITY_A
    } else {
        PRIORITY_B
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m, b) = (self.elected, self.backup);
        writeln!(
            f,
            "Summary ({}, VRRPv{VERSION}, VRID {VRID}, advert_int {} s, VIP {VIP}/{VIP_PREFIX}, \
             addresses polled every {} ms)",
            self.daemon,
            ADVERT_INT.as_secs_f64(),
            self.poll_interval.as_millis()
        )?;
        let rows = [
            (
                format!("election  daemons started -> VIP on {m}"),
                secs(self.election),
            ),
            (
                format!("failover  {m} link down -> VIP on {b}"),
                secs(self.failover),
            ),
            (
                format!("          {m} link down -> VIP gone from {m}"),
                self.failover_release
                    .map_or_else(|| "kept it".to_owned(), secs),
            ),
            (
                format!("failback  {m} link up -> VIP on {m}, gone from {b}"),
                secs(self.failback),
            ),
        ];
        writeln!(f, "  {:<46} {:>9}", "step", "gap")?;
        for (step, gap) in rows {
            writeln!(f, "  {step:<46} {gap:>9}")?;
        }
        writeln!(
            f,
            "  VIP ended on {} (priority {})",
            self.final_holder,
            priority(self.final_holder)
        )?;
        let stops: Vec<String> = self
            .stopped
            .iter()
            .map(|(r, s)| format!("{r} {s}"))
            .collect();
        writeln!(
            f,
            "  daemons after SIGTERM: {}; VIP released: {}",
            stops.join(", "),
            yes_no(self.vip_released_on_stop)
        )?;
        if self.leftovers.is_empty() {
            write!(f, "  namespaces, links and temp dir removed: yes")
        } else {
            write!(f, "  left behind: {}", self.leftovers.join("; "))
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_every_figure() {
        let r = Report {
            daemon: "vrrpd",
            elected: "A",
            backup: "B",
            election: Duration::from_millis(412),
            failover: Duration::from_millis(356),
            failover_release: Some(Duration::from_millis(3)),
            failback: Duration::from_millis(401),
            final_holder: "A",
            stopped: vec![("B", "exit 0".into()), ("A", "exit 0".into())],
            vip_released_on_stop: true,
            leftovers: Vec::new(),
            poll_interval: Duration::from_millis(5),
        };
        let text = r.to_string();
        for want in [
            "daemons started -> VIP on A",
            "0.412 s",
            "A link down -> VIP on B",
            "0.356 s",
            "0.003 s",
            "A link up -> VIP on A, gone from B",
            "0.401 s",
            "VIP ended on A (priority 150)",
            "B exit 0, A exit 0; VIP released: yes",
            "namespaces, links and temp dir removed: yes",
        ] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
        assert!(r.clean_exits());
    }
}
