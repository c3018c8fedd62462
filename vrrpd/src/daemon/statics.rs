//! keepalived's `static_ipaddress`, `static_routes` and `static_rules`, as its VRRP process
//! handles them (`vrrp_daemon.c`): at start, whatever an earlier run left is removed, then
//! the addresses, routes and rules are added, before any instance starts; at stop, after
//! every instance has stopped, the rules, routes and addresses are removed; a reload removes
//! the ones no longer configured and adds the new ones. A tracked static route or rule (a
//! route with a `dev`, a rule, without `no_track`) deleted by someone else is put back
//! (keepalived's `reinstate_static_route` / `_rule`). Through rtnetlink; every failure is
//! counted and logged.

use log::{info, warn};
use vrrp_net::{Deleted, Interface, NetError, Netlink, RouteMonitor};

use super::plan;
use crate::config::{Config, RouteLine, RuleLine, VirtualAddress};

/// The static entries of the configuration, and what was installed of them.
pub(super) struct Statics {
    netlink: Netlink,
    addresses: Vec<VirtualAddress>,
    routes: Vec<RouteLine>,
    rules: Vec<RuleLine>,
    /// Deletions of routes and rules, while a tracked static one is installed.
    monitor: Option<RouteMonitor>,
    /// Netlink failures adding or removing a static entry.
    pub(super) errors: u64,
}

impl Statics {
    /// Open a netlink socket (nothing is installed yet).
    pub(super) fn open() -> Result<Statics, NetError> {
        Ok(Statics {
            netlink: Netlink::open()?,
            addresses: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            monitor: None,
            errors: 0,
        })
    }

    /// The deletion monitor, if a tracked static address, route or rule is configured:
    /// opened here, for the caller to register with its poll (once).
    pub(super) fn monitor(&mut self, c: &Config) -> Result<Option<&mut RouteMonitor>, NetError> {
        let tracks = c.static_routes.iter().any(|r| r.route.track)
            || c.static_rules.iter().any(|r| r.rule.track)
            || c.static_addresses.iter().any(|a| !a.no_track);
        if tracks && self.monitor.is_none() {
            self.monitor = Some(RouteMonitor::open()?);
            return Ok(self.monitor.as_mut());
        }
        Ok(None)
    }

    /// Addresses, routes and rules were deleted: put back the tracked static ones among
    /// them (keepalived's `reinstate_static_address` and its route and rule forms).
    pub(super) fn on_deleted(&mut self) {
        let Some(m) = self.monitor.as_mut() else {
            return;
        };
        let mut deleted = Vec::new();
        if let Err(e) = m.read(&mut deleted) {
            warn!("static routes and rules: {e}");
        }
        for d in deleted {
            match d {
                Deleted::Route(m) => {
                    let hit = self
                        .routes
                        .iter()
                        .find(|r| r.route.track && r.route.is_static_route(&m));
                    if let Some(r) = hit.cloned() {
                        info!("{}: Restoring deleted static route {}", r.loc, r.route);
                        let res = self.netlink.add_route(&r.route);
                        self.added(res, &r.loc, format_args!("static_routes {}", r.route));
                    }
                }
                Deleted::Rule(m) => {
                    let hit = self
                        .rules
                        .iter()
                        .find(|r| r.rule.track && r.rule.is_rule(&m));
                    if let Some(r) = hit.cloned() {
                        info!("{}: Restoring deleted static rule {}", r.loc, r.rule);
                        let res = self.netlink.add_rule(&r.rule);
                        self.added(res, &r.loc, format_args!("static_rules {}", r.rule));
                    }
                }
                Deleted::Address { ifindex, addr } => {
                    let hit = self
                        .addresses
                        .iter()
                        .position(|a| !a.no_track && a.addr == addr);
                    let Some(k) = hit else { continue };
                    let a = self.addresses[k].clone();
                    if self.ifindex(&a) != Some(ifindex) {
                        continue;
                    }
                    info!("{}: Restoring deleted static address {}", a.loc, a.addr);
                    let res = self.netlink.add_address(ifindex, &plan::vip(&a));
                    self.added(res, &a.loc, format_args!("static_ipaddress {}", a.addr));
                }
                Deleted::Overrun => {
                    warn!("static routes and rules: deletions lost (receive buffer overrun)")
                }
            }
        }
    }

    /// At start: remove what an earlier run left (silently: most of it is not there), then
    /// add `c`'s addresses, routes and rules.
    pub(super) fn start(&mut self, c: &Config) {
        for a in &c.static_addresses {
            if let Some(ifindex) = self.ifindex(a) {
                if self.netlink.del_address(ifindex, &plan::vip(a)).is_ok() {
                    if let Some(m) = self.monitor.as_mut() {
                        m.ours_address(ifindex, a.addr);
                    }
                    info!(
                        "static_ipaddress {}: removed, left by an earlier run",
                        a.addr
                    );
                }
            }
        }
        for r in &c.static_routes {
            if self.netlink.del_route(&r.route).is_ok() {
                info!("static_routes {}: removed, left by an earlier run", r.route);
                if let Some(m) = self.monitor.as_mut() {
                    m.ours_route(&r.route);
                }
            }
        }
        for r in &c.static_rules {
            if self.netlink.del_rule(&r.rule).is_ok() {
                info!("static_rules {}: removed, left by an earlier run", r.rule);
                if let Some(m) = self.monitor.as_mut() {
                    m.ours_rule(&r.rule);
                }
            }
        }
        self.add(
            c.static_addresses.clone(),
            c.static_routes.clone(),
            c.static_rules.clone(),
        );
    }

    /// A reload: remove the entries not in `c` (rules, routes, addresses), add its new ones
    /// (addresses, routes, rules).
    pub(super) fn reload(&mut self, c: &Config) {
        let rules = std::mem::take(&mut self.rules);
        for r in rules
            .iter()
            .filter(|r| !c.static_rules.iter().any(|n| n.rule == r.rule))
        {
            self.del_rule(r);
        }
        let routes = std::mem::take(&mut self.routes);
        for r in routes
            .iter()
            .filter(|r| !c.static_routes.iter().any(|n| n.route == r.route))
        {
            self.del_route(r);
        }
        let addresses = std::mem::take(&mut self.addresses);
        for a in addresses
            .iter()
            .filter(|a| !c.static_addresses.iter().any(|n| same_address(n, a)))
        {
            self.del_address(a);
        }
        let new_addresses = c
            .static_addresses
            .iter()
            .filter(|n| !addresses.iter().any(|a| same_address(n, a)))
            .cloned()
            .collect();
        let new_routes = c
            .static_routes
            .iter()
            .filter(|n| !routes.iter().any(|r| r.route == n.route))
            .cloned()
            .collect();
        let new_rules = c
            .static_rules
            .iter()
            .filter(|n| !rules.iter().any(|r| r.rule == n.rule))
            .cloned()
            .collect();
        self.addresses = addresses
            .into_iter()
            .filter(|a| c.static_addresses.iter().any(|n| same_address(n, a)))
            .collect();
        self.routes = routes
            .into_iter()
            .filter(|r| c.static_routes.iter().any(|n| n.route == r.route))
            .collect();
        self.rules = rules
            .into_iter()
            .filter(|r| c.static_rules.iter().any(|n| n.rule == r.rule))
            .collect();
        self.add(new_addresses, new_routes, new_rules);
    }

    /// At stop: remove the rules, the routes, then the addresses installed.
    pub(super) fn stop(&mut self) {
        for r in std::mem::take(&mut self.rules) {
            self.del_rule(&r);
        }
        for r in std::mem::take(&mut self.routes) {
            self.del_route(&r);
        }
        for a in std::mem::take(&mut self.addresses) {
            self.del_address(&a);
        }
    }

    /// Add addresses, then routes, then rules; keep those installed (or already there).
    fn add(
        &mut self,
        addresses: Vec<VirtualAddress>,
        routes: Vec<RouteLine>,
        rules: Vec<RuleLine>,
    ) {
        for a in addresses {
            let res = match self.ifindex(&a) {
                Some(ifindex) => self.netlink.add_address(ifindex, &plan::vip(&a)),
                None => Err(NetError::NoInterface(Interface::Name(
                    a.dev.clone().unwrap_or_default(),
                ))),
            };
            if self.added(res, &a.loc, format_args!("static_ipaddress {}", a.addr)) {
                self.addresses.push(a);
            }
        }
        for r in routes {
            let res = self.netlink.add_route(&r.route);
            if self.added(res, &r.loc, format_args!("static_routes {}", r.route)) {
                self.routes.push(r);
            }
        }
        for r in rules {
            let res = self.netlink.add_rule(&r.rule);
            if self.added(res, &r.loc, format_args!("static_rules {}", r.rule)) {
                self.rules.push(r);
            }
        }
    }

    fn added(
        &mut self,
        res: Result<(), NetError>,
        loc: &crate::config::Loc,
        what: std::fmt::Arguments,
    ) -> bool {
        match res {
            Ok(()) => true,
            Err(e) if e.is_exists() => {
                info!("{loc}: {what}: already set, kept");
                true
            }
            Err(e) => {
                self.errors += 1;
                warn!("{loc}: {what}: cannot set: {e}");
                false
            }
        }
    }

    fn removed(&mut self, res: Result<(), NetError>, what: std::fmt::Arguments) {
        match res {
            Ok(()) => {}
            Err(e) if e.is_not_found() || matches!(e, NetError::AddressMissing { .. }) => {}
            Err(e) => {
                self.errors += 1;
                warn!("{what}: cannot remove: {e}");
            }
        }
    }

    fn del_rule(&mut self, r: &RuleLine) {
        let res = self.netlink.del_rule(&r.rule);
        if let (Ok(()), Some(m)) = (&res, self.monitor.as_mut()) {
            m.ours_rule(&r.rule);
        }
        self.removed(res, format_args!("static_rules {}", r.rule));
    }

    fn del_route(&mut self, r: &RouteLine) {
        let res = self.netlink.del_route(&r.route);
        if let (Ok(()), Some(m)) = (&res, self.monitor.as_mut()) {
            m.ours_route(&r.route);
        }
        self.removed(res, format_args!("static_routes {}", r.route));
    }

    fn del_address(&mut self, a: &VirtualAddress) {
        let res = match self.ifindex(a) {
            Some(ifindex) => {
                let res = self.netlink.del_address(ifindex, &plan::vip(a));
                if let (Ok(()), Some(m)) = (&res, self.monitor.as_mut()) {
                    m.ours_address(ifindex, a.addr);
                }
                res
            }
            None => Ok(()), // its interface is gone, and the address with it
        };
        self.removed(res, format_args!("static_ipaddress {}", a.addr));
    }

    fn ifindex(&mut self, a: &VirtualAddress) -> Option<u32> {
        let dev = a.dev.as_deref()?;
        self.netlink.link_by_name(dev).ok().map(|l| l.ifindex)
    }
}

/// The same address on the same interface with the same form (a reload keeps it).
fn same_address(a: &VirtualAddress, b: &VirtualAddress) -> bool {
    a.addr == b.addr && a.prefix == b.prefix && a.dev == b.dev && plan::vip(a) == plan::vip(b)
}
