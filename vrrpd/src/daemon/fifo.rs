//! Notify FIFOs, as keepalived 2.2.7 writes them (`vrrp_notify.c`): one line per
//! instance or sync-group state change, `INSTANCE "VI_1" MASTER 100` /
//! `GROUP "G" BACKUP 0` (a group's priority is always 0), the STOP lines at shutdown
//! (instances, then groups), `MASTER_RX_LOWER_PRI` events, `MASTER_PRIORITY` /
//! `BACKUP_PRIORITY` when an instance's effective priority changes (with
//! `notify_priority_changes`), and the states again at a reload with
//! `fifo_write_vrrp_states_on_reload`. Every line goes to `notify_fifo` and to
//! `vrrp_notify_fifo`.
//!
//! Opening: a missing FIFO is created 0600 (what keepalived leaves) and given to the
//! configured user; an existing one is used; both are opened read-write and non-blocking
//! ([`Dir::open_fifo`]: no symlink followed, nothing but a FIFO opened). A FIFO we
//! created is removed when closed (at a reload and at exit), as keepalived does. The
//! `_script` forms are started once the FIFO is open, with its name as last argument.
//!
//! Writing never blocks the protocol: a line the pipe cannot take now waits in a bounded
//! queue (retried every [`RETRY`]), and when that is full it is dropped and counted, the
//! drop logged at a bounded rate. keepalived drops at once when the pipe is full.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::process::Child;
use std::time::{Duration, Instant};

use log::{info, warn};

use super::files::{file_id, Dir};
use super::hooks::PrepareError;
use super::rate_limit::RateLimit;
use crate::config::fifo::{FifoConf, FifoPath};
use crate::config::{Config, VrrpInstance};
use crate::scripts::{RunAs, ScriptEnv};

/// Mode of a FIFO we create (keepalived 2.2.7 leaves 0600: its mode 0644 less its umask).
const MODE: u32 = 0o600;

/// Bytes of lines waiting for a slow reader, per FIFO, beyond the pipe's own buffer.
const MAX_QUEUED: usize = 16 * 1024;

/// How soon lines waiting for a slow reader are tried again.
pub const RETRY: Duration = Duration::from_millis(100);

/// Drop messages: a few a minute, then one saying how many were suppressed.
const DROP_LOG: RateLimit = RateLimit::new(3, Duration::from_secs(60));

/// What a line says about its subject (keepalived's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// `MASTER`.
    Master,
    /// `BACKUP`.
    Backup,
    /// `FAULT`.
    Fault,
    /// `STOP`.
    Stop,
    /// `DELETED`: removed by a reload, with `notify_deleted`.
    Deleted,
    /// `MASTER_RX_LOWER_PRI`.
    MasterRxLowerPri,
    /// `MASTER_PRIORITY`: the effective priority of a master changed.
    MasterPriority,
    /// `BACKUP_PRIORITY`: the effective priority of a non-master changed.
    BackupPriority,
}

impl Word {
    /// keepalived's word for a state.
    pub fn of_state(s: vrrp_fsm::State) -> Option<Word> {
        match s {
            vrrp_fsm::State::Master => Some(Word::Master),
            vrrp_fsm::State::Backup => Some(Word::Backup),
            vrrp_fsm::State::Fault => Some(Word::Fault),
            vrrp_fsm::State::Initialize => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Word::Master => "MASTER",
            Word::Backup => "BACKUP",
            Word::Fault => "FAULT",
            Word::Stop => "STOP",
            Word::Deleted => "DELETED",
            Word::MasterRxLowerPri => "MASTER_RX_LOWER_PRI",
            Word::MasterPriority => "MASTER_PRIORITY",
            Word::BackupPriority => "BACKUP_PRIORITY",
        }
    }
}

/// The line about an instance (`group` false) or a sync group.
pub fn line(group: bool, name: &str, word: Word, priority: u8) -> String {
    let kind = if group { "GROUP" } else { "INSTANCE" };
    format!("{kind} \"{name}\" {} {priority}\n", word.as_str())
}

/// Lines counted over the daemon's life (all FIFOs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FifoCounters {
    /// Lines written.
    pub written: u64,
    /// Lines dropped: the reader did not keep up, or the write failed.
    pub dropped: u64,
}

/// One open FIFO.
struct Fifo {
    keyword: &'static str,
    path: std::path::PathBuf,
    file: File,
    /// Set when we created it: its directory, name and identity, to remove it at close.
    created: Option<(Dir, OsString, (u64, u64))>,
    /// Lines (or the rest of one) the pipe could not take yet.
    queue: VecDeque<Vec<u8>>,
    queued: usize,
    drop_log: RateLimit,
}

impl Fifo {
    fn open(p: &FifoPath, owner: Option<(u32, u32)>) -> io::Result<Fifo> {
        let (dir, name) = Dir::of(&p.path)?;
        let name = name.to_owned();
        let (file, created) = dir.open_fifo(&name, MODE, owner)?;
        let created = if created {
            let st = nix::sys::stat::fstat(&file)?;
            Some((dir, name, file_id(&st)))
        } else {
            None
        };
        Ok(Fifo {
            keyword: p.keyword,
            path: p.path.clone(),
            file,
            created,
            queue: VecDeque::new(),
            queued: 0,
            drop_log: DROP_LOG,
        })
    }

    /// Write what waits, then `line`; what the pipe cannot take waits (bounded).
    fn send(&mut self, line: &[u8], c: &mut FifoCounters, now: Instant) {
        self.flush(c, now);
        if self.queue.is_empty() {
            match self.file.write(line) {
                Ok(n) if n == line.len() => {
                    c.written += 1;
                    return;
                }
                Ok(n) => return self.push(line[n..].to_vec(), c, now),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return self.dropped(c, now, &e.to_string()),
            }
        }
        self.push(line.to_vec(), c, now);
    }

    fn push(&mut self, rest: Vec<u8>, c: &mut FifoCounters, now: Instant) {
        if self.queued + rest.len() > MAX_QUEUED {
            return self.dropped(c, now, "the reader is not keeping up");
        }
        self.queued += rest.len();
        self.queue.push_back(rest);
    }

    fn dropped(&mut self, c: &mut FifoCounters, now: Instant, why: &str) {
        c.dropped += 1;
        if let Some(n) = self.drop_log.allow(now) {
            warn!(
                "{} {}: line dropped ({why}); {} dropped so far{n}",
                self.keyword,
                self.path.display(),
                c.dropped
            );
        }
    }

    /// Write what waits, as far as the pipe takes it.
    fn flush(&mut self, c: &mut FifoCounters, now: Instant) {
        while let Some(front) = self.queue.front_mut() {
            match self.file.write(front) {
                Ok(n) if n == front.len() => {
                    self.queued -= n;
                    self.queue.pop_front();
                    c.written += 1;
                }
                Ok(n) => {
                    self.queued -= n;
                    front.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    let gone = self.queue.pop_front().map_or(0, |l| l.len());
                    self.queued -= gone;
                    self.dropped(c, now, &e.to_string());
                }
            }
        }
    }

    /// Close; remove the FIFO if we created it and it is still ours.
    fn close(self) {
        if let Some((dir, name, id)) = &self.created {
            dir.unlink_if(name, *id);
        }
    }
}

/// The notify FIFOs of the configuration in force, and the scripts reading them.
#[derive(Default)]
pub struct Fifos {
    open: Vec<Fifo>,
    /// `_script` children started, reaped as they end.
    scripts: Vec<(&'static str, Child)>,
    /// `fifo_write_vrrp_states_on_reload`.
    pub write_states_on_reload: bool,
    /// Instances whose effective priority changes are written (`notify_priority_changes`
    /// of the instance, else of its sync group, else `vrrp_notify_priority_changes`).
    priority_changes: HashSet<String>,
    /// Last state written per sync group (the runner may report a group state again).
    group_state: HashMap<String, vrrp_fsm::State>,
    /// Sync group of each member instance.
    member_of: HashMap<String, String>,
    counters: FifoCounters,
}

impl Fifos {
    /// Open the FIFOs of `config` (global first, as keepalived) and start their scripts.
    /// A FIFO that cannot be opened is logged, with the line that names it, and left out
    /// (keepalived goes on without it); a script that cannot be prepared (unknown user,
    /// insecure) is an error, as for every script.
    /// `instances` are the configuration's `vrrp_instance`s.
    pub fn open(config: &Config, instances: &[&VrrpInstance]) -> Result<Fifos, PrepareError> {
        let f = &config.global.fifos;
        let mut fifos = Fifos {
            write_states_on_reload: f.write_states_on_reload,
            priority_changes: priority_changes(config, instances),
            member_of: config
                .sync_groups
                .iter()
                .flat_map(|g| g.members.iter().map(|(m, _)| (m.clone(), g.name.clone())))
                .collect(),
            ..Fifos::default()
        };
        let prepared = prepare(config)?;
        for (conf, script) in [&f.global, &f.vrrp].into_iter().zip(prepared) {
            let Some(p) = &conf.path else { continue };
            match Fifo::open(p, owner(p)?) {
                Ok(fifo) => {
                    info!("{} {} open", p.keyword, p.path.display());
                    fifos.open.push(fifo);
                }
                Err(e) => {
                    warn!("{}: unable to open {}: {e}", p.loc, p.keyword);
                    continue;
                }
            }
            if let Some(cmd) = script {
                match cmd.spawn() {
                    Ok(child) => fifos.scripts.push((p.keyword, child)),
                    Err(e) => warn!("{}: {}_script could not run: {e}", p.loc, p.keyword),
                }
            }
        }
        Ok(fifos)
    }

    /// Instance `name` entered `to` with effective priority `priority`.
    /// A member's first BACKUP or FAULT comes after its group's line, as keepalived's
    /// `vrrp_init_state` writes a group's initial state before its members'.
    pub fn on_state(&mut self, name: &str, to: vrrp_fsm::State, priority: u8) {
        let Some(w) = Word::of_state(to) else {
            return;
        };
        if matches!(w, Word::Backup | Word::Fault) {
            if let Some(g) = self.member_of.get(name).cloned() {
                if !self.group_state.contains_key(&g) {
                    self.on_group_state(&g, to);
                }
            }
        }
        self.instance(name, w, priority);
    }

    /// Every member of sync group `name` is now in `to` (written once per change).
    pub fn on_group_state(&mut self, name: &str, to: vrrp_fsm::State) {
        if self.group_state.insert(name.to_owned(), to) == Some(to) {
            return;
        }
        if let Some(w) = Word::of_state(to) {
            self.group(name, w);
        }
    }

    /// An event of instance `name`, now in `state` with effective priority `priority`:
    /// `MASTER_RX_LOWER_PRI`, and priority changes where asked for.
    pub fn on_event(
        &mut self,
        name: &str,
        event: vrrp_fsm::Event,
        state: vrrp_fsm::State,
        priority: u8,
    ) {
        match event {
            vrrp_fsm::Event::MasterRxLowerPri { .. } => {
                self.instance(name, Word::MasterRxLowerPri, priority)
            }
            vrrp_fsm::Event::PriorityChanged { new, .. }
                if self.priority_changes.contains(name) =>
            {
                let w = if state == vrrp_fsm::State::Master {
                    Word::MasterPriority
                } else {
                    Word::BackupPriority
                };
                self.instance(name, w, new.0);
            }
            _ => {}
        }
    }

    /// After a reload with `fifo_write_vrrp_states_on_reload`: the state of every sync
    /// group, then of every instance kept that is not master (keepalived's
    /// `vrrp_init_state`: a master instance goes on without a line). `instances` gives
    /// (name, state, effective priority) in file order.
    pub fn reload_states<'a>(
        &mut self,
        groups: impl Iterator<Item = &'a str>,
        instances: impl Iterator<Item = (&'a str, vrrp_fsm::State, u8)>,
    ) {
        if !self.write_states_on_reload {
            return;
        }
        for g in groups {
            if let Some(w) = self.group_state.get(g).copied().and_then(Word::of_state) {
                self.group(g, w);
            }
        }
        for (name, state, prio) in instances {
            if state == vrrp_fsm::State::Master {
                continue;
            }
            if let Some(w) = Word::of_state(state) {
                self.instance(name, w, prio);
            }
        }
    }

    /// Write a line about instance `name`.
    pub fn instance(&mut self, name: &str, word: Word, priority: u8) {
        self.send(&line(false, name, word, priority));
    }

    /// Write a line about sync group `name` (priority 0, as keepalived).
    pub fn group(&mut self, name: &str, word: Word) {
        self.send(&line(true, name, word, 0));
    }

    fn send(&mut self, line: &str) {
        let now = Instant::now();
        for f in &mut self.open {
            f.send(line.as_bytes(), &mut self.counters, now);
        }
    }

    /// Retry waiting lines; reap scripts that ended.
    pub fn poll(&mut self) {
        let now = Instant::now();
        for f in &mut self.open {
            f.flush(&mut self.counters, now);
        }
        self.scripts
            .retain_mut(|(kw, child)| match child.try_wait() {
                Ok(Some(st)) => {
                    info!("{kw}_script terminated ({st})");
                    false
                }
                Ok(None) => true,
                Err(_) => false,
            });
    }

    /// When lines wait for a slow reader: when to try again.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.open
            .iter()
            .any(|f| !f.queue.is_empty())
            .then(|| Instant::now() + RETRY)
    }

    /// Lines written and dropped so far.
    pub fn counters(&self) -> FifoCounters {
        self.counters
    }

    /// Close every FIFO (the last lines tried once more), removing those we created, as
    /// keepalived does at a reload and at exit. Scripts still running are left to end
    /// when they read the end of their FIFO.
    pub fn close(&mut self) {
        self.poll();
        for f in self.open.drain(..) {
            // What the reader never took is lost with the FIFO: counted.
            self.counters.dropped += f.queue.len() as u64;
            f.close();
        }
    }

    /// A reload: close, then open what `config` says (keepalived reopens at every reload,
    /// starting the scripts again). Counters carry on.
    pub fn reload(
        &mut self,
        config: &Config,
        instances: &[&VrrpInstance],
    ) -> Result<(), PrepareError> {
        prepare(config)?;
        self.close();
        let mut new = Fifos::open(config, instances)?;
        new.counters = self.counters;
        new.scripts.append(&mut self.scripts);
        new.group_state = std::mem::take(&mut self.group_state);
        *self = new;
        Ok(())
    }
}

/// Names of the instances whose priority changes are written.
fn priority_changes(config: &Config, instances: &[&VrrpInstance]) -> HashSet<String> {
    let global = config.global.fifos.notify_priority_changes;
    instances
        .iter()
        .filter(|i| {
            i.notify_priority_changes.unwrap_or_else(|| {
                config
                    .sync_groups
                    .iter()
                    .find(|g| g.members.iter().any(|(m, _)| *m == i.name))
                    .and_then(|g| g.notify_priority_changes)
                    .unwrap_or(global)
            })
        })
        .map(|i| i.name.clone())
        .collect()
}

/// The `_script` commands of `config` (global, vrrp), each with the FIFO's name as last
/// argument; None where there is no script.
fn prepare(config: &Config) -> Result<[Option<crate::scripts::CommandSpec>; 2], PrepareError> {
    let f = &config.global.fifos;
    let mut env = None;
    let mut one = |conf: &FifoConf| -> Result<_, PrepareError> {
        let (Some(p), Some(s)) = (&conf.path, &conf.script) else {
            return Ok(None);
        };
        if env.is_none() {
            env = Some(ScriptEnv::from_globals(&config.global).map_err(PrepareError::at(&s.loc))?);
        }
        let env = env.as_ref().expect("set above");
        let what = format!("{}_script", p.keyword);
        let cmd = env
            .prepare(&what, &s.command, s.user.as_ref())
            .map_err(PrepareError::at(&s.loc))?;
        if let Some(w) = &cmd.warning {
            warn!("{}: {w}", s.loc);
        }
        Ok(Some(cmd.with_args([p.path.display().to_string()])))
    };
    Ok([one(&f.global)?, one(&f.vrrp)?])
}

/// The owner (uid, gid) given to FIFO `p` if we create it, when not ourselves: its
/// `USER [GROUP]`, else the default script user. An unknown user is an error (keepalived
/// ignores the FIFO).
fn owner(p: &FifoPath) -> Result<Option<(u32, u32)>, PrepareError> {
    let owner = match &p.user {
        Some(pair) => RunAs::from_pair(&format!("{} user", p.keyword), pair)
            .map_err(PrepareError::at(&p.loc))?,
        None => RunAs::default_for_scripts(),
    };
    Ok(owner.is_switch().then_some((owner.uid, owner.gid)))
}

/// `vrrpd -t`: the FIFOs' users and scripts prepared as the daemon would, running none.
pub fn check(config: &Config) -> Result<(), PrepareError> {
    for p in config.global.fifos.configured() {
        owner(p)?;
    }
    prepare(config).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_lines() {
        assert_eq!(
            line(false, "VI_1", Word::Master, 100),
            "INSTANCE \"VI_1\" MASTER 100\n"
        );
        assert_eq!(line(true, "G", Word::Stop, 0), "GROUP \"G\" STOP 0\n");
        assert_eq!(
            line(false, "x", Word::BackupPriority, 90),
            "INSTANCE \"x\" BACKUP_PRIORITY 90\n"
        );
    }

    #[test]
    fn notify_priority_changes_instance_then_group_then_global() {
        let inst = |name: &str, vrid: u8, extra: &str| {
            format!(
                "vrrp_instance {name} {{\n interface lo\n virtual_router_id {vrid}\n {extra}\n                  virtual_ipaddress {{\n  192.0.2.{vrid}\n }}\n}}\n"
            )
        };
        let text = format!(
            "global_defs {{\n vrrp_notify_priority_changes\n}}\n\
             vrrp_sync_group G {{\n group {{\n  A\n  B\n }}\n notify_priority_changes false\n}}\n\
             {}{}{}",
            inst("A", 1, ""),
            inst("B", 2, "notify_priority_changes"),
            inst("C", 3, "")
        );
        let b = crate::config::parse(std::path::Path::new("t.conf"), &text).unwrap();
        let instances: Vec<&VrrpInstance> = b.config.instances.iter().collect();
        let set = priority_changes(&b.config, &instances);
        let mut got: Vec<&str> = set.iter().map(String::as_str).collect();
        got.sort();
        assert_eq!(
            got,
            ["B", "C"],
            "A: its group says no; B: itself; C: global_defs"
        );
    }

    fn fifo_in(dir: &std::path::Path) -> FifoPath {
        FifoPath {
            keyword: "vrrp_notify_fifo",
            path: dir.join("n.fifo"),
            user: None,
            loc: crate::config::Loc {
                file: std::sync::Arc::new("t.conf".into()),
                line: 1,
            },
        }
    }

    #[test]
    fn a_reader_that_never_reads_costs_dropped_lines_not_a_block() {
        let dir = tempdir();
        let p = fifo_in(&dir);
        let mut f = Fifo::open(&p, None).unwrap();
        assert!(f.created.is_some());
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let meta = std::fs::symlink_metadata(&p.path).unwrap();
        assert!(meta.file_type().is_fifo());
        assert_eq!(
            meta.permissions().mode() & 0o7777,
            0o600,
            "keepalived's mode"
        );
        let mut c = FifoCounters::default();
        let l = line(false, "VI_1", Word::Master, 100);
        let t = Instant::now();
        let n = 10_000u64;
        for _ in 0..n {
            f.send(l.as_bytes(), &mut c, Instant::now());
        }
        eprintln!(
            "{n} lines to an unread FIFO in {:?}: {} written, {} dropped, {} bytes queued",
            t.elapsed(),
            c.written,
            c.dropped,
            f.queued
        );
        assert!(c.dropped > 0);
        assert_eq!(c.written + c.dropped + f.queue.len() as u64, n);
        assert!(f.queued <= MAX_QUEUED);
        f.close();
        assert!(!p.path.exists(), "the FIFO we created is removed at close");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_existing_fifo_is_used_and_kept_and_a_regular_file_refused() {
        let dir = tempdir();
        let p = fifo_in(&dir);
        nix::unistd::mkfifo(&p.path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        let f = Fifo::open(&p, None).unwrap();
        assert!(f.created.is_none());
        f.close();
        assert!(p.path.exists(), "a FIFO we did not create stays");
        std::fs::remove_file(&p.path).unwrap();
        std::fs::write(&p.path, "x").unwrap();
        let e = Fifo::open(&p, None)
            .err()
            .expect("a regular file is refused");
        assert!(e.to_string().contains("not a FIFO"), "{e}");
        std::fs::remove_file(&p.path).unwrap();
        std::os::unix::fs::symlink("/dev/null", &p.path).unwrap();
        let e = Fifo::open(&p, None).err().expect("a symlink is refused");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempdir() -> std::path::PathBuf {
        use std::os::unix::fs::DirBuilderExt;
        let d = std::env::temp_dir().join(format!(
            "vrrpd-fifo-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::DirBuilder::new().mode(0o700).create(&d).unwrap();
        d
    }
}
