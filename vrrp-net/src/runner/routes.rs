//! keepalived's `virtual_routes` and `virtual_rules`, in its order (`vrrp.c`):
//! becoming master, the VIPs are added, then the routes, then the rules, then the gratuitous
//! ARPs / NAs go out (`vrrp_state_become_master`); leaving master (to BACKUP, FAULT, or at
//! stop) the rules are removed, then the routes, then the VIPs (`vrrp_restore_interface`).
//! Only what this run installed is removed (keepalived's `set` flag), except at start, where
//! whatever an earlier run left is removed before the first advert.

use std::fmt::Display;

use vrrp_fsm::{InstanceId, State};

use super::notes::{InstanceNote, RunnerNote};
use super::{ChurnCounters, Happening, InstanceInfo, OsErrors, Runner};
use crate::{Deleted, MonitorGroups, NetError, Route, RouteMonitor, Rule};

/// Which of an instance's routes and rules this run installed, by position in its spec.
#[derive(Debug, Clone, Default)]
pub(crate) struct Installed {
    routes: Vec<bool>,
    rules: Vec<bool>,
}

impl Installed {
    fn any(&self) -> bool {
        self.routes.iter().chain(&self.rules).any(|&s| s)
    }
}

impl Runner {
    /// Instance `id` became master: its routes and rules go in once its VIPs are added
    /// (before its first announcement, or at the end of this drain).
    pub(super) fn routes_due(&mut self, id: InstanceId) {
        let has = self
            .info(id)
            .is_some_and(|i| !i.spec.routes.is_empty() || !i.spec.rules.is_empty());
        if has && !self.routes_due.contains(&id) {
            self.routes_due.push(id);
        }
    }

    /// Add the routes, then the rules, of instance `id` if they are due.
    pub(super) fn install_if_due(&mut self, id: InstanceId, out: &mut Vec<Happening>) {
        let Some(k) = self.routes_due.iter().position(|&d| d == id) else {
            return;
        };
        self.routes_due.swap_remove(k);
        self.install_routes(id, out);
    }

    /// Add every due instance's routes and rules (the end of a drain).
    pub(super) fn install_all_due(&mut self, out: &mut Vec<Happening>) {
        while let Some(id) = self.routes_due.pop() {
            self.install_routes(id, out);
        }
    }

    /// Instance `id` is leaving master (a VIP is being removed and it is no longer Master,
    /// or its state changed from Master): remove the rules, then the routes, this run
    /// installed. Harmless when there are none.
    pub(super) fn leaving_master(&mut self, id: InstanceId, out: &mut Vec<Happening>) {
        if self.endpoint.router(id).map(|r| r.state()) == Some(State::Master) {
            return; // a VIP dropped by a reload, still master
        }
        self.routes_due.retain(|&d| d != id);
        if self.info(id).is_some_and(|i| i.installed.any()) {
            self.uninstall_routes(id, out);
        }
    }

    /// At start, remove instance `id`'s routes and rules if installed (left by an earlier
    /// run): rules first, as keepalived does at startup. Not there is no error.
    pub(super) fn remove_stale_routes(&mut self, id: InstanceId, out: &mut Vec<Happening>) {
        let Some(Some(info)) = self.infos.get_mut(id.0) else {
            return;
        };
        let InstanceInfo { spec, churn, .. } = info;
        let (netlink, monitor) = (&mut self.netlink, &mut self.route_monitor);
        for rule in &spec.rules {
            stale(
                del_rule(netlink, monitor, rule),
                &format_args!("rule {rule}"),
                id,
                churn,
                out,
            );
        }
        for route in &spec.routes {
            stale(
                del_route(netlink, monitor, route),
                &format_args!("route {route}"),
                id,
                churn,
                out,
            );
        }
    }

    /// A reload gave instance `id` these routes and rules: while master, remove the ones
    /// installed that are not in the new lists and add the new ones (keepalived's
    /// `clear_diff_vrrp_vroutes` / `restore_vrrp_state`).
    pub(super) fn reconfigure_routes(
        &mut self,
        id: InstanceId,
        routes: Vec<Route>,
        rules: Vec<Rule>,
        out: &mut Vec<Happening>,
    ) {
        let master = self.endpoint.router(id).map(|r| r.state()) == Some(State::Master);
        let Some(Some(info)) = self.infos.get_mut(id.0) else {
            return;
        };
        let InstanceInfo {
            spec,
            os_errors,
            installed,
            ..
        } = info;
        let (netlink, monitor) = (&mut self.netlink, &mut self.route_monitor);
        let mut kept = Installed {
            routes: vec![false; routes.len()],
            rules: vec![false; rules.len()],
        };
        for (old, &set) in spec.rules.iter().zip(&installed.rules) {
            match rules.iter().position(|r| r == old) {
                Some(k) => kept.rules[k] = set,
                None if set => removed(
                    del_rule(netlink, monitor, old),
                    &format_args!("rule {old}"),
                    id,
                    os_errors,
                    out,
                ),
                None => {}
            }
        }
        for (old, &set) in spec.routes.iter().zip(&installed.routes) {
            match routes.iter().position(|r| r == old) {
                Some(k) => kept.routes[k] = set,
                None if set => removed(
                    del_route(netlink, monitor, old),
                    &format_args!("route {old}"),
                    id,
                    os_errors,
                    out,
                ),
                None => {}
            }
        }
        spec.routes = routes;
        spec.rules = rules;
        *installed = kept;
        if master {
            self.install_routes(id, out);
        }
    }

    /// MonitorGroups route and rule deletions if `spec` tracks a route or rule, address deletions
    /// if it has a VIP or excluded address without `no_track` (one monitor for all).
    pub(super) fn watch_if_tracked(
        &mut self,
        spec: &super::Instance,
        cfg: &vrrp_fsm::Config,
    ) -> Result<(), NetError> {
        let watch = MonitorGroups {
            routes: spec.routes.iter().any(|r| r.track) || spec.rules.iter().any(|r| r.track),
            addresses: cfg
                .vips()
                .as_addresses()
                .iter()
                .any(|a| !spec.vip(a).no_track)
                || spec.excluded.iter().any(|v| !v.no_track),
        };
        if watch == MonitorGroups::default() {
            return Ok(());
        }
        if let Some(m) = self.route_monitor.as_mut() {
            return m.watch(watch);
        }
        let mut m = RouteMonitor::open_for(watch)?;
        self.poll
            .registry()
            .register(&mut m, super::ROUTES, mio::Interest::READABLE)
            .map_err(|e| NetError::socket("epoll_ctl", "route monitor", e))?;
        self.route_monitor = Some(m);
        Ok(())
    }

    /// Routes and rules were deleted: a master whose tracked route or rule is among them
    /// gives mastership up, as keepalived does (`netlink_route_filter` / `_rule_filter`:
    /// `set_vrrp_backup`). Our own removals happen after leaving master: never matched.
    pub(super) fn read_route_changes(&mut self, out: &mut Vec<Happening>) {
        let Some(monitor) = self.route_monitor.as_mut() else {
            return;
        };
        let mut deleted = Vec::new();
        if let Err(e) = monitor.read(&mut deleted) {
            self.recv_errors += 1;
            out.push(Happening::Runner(RunnerNote::RouteMonitorFailed(e)));
        }
        let mut released = Vec::new();
        for d in &deleted {
            for i in 0..self.infos.len() {
                let id = InstanceId(i);
                if self.endpoint.router(id).map(|r| r.state()) != Some(State::Master) {
                    continue;
                }
                let Some(Some(info)) = self.infos.get_mut(i) else {
                    continue;
                };
                let InstanceInfo {
                    spec, installed, ..
                } = info;
                let netlink = &mut self.netlink;
                let what = match d {
                    Deleted::Route(m) => spec.routes.iter().enumerate().find_map(|(k, r)| {
                        let set = installed.routes.get(k).copied().unwrap_or(false);
                        if !(r.track && set && r.is_static_route(m)) {
                            return None;
                        }
                        let oif = r
                            .dev
                            .as_deref()
                            .and_then(|d| netlink.link_by_name(d).ok())
                            .map(|l| l.ifindex);
                        r.is_virtual_route(m, oif).then(|| {
                            installed.routes[k] = false;
                            format!("route {r}")
                        })
                    }),
                    Deleted::Rule(m) => spec.rules.iter().enumerate().find_map(|(k, r)| {
                        let set = installed.rules.get(k).copied().unwrap_or(false);
                        (r.track && set && r.is_rule(m)).then(|| {
                            installed.rules[k] = false;
                            format!("rule {r}")
                        })
                    }),
                    Deleted::Overrun | Deleted::Address { .. } => None,
                };
                if let Some(what) = what {
                    out.push(note(id, InstanceNote::RouteDeletedByOther(what)));
                    if !released.contains(&id) {
                        released.push(id);
                    }
                }
            }
        }
        for d in &deleted {
            if let Deleted::Address { ifindex, addr } = *d {
                self.address_deleted(ifindex, addr, &mut released, out);
            }
        }
        let now = self.now();
        for id in released {
            let _ = self.endpoint.handle_release(now, id);
        }
        self.drain_endpoint(out);
    }

    /// Add the routes, then the rules, of instance `id` not installed yet.
    fn install_routes(&mut self, id: InstanceId, out: &mut Vec<Happening>) {
        let Some(Some(info)) = self.infos.get_mut(id.0) else {
            return;
        };
        let InstanceInfo {
            spec,
            os_errors,
            churn,
            installed,
            gone,
            ..
        } = info;
        if *gone {
            return; // its interface is gone: FAULT, nothing to route through
        }
        let netlink = &mut self.netlink;
        installed.routes.resize(spec.routes.len(), false);
        installed.rules.resize(spec.rules.len(), false);
        for (route, set) in spec.routes.iter().zip(installed.routes.iter_mut()) {
            if !*set {
                *set = added(
                    netlink.add_route(route),
                    &format_args!("route {route}"),
                    id,
                    os_errors,
                    churn,
                    out,
                );
            }
        }
        for (rule, set) in spec.rules.iter().zip(installed.rules.iter_mut()) {
            if !*set {
                *set = added(
                    netlink.add_rule(rule),
                    &format_args!("rule {rule}"),
                    id,
                    os_errors,
                    churn,
                    out,
                );
            }
        }
    }

    /// Remove the rules, then the routes, of instance `id` that this run installed.
    fn uninstall_routes(&mut self, id: InstanceId, out: &mut Vec<Happening>) {
        let Some(Some(info)) = self.infos.get_mut(id.0) else {
            return;
        };
        let InstanceInfo {
            spec,
            os_errors,
            installed,
            ..
        } = info;
        let (netlink, monitor) = (&mut self.netlink, &mut self.route_monitor);
        for (rule, set) in spec.rules.iter().zip(installed.rules.iter_mut()) {
            if std::mem::take(set) {
                removed(
                    del_rule(netlink, monitor, rule),
                    &format_args!("rule {rule}"),
                    id,
                    os_errors,
                    out,
                );
            }
        }
        for (route, set) in spec.routes.iter().zip(installed.routes.iter_mut()) {
            if std::mem::take(set) {
                removed(
                    del_route(netlink, monitor, route),
                    &format_args!("route {route}"),
                    id,
                    os_errors,
                    out,
                );
            }
        }
    }
}

/// Delete `rule`; once done, its deletion notice is ours, not someone else's.
fn del_rule(
    netlink: &mut crate::Netlink,
    monitor: &mut Option<RouteMonitor>,
    rule: &Rule,
) -> Result<(), NetError> {
    let res = netlink.del_rule(rule);
    if let (Ok(()), Some(m)) = (&res, monitor) {
        m.ours_rule(rule);
    }
    res
}

/// Delete `route`; once done, its deletion notice is ours, not someone else's.
fn del_route(
    netlink: &mut crate::Netlink,
    monitor: &mut Option<RouteMonitor>,
    route: &Route,
) -> Result<(), NetError> {
    let res = netlink.del_route(route);
    if let (Ok(()), Some(m)) = (&res, monitor) {
        m.ours_route(route);
    }
    res
}

fn note(instance: InstanceId, note: InstanceNote) -> Happening {
    Happening::Instance { instance, note }
}

/// The outcome of adding `what`: installed (true), also when it was already there (kept as
/// ours, counted, as for VIPs); a failure is counted and reported.
fn added(
    res: Result<(), NetError>,
    what: &dyn Display,
    id: InstanceId,
    errors: &mut OsErrors,
    churn: &mut ChurnCounters,
    out: &mut Vec<Happening>,
) -> bool {
    match res {
        Ok(()) => true,
        Err(e) if e.is_exists() => {
            churn.route_already_present += 1;
            out.push(note(
                id,
                InstanceNote::RouteAlreadyPresent(what.to_string()),
            ));
            true
        }
        Err(e) => {
            errors.route += 1;
            out.push(note(id, InstanceNote::RouteAddFailed(what.to_string(), e)));
            false
        }
    }
}

/// The outcome of removing `what`: gone already (with its interface, or by hand) is fine.
fn removed(
    res: Result<(), NetError>,
    what: &dyn Display,
    id: InstanceId,
    errors: &mut OsErrors,
    out: &mut Vec<Happening>,
) {
    match res {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            errors.route += 1;
            out.push(note(
                id,
                InstanceNote::RouteRemoveFailed(what.to_string(), e),
            ));
        }
    }
}

/// The outcome of removing `what` left by an earlier run, at start.
fn stale(
    res: Result<(), NetError>,
    what: &dyn Display,
    id: InstanceId,
    churn: &mut ChurnCounters,
    out: &mut Vec<Happening>,
) {
    match res {
        Ok(()) => {
            churn.stale_route_removed += 1;
            out.push(note(id, InstanceNote::StaleRouteRemoved(what.to_string())));
        }
        Err(e) if e.is_not_found() => {}
        Err(e) => out.push(note(
            id,
            InstanceNote::RouteRemoveFailed(what.to_string(), e),
        )),
    }
}
