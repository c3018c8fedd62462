//! `vrrp_track_process`: count the running processes of each block, decide its quorum as
//! keepalived 2.2.7 does (`track_process.c`), and report each change of quorum for the
//! daemon to feed to the instances tracking it.
//!
//! keepalived learns of every fork, exec and exit from the kernel's process-event connector,
//! which answers only in the initial network namespace. vrrpd works anywhere:
//!
//! - **births** are found by scanning /proc: fully at start, then one pass every
//!   [`SCAN_INTERVAL`], read [`BATCH`] entries per loop turn (bounded work, no busy loop);
//!   a pass also notices a process that stopped matching (exec, `comm` changed);
//! - **deaths** are seen at once: each matched process is watched through a pidfd
//!   (`pidfd.rs`) in the daemon's poll. Without pidfds (a kernel before 5.3) the next pass
//!   sees the death;
//! - the table of watched processes is bounded ([`MAX_WATCHED`]); a match beyond it is
//!   not counted, and counted in `process_table_full`.
//!
//! Quorum: it holds while `quorum <= n <= quorum_max`. A change caused by a process's exit
//! waits `terminate_delay`, one caused by a fork of a watched process (its parent matched
//! the same block) waits `fork_delay`, as keepalived's timers; a change the other way while
//! one waits cancels it. Any other change (a process found by a pass, one that no longer
//! matches) applies at once, as keepalived's exec and comm events do.

mod pidfd;
pub mod procfs;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use log::{info, warn};
use mio::{Registry, Token};
use serde::Serialize;
use vrrp_fsm::counter_table;

use crate::config::{ParamMatch, TrackProcess};
use pidfd::PidFd;

/// Time between the end of a /proc pass and the start of the next: the longest a new
/// process waits before it is counted.
pub const SCAN_INTERVAL: Duration = Duration::from_secs(1);
/// /proc entries read per loop turn during a pass.
pub const BATCH: usize = 256;
/// Pause between two batches of one pass (other sources are served in between).
const BATCH_GAP: Duration = Duration::from_millis(1);
/// Most processes watched at once (each holds a pidfd and a poll token).
pub const MAX_WATCHED: usize = 4096;
/// Most pids listed per block in the status.
const STATUS_PIDS: usize = 16;

counter_table! {
    /// What the process tracker counts.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct ProcessCounters {
        /// /proc passes completed.
        process_scans,
        /// Watched processes whose exit a pidfd reported.
        process_exits_pidfd,
        /// Watched processes a /proc pass found gone or no longer matching.
        process_exits_scan,
        /// Matching processes not counted: the watch table was full.
        process_table_full,
        /// pidfd_open or its registration failed (that process's exit is seen by a pass).
        pidfd_errors,
    }
}

/// Why a count changed (which delay applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// A child of a watched process of the same block.
    Fork,
    /// A watched process exited.
    Exit,
    /// Found by a pass, or no longer matching.
    Other,
}

/// A pending quorum change: which delay runs, until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delay {
    Fork(Instant),
    Terminate(Instant),
}

impl Delay {
    fn at(self) -> Instant {
        match self {
            Delay::Fork(t) | Delay::Terminate(t) => t,
        }
    }
}

/// One `vrrp_track_process` block and its count.
#[derive(Debug)]
struct Block {
    cfg: TrackProcess,
    count: u32,
    have_quorum: bool,
    delay: Option<Delay>,
}

/// One watched process.
#[derive(Debug)]
struct Watched {
    fd: Option<PidFd>,
    slot: usize,
    /// The blocks it matches (indices).
    of: Vec<usize>,
    /// The last pass that saw it.
    pass: u64,
}

/// Every `vrrp_track_process` block, counted.
#[derive(Debug)]
pub struct Processes {
    blocks: Vec<Block>,
    watched: HashMap<i32, Watched>,
    /// Poll token `first + i` is `slots[i]`'s pidfd.
    slots: Vec<Option<i32>>,
    free: Vec<usize>,
    first: usize,
    /// How much of a command line the blocks need read.
    cmdline_len: usize,
    scan: Option<std::fs::ReadDir>,
    pass: u64,
    next_batch: Instant,
    /// Blocks whose quorum changed, not yet taken.
    changed: Vec<usize>,
    /// During the first pass, counts move without quorum changes.
    initial: bool,
    full_warned: bool,
    /// Counts.
    pub counters: ProcessCounters,
}

impl Processes {
    /// Count the processes of `blocks` (a whole /proc pass, now), their pidfds registered
    /// in `registry` with tokens from `first` on ([`MAX_WATCHED`] of them).
    pub fn new(blocks: &[TrackProcess], registry: &Registry, first: usize) -> Processes {
        let mut p = Processes {
            blocks: blocks
                .iter()
                .map(|cfg| Block {
                    cfg: cfg.clone(),
                    count: 0,
                    have_quorum: false,
                    delay: None,
                })
                .collect(),
            watched: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            first,
            cmdline_len: blocks.iter().map(procfs::cmdline_needed).max().unwrap_or(0),
            scan: None,
            pass: 0,
            next_batch: Instant::now(),
            changed: Vec::new(),
            initial: true,
            full_warned: false,
            counters: ProcessCounters::default(),
        };
        if !p.blocks.is_empty() {
            let now = Instant::now();
            while !p.scan_batch(registry, now) {}
            for b in &mut p.blocks {
                b.have_quorum = b.cfg.quorum_holds(b.count);
                info!(
                    "Tracked process {}: {} running, quorum {}",
                    b.cfg.name,
                    b.count,
                    if b.have_quorum { "gained" } else { "lost" }
                );
            }
        }
        p.initial = false;
        p
    }

    /// The blocks, as configured (to tell whether a reload changed them).
    pub fn same_blocks(&self, blocks: &[TrackProcess]) -> bool {
        self.blocks.len() == blocks.len()
            && self.blocks.iter().zip(blocks).all(|(a, b)| a.cfg == *b)
    }

    /// Every block's name and quorum.
    pub fn states(&self) -> Vec<(String, bool)> {
        self.blocks
            .iter()
            .map(|b| (b.cfg.name.clone(), b.have_quorum))
            .collect()
    }

    /// The quorum changes since the last call, oldest first (a block changed twice is
    /// reported twice).
    pub fn take_changes(&mut self, out: &mut Vec<(String, bool)>) {
        for i in self.changed.drain(..) {
            let b = &self.blocks[i];
            out.push((b.cfg.name.clone(), b.have_quorum));
        }
    }

    /// True if `token` is one of this tracker's pidfds.
    pub fn owns(&self, token: Token) -> bool {
        token.0 >= self.first && token.0 < self.first + MAX_WATCHED
    }

    /// A pidfd polled readable: its process exited.
    pub fn on_ready(&mut self, token: Token, registry: &Registry) {
        let Some(Some(pid)) = self.slots.get(token.0.wrapping_sub(self.first)).copied() else {
            return;
        };
        self.counters.process_exits_pidfd += 1;
        self.unwatch(pid, registry, Cause::Exit, Instant::now());
    }

    /// When [`Processes::poll`] has work: the next delay to expire or batch to read.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.blocks.is_empty() {
            return None;
        }
        self.blocks
            .iter()
            .filter_map(|b| b.delay.map(Delay::at))
            .chain(Some(self.next_batch))
            .min()
    }

    /// Expire the delays due, and read the next batch of /proc if one is due.
    pub fn poll(&mut self, registry: &Registry, now: Instant) {
        if self.blocks.is_empty() {
            return;
        }
        self.poll_delays(now);
        if now >= self.next_batch {
            let done = self.scan_batch(registry, now);
            self.next_batch = now + if done { SCAN_INTERVAL } else { BATCH_GAP };
        }
    }

    /// Expire the delays due at `now`: the quorum is then what the count says.
    fn poll_delays(&mut self, now: Instant) {
        for i in 0..self.blocks.len() {
            let b = &mut self.blocks[i];
            if b.delay.is_some_and(|d| d.at() <= now) {
                b.delay = None;
                let up = b.cfg.quorum_holds(b.count);
                self.set(i, up);
            }
        }
    }

    /// Stop watching everything (the tracker is being replaced or the daemon stops).
    pub fn close(&mut self, registry: &Registry) {
        for (_, w) in self.watched.drain() {
            if let Some(fd) = &w.fd {
                fd.deregister(registry);
            }
        }
    }

    /// Read up to [`BATCH`] /proc entries; true when the pass is over.
    fn scan_batch(&mut self, registry: &Registry, now: Instant) -> bool {
        if self.scan.is_none() {
            match std::fs::read_dir("/proc") {
                Ok(d) => {
                    self.pass += 1;
                    self.scan = Some(d);
                }
                Err(e) => {
                    warn!("track_process: cannot read /proc: {e}");
                    return true;
                }
            }
        }
        for _ in 0..BATCH {
            let Some(entry) = self.scan.as_mut().and_then(|d| d.next()) else {
                self.end_pass(registry, now);
                return true;
            };
            let pid = entry
                .ok()
                .and_then(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()));
            if let Some(pid) = pid.filter(|p| *p > 0) {
                self.visit(pid, registry, now);
            }
        }
        false
    }

    /// The pass is over: a watched process it did not see is gone.
    fn end_pass(&mut self, registry: &Registry, now: Instant) {
        self.scan = None;
        self.counters.process_scans += 1;
        self.full_warned = false;
        let gone: Vec<i32> = self
            .watched
            .iter()
            .filter(|(_, w)| w.pass != self.pass)
            .map(|(p, _)| *p)
            .collect();
        for pid in gone {
            self.counters.process_exits_scan += 1;
            self.unwatch(pid, registry, Cause::Exit, now);
        }
    }

    /// Look at process `pid`: count it for the blocks it now matches.
    fn visit(&mut self, pid: i32, registry: &Registry, now: Instant) {
        let Some(info) = procfs::read(pid, self.cmdline_len) else {
            return;
        };
        let of: Vec<usize> = (0..self.blocks.len())
            .filter(|&i| procfs::matches(&self.blocks[i].cfg, &info))
            .collect();
        if let Some(w) = self.watched.get_mut(&pid) {
            w.pass = self.pass;
            if w.of == of {
                return;
            }
            if of.is_empty() {
                self.counters.process_exits_scan += 1;
                return self.unwatch(pid, registry, Cause::Other, now);
            }
            let old = std::mem::replace(&mut w.of, of.clone());
            for &i in old.iter().filter(|i| !of.contains(i)) {
                self.count(i, false, Cause::Other, now);
            }
            for &i in of.iter().filter(|i| !old.contains(i)) {
                self.count(i, true, Cause::Other, now);
            }
            return;
        }
        if of.is_empty() {
            return;
        }
        let Some(slot) = self.take_slot() else {
            self.counters.process_table_full += 1;
            if !self.full_warned {
                self.full_warned = true;
                warn!(
                    "track_process: {MAX_WATCHED} processes already watched; pid {pid} not counted"
                );
            }
            return;
        };
        let fd = match PidFd::open(pid) {
            Ok(fd) => match fd.register(registry, Token(self.first + slot)) {
                Ok(()) => Some(fd),
                Err(_) => {
                    self.counters.pidfd_errors += 1;
                    None
                }
            },
            // Gone between the read and now.
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                self.free.push(slot);
                return;
            }
            Err(_) => {
                self.counters.pidfd_errors += 1;
                None
            }
        };
        // A fork: its parent is watched for the same block.
        let parent = self.watched.get(&info.ppid).map(|w| w.of.clone());
        self.slots[slot] = Some(pid);
        self.watched.insert(
            pid,
            Watched {
                fd,
                slot,
                of: of.clone(),
                pass: self.pass,
            },
        );
        for i in of {
            let forked = parent.as_ref().is_some_and(|p| p.contains(&i));
            let cause = if forked { Cause::Fork } else { Cause::Other };
            self.count(i, true, cause, now);
        }
    }

    fn take_slot(&mut self) -> Option<usize> {
        if let Some(s) = self.free.pop() {
            return Some(s);
        }
        if self.slots.len() < MAX_WATCHED {
            self.slots.push(None);
            return Some(self.slots.len() - 1);
        }
        None
    }

    /// Stop watching `pid`: it no longer counts for its blocks.
    fn unwatch(&mut self, pid: i32, registry: &Registry, cause: Cause, now: Instant) {
        let Some(w) = self.watched.remove(&pid) else {
            return;
        };
        if let Some(fd) = &w.fd {
            fd.deregister(registry);
        }
        self.slots[w.slot] = None;
        self.free.push(w.slot);
        for i in w.of {
            self.count(i, false, cause, now);
        }
    }

    /// Block `i` has one process more (`up`) or fewer: keepalived's rule for when its
    /// quorum changes, and which delay runs.
    fn count(&mut self, i: usize, more: bool, cause: Cause, now: Instant) {
        let b = &mut self.blocks[i];
        let before = b.cfg.quorum_holds(b.count);
        b.count = if more {
            b.count.saturating_add(1)
        } else {
            b.count.saturating_sub(1)
        };
        let after = b.cfg.quorum_holds(b.count);
        if self.initial || before == after {
            return;
        }
        match (cause, b.delay) {
            // A change back while the other way waits: the wait is cancelled.
            (Cause::Fork, Some(Delay::Terminate(_))) | (Cause::Exit, Some(Delay::Fork(_))) => {
                b.delay = None;
            }
            (Cause::Fork, None) if !b.cfg.fork_delay.is_zero() => {
                b.delay = Some(Delay::Fork(now + b.cfg.fork_delay));
                return;
            }
            (Cause::Exit, None) if !b.cfg.terminate_delay.is_zero() => {
                b.delay = Some(Delay::Terminate(now + b.cfg.terminate_delay));
                return;
            }
            (Cause::Other, _) => b.delay = None,
            _ => {}
        }
        self.set(i, after);
    }

    /// Block `i`'s quorum is now `up`.
    fn set(&mut self, i: usize, up: bool) {
        let b = &mut self.blocks[i];
        if b.have_quorum == up {
            return;
        }
        b.have_quorum = up;
        info!(
            "Quorum {} for tracked process {}",
            if up { "gained" } else { "lost" },
            b.cfg.name
        );
        self.changed.push(i);
    }

    /// What `vrrpd status` shows of each block.
    pub fn status(&self) -> Vec<ProcessStatus> {
        self.blocks
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let mut pids: Vec<i32> = self
                    .watched
                    .iter()
                    .filter(|(_, w)| w.of.contains(&i))
                    .map(|(p, _)| *p)
                    .collect();
                pids.sort_unstable();
                pids.truncate(STATUS_PIDS);
                ProcessStatus {
                    name: b.cfg.name.clone(),
                    process: b.cfg.process.clone(),
                    params: b.cfg.params.clone(),
                    param_match: match b.cfg.param_match {
                        ParamMatch::None => "none",
                        ParamMatch::Exact => "exact",
                        ParamMatch::Partial => "partial",
                        ParamMatch::Initial => "initial",
                    },
                    full_command: b.cfg.full_command,
                    quorum: b.cfg.quorum,
                    quorum_max: (b.cfg.quorum_max < u32::MAX).then_some(b.cfg.quorum_max),
                    current: b.count,
                    have_quorum: b.have_quorum,
                    weight: b.cfg.weight,
                    weight_reverse: b.cfg.weight_reverse,
                    terminate_delay_s: b.cfg.terminate_delay.as_secs_f64(),
                    fork_delay_s: b.cfg.fork_delay.as_secs_f64(),
                    waiting: b.delay.map(|d| match d {
                        Delay::Fork(_) => "fork_delay",
                        Delay::Terminate(_) => "terminate_delay",
                    }),
                    pids,
                }
            })
            .collect()
    }
}

/// One `vrrp_track_process` in `vrrpd status --json` (keepalived's dump: "VRRP Track
/// process").
#[derive(Debug, Clone, Serialize)]
pub struct ProcessStatus {
    /// Block name.
    pub name: String,
    /// `process` name (comm, or argv\[0\] with `full_command`).
    pub process: String,
    /// Parameters written after it.
    pub params: Vec<String>,
    /// `none`, `exact`, `partial` or `initial`.
    pub param_match: &'static str,
    /// Matched against the command line.
    pub full_command: bool,
    /// Fewest processes for the quorum ("Min processes").
    pub quorum: u32,
    /// Most processes for the quorum ("Max processes"; None: no limit).
    pub quorum_max: Option<u32>,
    /// Processes counted now ("Current processes").
    pub current: u32,
    /// "Have quorum".
    pub have_quorum: bool,
    /// Block weight.
    pub weight: i32,
    /// `weight N reverse`.
    pub weight_reverse: bool,
    /// `terminate_delay`, seconds.
    pub terminate_delay_s: f64,
    /// `fork_delay`, seconds.
    pub fork_delay_s: f64,
    /// A delay running now (`fork_delay` / `terminate_delay`), if any.
    pub waiting: Option<&'static str>,
    /// The pids counted (the first 16).
    pub pids: Vec<i32>,
}

/// keepalived's dump lines for one block (`dump_vprocess`), with vrrpd's pids.
pub fn dump_text(t: &mut String, p: &ProcessStatus) {
    t.push_str(&format!(
        " VRRP Track process = {}\n   Process = {}\n",
        p.name, p.process
    ));
    if !p.params.is_empty() {
        t.push_str(&format!("   Parameters = {}\n", p.params.join(" ")));
    }
    match p.param_match {
        "none" => {}
        "exact" => t.push_str("   Param match\n"),
        other => t.push_str(&format!("   Param match = {other}\n")),
    }
    t.push_str(&format!("   Min processes = {}\n", p.quorum));
    if let Some(max) = p.quorum_max {
        t.push_str(&format!("   Max processes = {max}\n"));
    }
    t.push_str(&format!(
        "   Current processes = {}\n   Have quorum = {}\n   Weight = {}{}\n   \
         Terminate delay = {:.6}s\n   Fork delay = {:.6}s\n   Full command = {}\n",
        p.current,
        p.have_quorum,
        p.weight,
        if p.weight_reverse { " reverse" } else { "" },
        p.terminate_delay_s,
        p.fork_delay_s,
        p.full_command,
    ));
    let pids: Vec<String> = p.pids.iter().map(|p| p.to_string()).collect();
    t.push_str(&format!("   Pids = {}\n", pids.join(" ")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Loc;

    fn block(quorum: u32, quorum_max: u32, fork: u64, term: u64) -> TrackProcess {
        TrackProcess {
            name: "P".into(),
            process: "no-such-process-name-here".into(),
            params: vec![],
            param_match: ParamMatch::None,
            full_command: false,
            weight: 0,
            weight_reverse: false,
            quorum,
            quorum_max,
            fork_delay: Duration::from_secs(fork),
            terminate_delay: Duration::from_secs(term),
            loc: Loc::new(&std::sync::Arc::new("t".into()), 1),
        }
    }

    fn changes(p: &mut Processes) -> Vec<bool> {
        let mut out = Vec::new();
        p.take_changes(&mut out);
        out.into_iter().map(|(_, up)| up).collect()
    }

    #[test]
    fn quorum_and_delays_as_keepalived() {
        let poll = mio::Poll::new().unwrap();
        let reg = poll.registry();
        let t0 = Instant::now();
        let s = Duration::from_secs(1);

        // No delay: one process gains the quorum, its exit loses it.
        let mut p = Processes::new(&[block(1, u32::MAX, 0, 0)], reg, 0);
        assert_eq!(p.states(), [("P".to_string(), false)]);
        p.count(0, true, Cause::Other, t0);
        p.count(0, true, Cause::Other, t0);
        p.count(0, false, Cause::Exit, t0);
        assert_eq!(changes(&mut p), [true]);
        p.count(0, false, Cause::Exit, t0);
        assert_eq!(changes(&mut p), [false]);

        // terminate_delay: the loss waits; a fork within it cancels it.
        let mut p = Processes::new(&[block(1, u32::MAX, 0, 2)], reg, 0);
        p.count(0, true, Cause::Other, t0);
        assert_eq!(changes(&mut p), [true]);
        p.count(0, false, Cause::Exit, t0);
        assert!(changes(&mut p).is_empty());
        assert_eq!(p.next_deadline().map(|d| d <= t0 + 2 * s), Some(true));
        p.poll_delays(t0 + s);
        assert!(changes(&mut p).is_empty());
        p.poll_delays(t0 + 2 * s);
        assert_eq!(changes(&mut p), [false]);
        p.count(0, true, Cause::Other, t0);
        p.count(0, false, Cause::Exit, t0);
        p.count(0, true, Cause::Fork, t0);
        p.poll_delays(t0 + 3 * s);
        assert_eq!(
            changes(&mut p),
            [true],
            "the fork cancelled the terminate delay"
        );

        // fork_delay applies to forks only; quorum_max: one too many loses the quorum.
        let mut p = Processes::new(&[block(1, 1, 5, 0)], reg, 0);
        p.count(0, true, Cause::Fork, t0);
        assert!(changes(&mut p).is_empty());
        p.poll_delays(t0 + 5 * s);
        assert_eq!(changes(&mut p), [true]);
        p.count(0, true, Cause::Other, t0);
        assert_eq!(changes(&mut p), [false], "two processes, quorum_max 1");
        p.count(0, false, Cause::Exit, t0);
        assert_eq!(changes(&mut p), [true]);
        assert_eq!(p.status()[0].current, 1);
        assert_eq!(p.status()[0].quorum_max, Some(1));
    }
}
