//! SIGHUP: read the configuration again and apply the difference. A bad new configuration
//! is logged and the old one keeps running; instances whose configuration did not change are
//! not touched (no state change, no advert); changed ones are reconfigured in place when
//! their interface, VRID, version, family and tracked interfaces are the same, else replaced.
//!
//! A replaced or removed instance is freed: the runner gives its slot (router, socket
//! reference, timer, demux entry) to the next instance added, and the daemon forgets what it
//! kept under that index, so memory stays flat however many reloads replace instances.

use log::{error, info};
use vrrp_fsm::{Config as FsmConfig, InstanceId};
use vrrp_net::Instance;

use super::plan;
use super::{Daemon, Slot};
use crate::config::{self, VrrpInstance};
use crate::scripts::NotifyState;

impl Daemon {
    /// Reload from the configuration file.
    pub(super) fn reload(&mut self) {
        let began = std::time::Instant::now();
        info!(
            "Reloading configuration from {}",
            self.opts.config.display()
        );
        let mut built = match config::load_with(&self.opts.config, &self.opts.lang) {
            Ok(b) => b,
            Err(e) => return self.reload_failed(e),
        };
        let mut naming = built.config.naming.clone();
        if let Some(ns) = &self.opts.namespace_override {
            naming.net_namespace = Some(ns.clone());
        }
        if naming != self.opts.naming {
            let e = format!(
                "{}: net_namespace and instance cannot change at a reload (now {:?} {:?}, were {:?} {:?}) - restart vrrpd",
                self.opts.config.display(),
                naming.net_namespace,
                naming.instance,
                self.opts.naming.net_namespace,
                self.opts.naming.instance
            );
            return self.reload_failed(e);
        }
        for w in &built.warnings {
            log::warn!("{w}");
        }
        let runner = &mut self.runner;
        let g = &built.config.global;
        runner.set_announce_intervals(g.garp_interval, g.gna_interval);
        // One look-up per interface and family, not per instance: each is a dump of every
        // link and every address, and a master of 1000 instances has 1000 VIPs to dump.
        let planned = match plan::plan(&mut built.config, |ifname, family| {
            runner.primary_address(ifname, family).ok().flatten()
        }) {
            Ok(p) => p,
            Err(e) => return self.reload_failed(e),
        };
        let models: Vec<&VrrpInstance> = planned.iter().collect();
        if let Err(e) = super::fifo::check(&built.config) {
            return self.reload_failed(e);
        }
        let retired = match self.hooks.reload(&built.config, &models) {
            Ok(r) => r,
            Err(e) => return self.reload_failed(e),
        };
        // keepalived closes the FIFOs and opens them again at every reload.
        if let Err(e) = self.fifos.reload(&built.config, &models) {
            error!("notify FIFOs: {e}");
        }
        let planned: Vec<(VrrpInstance, Instance)> = planned
            .into_iter()
            .map(|p| {
                let spec = plan::spec(&p);
                (p, spec)
            })
            .collect();
        let mut out = Vec::new();
        let old = std::mem::take(&mut self.slots);
        // Instances gone, or replaced by a different router: stop them first, so that a
        // new instance may take their VRID on the same interface.
        let mut kept: Vec<Slot> = Vec::new();
        let mut freed = Vec::new();
        for slot in old {
            let keep = self.running(&slot).is_some_and(|r| {
                planned
                    .iter()
                    .any(|(p, spec)| p.name == slot.name && plan::same_router(p, spec, r))
            });
            if keep {
                kept.push(slot);
            } else {
                info!("({}) removed by reload", slot.name);
                let router = self.runner.router(slot.index);
                let effective = router.map_or(0, |r| r.priority().0);
                let faulty = router.is_some_and(|r| r.state() == vrrp_fsm::State::Fault);
                self.runner.remove(slot.index, &mut out);
                // keepalived 2.2.7 (clear_diff_vrrp): a removed instance is announced
                // DELETED with `notify_deleted`; without it FAULT, unless it already was in
                // FAULT (then nothing). Its effective priority; no STOP.
                let deleted = slot.notify.as_ref().is_some_and(|n| n.report_deleted);
                if deleted || !faulty {
                    let (state, word) = if deleted {
                        (NotifyState::Deleted, super::fifo::Word::Deleted)
                    } else {
                        (NotifyState::Fault, super::fifo::Word::Fault)
                    };
                    self.hooks
                        .on_removed(&retired, &slot.name, state, effective);
                    self.fifos.instance(&slot.name, word, effective);
                }
                self.forget(slot.index);
                freed.push(slot.index);
            }
        }
        // What the removed instances reported on the way out is theirs (their notify_stop
        // has run): their slots may go to new instances below, which must not be credited
        // with it. Their lines are written now, while their names are still theirs.
        let theirs = |h: &vrrp_net::Happening| h.instance().is_some_and(|i| freed.contains(&i));
        for h in out.iter().filter(|h| theirs(h)) {
            self.words.say(&self.runner, h);
        }
        // Then their rate limits start afresh for whoever gets their slots.
        for &i in &freed {
            self.words.forget(i);
        }
        out.retain(|h| !theirs(h));
        let mut started = Vec::new();
        for (model, spec) in planned {
            match kept.iter().position(|s| s.name == model.name) {
                Some(k) => {
                    let slot = kept.swap_remove(k);
                    let same = self
                        .running(&slot)
                        .is_some_and(|r| plan::unchanged(&model, &spec, &slot, r));
                    if !same {
                        info!("({}) configuration changed, applied in place", model.name);
                        let fsm = model.router.clone();
                        if let Err(e) = self.runner.reconfigure(slot.index, fsm, spec, &mut out) {
                            error!("({}) reconfigure: {e}", model.name);
                        }
                    }
                    self.slots.push(Slot::new(model, slot.index));
                }
                None => match self.runner.add(spec, model.router.clone()) {
                    Ok(index) => {
                        info!("({}) added by reload", model.name);
                        started.push(index);
                        self.slots.push(Slot::new(model, index));
                    }
                    Err(e) => error!(
                        "({}) cannot start: {}",
                        model.name,
                        plan::add_error(&model, e)
                    ),
                },
            }
        }
        let built_processes = built.config.processes.clone();
        self.statics.reload(&built.config);
        self.config = built.config;
        if let Err(e) = self.watch_statics() {
            error!("static routes and rules: not tracked: {e}");
        }
        self.apply_sync_groups();
        if !self.processes.same_blocks(&built_processes) {
            self.processes.close(self.runner.registry());
            self.processes = super::process::Processes::new(
                &built_processes,
                self.runner.registry(),
                super::FIRST_PROCESS,
            );
        }
        self.feed_checks(&mut out);
        if let Err(e) = self.watch_track_files(true, &mut out) {
            error!("track files: not watched: {e}");
        }
        self.feed_processes(&mut out);
        self.apply_drained(&mut out);
        for &index in &started {
            self.runner.start(index, &mut out);
        }
        self.reloads += 1;
        let kept = self.slots.iter().filter(|s| !started.contains(&s.index));
        let states: Vec<_> = kept
            .filter_map(|s| {
                let r = self.runner.router(s.index)?;
                Some((s.name.as_str(), r.state(), r.priority().0))
            })
            .collect();
        let groups = self.config.sync_groups.iter().map(|g| g.name.as_str());
        self.fifos.reload_states(groups, states.into_iter());
        self.handle(out);
        let (allocated, live) = self.runner.slot_counts();
        info!(
            "Reload finished: {} instance(s) in {} ms ({} runner slots, {} live)",
            self.slots.len(),
            began.elapsed().as_millis(),
            allocated,
            live
        );
    }

    /// Forget what the daemon keeps under runner index `index` (its instance was removed;
    /// the index may be given to another).
    fn forget(&mut self, index: InstanceId) {
        self.last_change.remove(&index);
        self.refresh.cancel(index);
    }

    /// What the runner drives for `slot` (its I/O description and router configuration),
    /// to compare a new configuration with.
    fn running(&self, slot: &Slot) -> Option<(&Instance, &FsmConfig)> {
        Some((
            &self.runner.info(slot.index)?.spec,
            self.runner.router(slot.index)?.config(),
        ))
    }

    fn reload_failed(&mut self, why: impl std::fmt::Display) {
        self.reloads_failed += 1;
        error!("Reload refused, keeping the running configuration: {why}");
    }
}
