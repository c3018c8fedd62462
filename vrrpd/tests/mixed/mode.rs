//! The cells' modes and roles, and the keepalived.conf both daemons read for them.

use std::time::Duration;

use super::sampler::SAMPLE;

/// The VRRP mode of a cell.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    pub name: &'static str,
    pub version: u8,
    pub v6: bool,
    pub unicast: bool,
    /// The side configured with `old_unicast_checksum` (224.0.0.18 in the v3/IPv4
    /// pseudo-header, what keepalived before 1.3.6 sends and accepts), if any; the other
    /// side switches to that form when it hears it.
    pub old_checksum: Option<Side>,
}

pub const V2: Mode = Mode {
    name: "v2",
    version: 2,
    v6: false,
    unicast: false,
    old_checksum: None,
};
pub const V3_IPV4: Mode = Mode {
    name: "v3-ipv4",
    version: 3,
    v6: false,
    unicast: false,
    old_checksum: None,
};
pub const V3_IPV6: Mode = Mode {
    name: "v3-ipv6",
    version: 3,
    v6: true,
    unicast: false,
    old_checksum: None,
};
pub const V3_IPV4_UNICAST: Mode = Mode {
    name: "v3-ipv4-unicast",
    version: 3,
    v6: false,
    unicast: true,
    old_checksum: None,
};
pub const V3_IPV6_UNICAST: Mode = Mode {
    name: "v3-ipv6-unicast",
    version: 3,
    v6: true,
    unicast: true,
    old_checksum: None,
};

pub const V3_IPV4_UNICAST_OLD_CHECKSUM: Mode = Mode {
    name: "v3-ipv4-unicast-oldsum",
    version: 3,
    v6: false,
    unicast: true,
    old_checksum: Some(Side::Keepalived),
};
pub const V3_IPV4_UNICAST_OLD_CHECKSUM_VRRPD: Mode = Mode {
    name: "v3-ipv4-unicast-oldsum-vrrpd",
    version: 3,
    v6: false,
    unicast: true,
    old_checksum: Some(Side::Vrrpd),
};

/// A daemon: vrrpd (namespace A) or keepalived (namespace B); its index in per-side arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Vrrpd = 0,
    Keepalived = 1,
}

/// Which daemon is H (priority 150, `state MASTER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    VrrpdMaster,
    KeepalivedMaster,
}

pub const HIGH: u8 = 150;
pub const LOW: u8 = 100;

impl Mode {
    /// The VIP as written in the configuration and as `ip addr` shows it.
    pub fn vip(&self) -> &'static str {
        if self.v6 {
            "2001:db8::100/64"
        } else {
            "192.0.2.100/24"
        }
    }

    /// The address the advert carries.
    pub fn vip_addr(&self) -> &'static str {
        self.vip().split('/').next().unwrap()
    }

    /// keepalived's `advert_int`: 1 s for v2 (whole seconds on the wire), 0.5 s for v3.
    pub fn advert_int(&self) -> &'static str {
        if self.version == 2 {
            "1"
        } else {
            "0.5"
        }
    }

    /// The interval field on the wire: v2 seconds, v3 centiseconds.
    pub fn interval_field(&self) -> &'static str {
        if self.version == 2 {
            "1"
        } else {
            "50"
        }
    }

    pub fn advert(&self) -> Duration {
        Duration::from_millis(if self.version == 2 { 1000 } else { 500 })
    }

    /// A backup's Master_Down_Interval at priority 100 (RFC 3768 / RFC 9568):
    /// 3 × interval + Skew_Time.
    pub fn master_down(&self) -> Duration {
        let a = self.advert();
        let skew = if self.version == 2 {
            Duration::from_secs_f64(f64::from(256 - u32::from(LOW)) / 256.0)
        } else {
            a.mul_f64(f64::from(256 - u32::from(LOW)) / 256.0)
        };
        3 * a + skew
    }

    /// Bound on one wait for a VRRP event: several Master_Down_Intervals, on a shared,
    /// loaded machine.
    pub fn limit(&self) -> Duration {
        Duration::from_secs(20)
    }

    /// How long both nodes may hold the VIP at once, at a change of master.
    ///
    /// When a node becomes master it adds the VIP and sends an advert at once; the master it
    /// replaces (the lower priority one, when H preempts) steps down and removes the VIP as
    /// soon as it receives that advert. When H leaves (SIGTERM, cable cut) it removes the
    /// VIP before L can take over (L waits Skew_Time or Master_Down_Interval), so there is
    /// no overlap at all. So an overlap lasts one network delay plus two netlink changes if
    /// that first advert arrives, and at most one advert interval more if it is lost (the
    /// next one is sent an interval later): one advert interval. Each end of an episode is
    /// seen up to one gap between samples late (nominally [`SAMPLE`], more when `ip` is slow
    /// to answer on this loaded 2-core machine), hence twice the largest gap measured.
    pub fn overlap_bound(&self, largest_gap: Duration) -> Duration {
        self.advert() + 2 * largest_gap.max(SAMPLE)
    }

    /// Node addresses: (A's, B's), as the unicast configuration names them.
    pub fn node_addrs(&self) -> (&'static str, &'static str) {
        if self.v6 {
            ("2001:db8::1", "2001:db8::2")
        } else {
            ("192.0.2.1", "192.0.2.2")
        }
    }

    /// The multicast group of this family.
    pub fn group(&self) -> &'static str {
        if self.v6 {
            "ff02::12"
        } else {
            "224.0.0.18"
        }
    }

    /// One `vrrp_instance VI_1` for a node on `interface` with `src` / `peer` (unicast).
    pub fn conf(
        &self,
        keepalived: bool,
        interface: &str,
        prio: u8,
        src: &str,
        peer: &str,
    ) -> String {
        let router_id = if keepalived {
            "keepalived_b"
        } else {
            "vrrpd_a"
        };
        let state = if prio == HIGH { "MASTER" } else { "BACKUP" };
        let mut t = format!(
            "! written by vrrpd/tests/mixed_pairs.rs ({})\nglobal_defs {{\n  router_id {router_id}\n}}\n\
             vrrp_instance VI_1 {{\n  state {state}\n  interface {interface}\n  \
             virtual_router_id 51\n  priority {prio}\n  advert_int {}\n  version {}\n",
            self.name,
            self.advert_int(),
            self.version
        );
        if self.version == 2 {
            t += "  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }\n";
        }
        if self.unicast {
            t += &format!("  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}\n  }}\n");
        }
        let side = if keepalived {
            Side::Keepalived
        } else {
            Side::Vrrpd
        };
        if self.old_checksum == Some(side) {
            t += "  old_unicast_checksum\n";
        }
        t += &format!("  virtual_ipaddress {{\n    {}\n  }}\n}}\n", self.vip());
        t
    }
}
