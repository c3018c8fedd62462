//! The daemon: keepalived.conf → planned instances → one [`Runner`]; the event loop that
//! also serves notify and check scripts, signals (TERM/INT stop, HUP reload, USR1 dump) and
//! the control socket.

mod commands;
mod conns;
pub mod control;
pub mod fifo;
pub mod files;
mod group_hooks;
mod hooks;
pub mod logging;
pub mod metrics;
pub mod names;
pub mod plan;
pub mod process;
pub mod rate_limit;
mod reload;
pub mod signals;
mod statics;
pub mod status;
pub mod track_file;
mod words;

use std::path::PathBuf;
use std::time::Duration;

use log::{error, info, warn};
use mio::Interest;
use mio::Token;
use vrrp_fsm::InstanceId;
use vrrp_net::{Happening, NetError, Runner, FIRST_USER_TOKEN};
use vrrp_proto::ChecksumForm;

use crate::config::{self, Config, FileTrack, Notify, ProcessTrack, ScriptTrack, VrrpInstance};
use control::ControlSocket;
use hooks::Hooks;
pub use hooks::{check_scripts, PrepareError};
use signals::{Signal, Signals};

/// While instances are handed to the runner at start, the list of those left is shrunk
/// every this many.
const RELEASE_EVERY: usize = 64;
/// While instances are started, what they report is handled every this many happenings.
const HANDLE_EVERY: usize = 64;

const CONTROL: Token = Token(FIRST_USER_TOKEN);
const METRICS: Token = Token(FIRST_USER_TOKEN + 1);
/// The daemon's signals (TERM/INT stop, HUP reload, USR1 dump), in the runner's poll.
const SIGNALS: Token = Token(FIRST_USER_TOKEN + 2);
/// Deletions of tracked static routes and rules (statics.rs).
const STATICS: Token = Token(FIRST_USER_TOKEN + 3);
/// The `track_file` inotify descriptor (track_file.rs).
const TRACK_FILES: Token = Token(FIRST_USER_TOKEN + 9);
/// Tracked processes' pidfds use tokens from here ([`process::MAX_WATCHED`] of them).
const FIRST_PROCESS: usize = FIRST_USER_TOKEN + (1 << 20);
/// Client connections use tokens from here: the control socket's pool, then the metrics'.
const FIRST_CLIENT: usize = FIRST_USER_TOKEN + 16;

/// How long SIGTERM waits for `notify_stop` scripts before exiting anyway.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Command-line settings of a daemon run.
#[derive(Debug, Clone)]
pub struct Options {
    /// keepalived.conf.
    pub config: PathBuf,
    /// Control socket path.
    pub control: PathBuf,
    /// Where SIGUSR1 writes the state dump ([`files::DEFAULT_DUMP_FILE`]; keepalived:
    /// /tmp/keepalived.data).
    pub dump_file: PathBuf,
    /// `--metrics-listen`: serve Prometheus text on this address (off when None).
    pub metrics: Option<std::net::SocketAddr>,
    /// How the configuration language is read (`-i`, `-e`), at start and at each reload.
    pub lang: config::LangOptions,
    /// `-s`: the network namespace, whatever `net_namespace` says.
    pub namespace_override: Option<String>,
    /// `net_namespace` and `instance` at start (with `-s` applied): a reload may not change
    /// them (keepalived: "Cannot change network namespace at a reload - please restart").
    pub naming: config::naming::Naming,
}

/// Why the daemon could not start (after start, errors are logged and it keeps running).
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The configuration is invalid.
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    /// An instance cannot run on this system (no such interface, no address).
    #[error("{0}")]
    Plan(#[from] plan::PlanError),
    /// Sockets, netlink.
    #[error("{0}")]
    Net(#[from] NetError),
    /// The runner could not take an instance (an interface missing...), worded with the
    /// line that needs it.
    #[error("{0}")]
    Start(String),
    /// Control socket, metrics listener, signal handlers.
    #[error("{what}: {source}")]
    Io {
        /// What was attempted.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A script could not be prepared (unknown user, insecure script).
    #[error("{0}")]
    Script(#[from] PrepareError),
}

/// The daemon's layer of one running `vrrp_instance`: what its hooks, tracked scripts and
/// reloads need, and its index in the runner. The rest of the instance (router
/// configuration, interface, VIPs, peers) is the runner's alone, from [`plan::spec`]: the
/// checked [`VrrpInstance`] is dropped once the runner has it.
#[derive(Debug, Clone)]
struct Slot {
    name: String,
    /// Its notify hooks, None when it has none (most instances, at scale).
    notify: Option<Box<Notify>>,
    script_tracks: Vec<ScriptTrack>,
    file_tracks: Vec<FileTrack>,
    process_tracks: Vec<ProcessTrack>,
    notify_master_refresh: Option<Duration>,
    index: InstanceId,
}

impl Slot {
    /// What the daemon keeps of `model`, run by the runner as instance `index`.
    fn new(model: VrrpInstance, index: InstanceId) -> Slot {
        Slot {
            name: model.name,
            notify: (model.notify != Notify::default()).then(|| Box::new(model.notify)),
            script_tracks: model.script_tracks,
            file_tracks: model.file_tracks,
            process_tracks: model.process_tracks,
            notify_master_refresh: model.notify_master_refresh,
            index,
        }
    }
}

/// The running daemon.
pub struct Daemon {
    opts: Options,
    runner: Runner,
    /// SIGTERM, SIGINT, SIGHUP, SIGUSR1 (the daemon's, not the runner's).
    signals: Signals,
    /// Set by SIGTERM / SIGINT: stop after this turn.
    stopping: bool,
    /// keepalived's words for what the runner reports, rate-limited where a packet can
    /// cause them.
    words: words::Words,
    control: ControlSocket,
    metrics: Option<metrics::MetricsServer>,
    /// Control-socket clients (their own pool: see [`conns`]).
    control_clients: conns::Conns,
    /// Metrics clients (their own pool).
    metrics_clients: conns::Conns,
    config: Config,
    /// `static_ipaddress`, `static_routes`, `static_rules`.
    statics: statics::Statics,
    slots: Vec<Slot>,
    hooks: Hooks,
    /// `notify_fifo`, `vrrp_notify_fifo` (fifo.rs).
    fifos: fifo::Fifos,
    /// `track_file`: the watched files and their values.
    track_files: track_file::TrackFiles,
    /// `vrrp_track_process` counts.
    processes: process::Processes,
    started: std::time::Instant,
    reloads: u64,
    reloads_failed: u64,
    /// Instances drained by `vrrpd drain` (by name: it survives reloads).
    drained: std::collections::BTreeSet<String>,
    /// Last state change of each runner instance: when (Unix ms) and why.
    last_change: std::collections::HashMap<InstanceId, (u64, vrrp_fsm::Reason)>,
    /// `notify_master_refresh`: when each master instance next re-runs notify_master.
    /// The same timer heap as the endpoint's routers (O(log n) per change, no scan).
    refresh: vrrp_fsm::Timers<std::time::Instant, InstanceId>,
}

impl Daemon {
    /// Load the configuration, open everything and start every instance.
    pub fn start(opts: Options) -> Result<Daemon, DaemonError> {
        let mut built = config::load_with(&opts.config, &opts.lang)?;
        for w in &built.warnings {
            warn!("{w}");
        }
        let form = if built.config.global.v3_checksum_as_v2 {
            ChecksumForm::MessageOnly
        } else {
            ChecksumForm::PseudoHeader
        };
        let mut runner = Runner::new(form)?;
        let g = &built.config.global;
        runner.set_announce_intervals(g.garp_interval, g.gna_interval);
        if let Some(bytes) = built.config.global.netlink_monitor_rcv_bufs {
            let force = built.config.global.netlink_monitor_rcv_bufs_force;
            if let Err(e) = runner.set_link_monitor_buffer(bytes as usize, force) {
                warn!("vrrp_netlink_monitor_rcv_bufs: {e}");
            }
        }
        let io = |what: &str| {
            let what = what.to_string();
            move |source| DaemonError::Io { what, source }
        };
        let mut signals = Signals::open().map_err(io("install signal handlers"))?;
        runner
            .registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)
            .map_err(io("register signal handlers"))?;
        let control =
            ControlSocket::bind(&opts.control, runner.registry(), CONTROL).map_err(|source| {
                DaemonError::Io {
                    what: format!("control socket {}", opts.control.display()),
                    source,
                }
            })?;
        let metrics = match opts.metrics {
            Some(addr) => {
                let m = metrics::MetricsServer::bind(addr, runner.registry(), METRICS).map_err(
                    |source| DaemonError::Io {
                        what: format!("metrics listener {addr}"),
                        source,
                    },
                )?;
                if let Ok(a) = m.local_addr() {
                    info!("metrics on http://{a}/metrics");
                }
                Some(m)
            }
            None => None,
        };
        let planned = plan::plan(&mut built.config, |ifname, family| {
            runner.primary_address(ifname, family).ok().flatten()
        })?;
        let models: Vec<&VrrpInstance> = planned.iter().collect();
        let hooks = Hooks::new(&built.config, &models)?;
        let fifos = fifo::Fifos::open(&built.config, &models)?;
        drop(models);
        let processes =
            process::Processes::new(&built.config.processes, runner.registry(), FIRST_PROCESS);
        let mut d = Daemon {
            opts,
            runner,
            signals,
            stopping: false,
            words: Default::default(),
            control,
            metrics,
            control_clients: conns::Conns::new(conns::Kind::Control, FIRST_CLIENT, conns::CONTROL),
            metrics_clients: conns::Conns::new(
                conns::Kind::Metrics,
                FIRST_CLIENT + conns::CONTROL.slots,
                conns::METRICS,
            ),
            config: built.config,
            statics: statics::Statics::open()?,
            slots: Vec::new(),
            hooks,
            fifos,
            track_files: Default::default(),
            processes,
            started: std::time::Instant::now(),
            reloads: 0,
            reloads_failed: 0,
            drained: Default::default(),
            last_change: Default::default(),
            refresh: vrrp_fsm::Timers::new(),
        };
        let mut out = Vec::new();
        d.slots.reserve_exact(planned.len());
        d.runner.reserve(planned.len());
        // In file order, each instance's memory given back as the runner takes it (a
        // thousand take half a MiB, which would otherwise add to the runner's at the peak).
        let mut planned = planned;
        planned.reverse();
        while let Some(model) = planned.pop() {
            let index = d
                .runner
                .add(plan::spec(&model), model.router.clone())
                .map_err(|e| DaemonError::Start(plan::add_error(&model, e)))?;
            d.slots.push(Slot::new(model, index));
            if planned.len() % RELEASE_EVERY == 0 {
                planned.shrink_to_fit();
            }
        }
        d.apply_sync_groups();
        d.feed_checks(&mut out);
        d.watch_track_files(false, &mut out)?;
        d.feed_processes(&mut out);
        // keepalived: the static entries are in before any instance runs.
        d.watch_statics()?;
        d.statics.start(&d.config);
        if let Some(delay) = d.config.global.startup_delay {
            // keepalived `vrrp_startup_delay` (first start only, not at reload).
            info!("Delaying startup for {} seconds", delay.as_secs_f64());
            d.runner.hold_startup(delay);
        }
        // What the starts report is handled as it comes, a batch at a time: a thousand
        // instances' state changes are not all held at once.
        for s in 0..d.slots.len() {
            d.runner.start(d.slots[s].index, &mut out);
            if out.len() >= HANDLE_EVERY {
                d.handle(std::mem::replace(
                    &mut out,
                    Vec::with_capacity(HANDLE_EVERY),
                ));
            }
        }
        d.handle(out);
        info!(
            "vrrpd started: {} instance(s) from {}",
            d.slots.len(),
            d.opts.config.display()
        );
        Ok(d)
    }

    /// Run until SIGTERM / SIGINT; then stop every instance (priority-0 adverts, VIPs
    /// removed), run `notify_stop` scripts and return.
    pub fn run(mut self) -> Result<(), DaemonError> {
        let mut out = Vec::new();
        loop {
            let next = [
                self.hooks.next_deadline(),
                self.fifos.next_deadline(),
                self.processes.next_deadline(),
                self.refresh.next_deadline(),
                self.control_clients.next_deadline(),
                self.metrics_clients.next_deadline(),
            ]
            .into_iter()
            .flatten()
            .min();
            let cap = next.map(|t| t.saturating_duration_since(std::time::Instant::now()));
            self.runner.turn(cap, &mut out)?;
            let batch = std::mem::take(&mut out);
            self.handle(batch);
            self.refresh_masters();
            self.tend_clients();
            let mut checks = Vec::new();
            self.hooks.poll(&mut checks);
            self.fifos.poll();
            self.apply_checks(&checks, &mut out);
            self.poll_processes(&mut out);
            // What the checks and processes changed is handled now (log lines, notify
            // scripts), not after the next wakeup.
            if !out.is_empty() {
                let batch = std::mem::take(&mut out);
                self.handle(batch);
            }
            if self.stopping {
                return self.shutdown();
            }
        }
    }

    /// React to what the runner reported (its lines written first).
    fn handle(&mut self, happenings: Vec<Happening>) {
        for h in happenings {
            self.words.say(&self.runner, &h);
            match h {
                Happening::StateChange {
                    instance,
                    to,
                    priority,
                    reason,
                    ..
                } => {
                    let ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64);
                    self.last_change.insert(instance, (ms, reason));
                    if let Some(s) = self.slot_pos(instance) {
                        match self.slots[s].notify_master_refresh {
                            Some(every) if to == vrrp_fsm::State::Master => {
                                self.refresh
                                    .arm(instance, std::time::Instant::now() + every);
                            }
                            _ => {
                                self.refresh.cancel(instance);
                            }
                        }
                        self.hooks.on_state(&self.slots[s].name, to, priority.0);
                        self.fifos.on_state(&self.slots[s].name, to, priority.0);
                    }
                }
                Happening::Event {
                    instance, event, ..
                } => {
                    if let Some(s) = self.slot_pos(instance) {
                        if let Some(r) = self.runner.router(instance) {
                            let (state, prio) = (r.state(), r.priority().0);
                            self.fifos.on_event(&self.slots[s].name, event, state, prio);
                        }
                        self.hooks.on_event(&self.slots[s].name, event);
                    }
                }
                // Positions in `config.sync_groups`, as given to the runner.
                Happening::GroupState { group, to, .. } => {
                    if let Some(g) = self.config.sync_groups.get(group) {
                        self.hooks.on_group_state(&g.name, to);
                        self.fifos.on_group_state(&g.name, to);
                    }
                }
                Happening::Ready(SIGNALS) => self.on_signals(),
                Happening::Ready(STATICS) => self.statics.on_deleted(),
                Happening::Ready(TRACK_FILES) => {
                    let changed = self.track_files.on_ready();
                    let mut out = Vec::new();
                    self.apply_files(&changed, &mut out);
                    self.handle(out);
                }
                Happening::Ready(t) if self.processes.owns(t) => {
                    self.processes.on_ready(t, self.runner.registry())
                }
                Happening::Ready(token) => self.serve(token),
                Happening::Instance { .. } | Happening::Runner(_) => {}
            }
        }
    }

    /// The signals received: HUP reloads, USR1 dumps, TERM / INT stop after this turn.
    fn on_signals(&mut self) {
        let mut got = Vec::new();
        self.signals.pending(&mut got);
        for sig in got {
            match sig {
                Signal::Hup => self.reload(),
                Signal::Usr1 => self.dump(),
                Signal::Term | Signal::Int => self.stopping = true,
            }
        }
    }

    /// `notify_master_refresh`: re-run notify_master of the masters whose time has come.
    fn refresh_masters(&mut self) {
        let now = std::time::Instant::now();
        // Popped first, re-armed after: a re-armed timer is never due in this same pass.
        let due: Vec<InstanceId> = std::iter::from_fn(|| self.refresh.pop_expired(now)).collect();
        for index in due {
            let Some(s) = self.slot_pos(index) else {
                continue;
            };
            let slot = &self.slots[s];
            if let Some(every) = slot.notify_master_refresh {
                info!(
                    "({}) notify_master_refresh: running notify_master again",
                    slot.name
                );
                self.hooks.rerun_master(&slot.name);
                self.refresh.arm(index, now + every);
            }
        }
    }

    /// Watch deletions if a tracked static route or rule is configured (once).
    fn watch_statics(&mut self) -> Result<(), NetError> {
        if let Some(m) = self.statics.monitor(&self.config)? {
            self.runner
                .registry()
                .register(m, STATICS, Interest::READABLE)
                .map_err(|e| NetError::Socket {
                    op: "epoll_ctl (static route monitor)",
                    interface: None,
                    source: e,
                })?;
        }
        Ok(())
    }

    /// Position in `slots` of runner instance `index`.
    fn slot_pos(&self, index: InstanceId) -> Option<usize> {
        self.slots.iter().position(|s| s.index == index)
    }

    fn apply_sync_groups(&mut self) {
        let groups = self
            .config
            .sync_groups
            .iter()
            .map(|g| {
                g.members
                    .iter()
                    .filter_map(|(m, _)| self.slots.iter().find(|s| s.name == *m).map(|s| s.index))
                    .collect()
            })
            .collect();
        self.runner.set_sync_groups(groups);
    }

    /// Give every instance the current status of the scripts it tracks.
    fn feed_checks(&mut self, out: &mut Vec<Happening>) {
        let all = self.hooks.check_states();
        self.apply_checks(&all, out);
    }

    /// Script `name` is now up/down: tell each instance tracking it.
    fn apply_checks(&mut self, checks: &[(String, bool)], out: &mut Vec<Happening>) {
        for (name, up) in checks {
            for s in &self.slots {
                for t in s.script_tracks.iter().filter(|t| t.script == *name) {
                    self.runner.track(s.index, t.index, *up, out);
                }
            }
        }
    }

    /// (Re)open the `track_file` watches of the configuration in force (on a reload, an
    /// `init_file` does not overwrite), register them and give every instance its files'
    /// values.
    fn watch_track_files(
        &mut self,
        reload: bool,
        out: &mut Vec<Happening>,
    ) -> Result<(), DaemonError> {
        let slots = &self.slots;
        let used = |name: &str| {
            slots
                .iter()
                .any(|s| s.file_tracks.iter().any(|t| t.file == name))
        };
        // The old descriptor, if any, is closed (and so leaves the poll) when replaced.
        self.track_files = track_file::TrackFiles::open(&self.config, used, reload);
        self.track_files
            .register(self.runner.registry(), TRACK_FILES)
            .map_err(|source| DaemonError::Io {
                what: "register track_file watches".into(),
                source,
            })?;
        let all = self.track_files.values();
        self.apply_files(&all, out);
        Ok(())
    }

    /// Tracked file `name` now holds `value`: tell each instance tracking it.
    fn apply_files(&mut self, files: &[(String, i64)], out: &mut Vec<Happening>) {
        for (name, value) in files {
            for s in &self.slots {
                for t in s.file_tracks.iter().filter(|t| t.file == *name) {
                    let status = vrrp_fsm::TrackStatus::Value(*value);
                    self.runner.track_status(s.index, t.index, status, out);
                }
            }
        }
    }

    /// Give every instance the quorum of the processes it tracks.
    fn feed_processes(&mut self, out: &mut Vec<Happening>) {
        let all = self.processes.states();
        self.apply_processes(&all, out);
    }

    /// Read /proc if due, expire the process delays, apply the quorum changes.
    fn poll_processes(&mut self, out: &mut Vec<Happening>) {
        self.processes
            .poll(self.runner.registry(), std::time::Instant::now());
        let mut changes = Vec::new();
        self.processes.take_changes(&mut changes);
        self.apply_processes(&changes, out);
    }

    /// Process block `name` now has (or lacks) its quorum: tell each instance tracking it
    /// (up: quorum; `reverse` is the router track's, vrrp-fsm's rule).
    fn apply_processes(&mut self, changes: &[(String, bool)], out: &mut Vec<Happening>) {
        for (name, up) in changes {
            for s in &self.slots {
                for t in s.process_tracks.iter().filter(|t| t.process == *name) {
                    self.runner.track(s.index, t.index, *up, out);
                }
            }
        }
    }

    fn status(&self) -> status::Status {
        status::Status {
            pid: std::process::id(),
            config: self.opts.config.display().to_string(),
            uptime_s: self.started.elapsed().as_secs_f64(),
            daemon: status::DaemonCounters {
                reloads: self.reloads,
                reloads_failed: self.reloads_failed,
                static_errors: self.statics.errors,
                fifo_lines_written: self.fifos.counters().written,
                fifo_lines_dropped: self.fifos.counters().dropped,
            },
            instances: status::instances(&self.runner, &self.last_change),
            global: status::global(
                &self.runner,
                self.control_clients.counters(),
                self.metrics_clients.counters(),
            ),
            slots: status::slots(&self.runner),
            scripts: self.hooks.status(),
            processes: status::ProcessTracking {
                counters: self.processes.counters,
                blocks: self.processes.status(),
            },
            track_files: self.track_files.status(&self.config),
        }
    }

    /// SIGUSR1: keepalived's state dump, to the dump file (0600, never through a symlink
    /// or into a FIFO: [`files::write_file`]).
    fn dump(&self) {
        let text = status::dump_text(&self.status());
        match files::write_file(&self.opts.dump_file, text.as_bytes(), 0o600) {
            Ok(()) => info!("state written to {}", self.opts.dump_file.display()),
            Err(e) => error!("state dump not written: {e}"),
        }
    }

    /// Stop everything: priority-0 adverts and VIP removal through each router's shutdown,
    /// then `notify_stop`, waiting for the scripts (bounded) before returning.
    fn shutdown(mut self) -> Result<(), DaemonError> {
        let mut out = Vec::new();
        for s in 0..self.slots.len() {
            self.runner.stop(self.slots[s].index, &mut out);
        }
        self.handle(out);
        // keepalived: the static entries go once every instance has stopped.
        self.statics.stop();
        for s in &self.slots {
            let prio = self.runner.router(s.index).map_or(0, |r| r.priority().0);
            self.hooks.on_stop(&s.name, prio);
            self.fifos.instance(&s.name, fifo::Word::Stop, prio);
        }
        for g in &self.config.sync_groups {
            self.fifos.group(&g.name, fifo::Word::Stop);
        }
        self.fifos.close();
        // keepalived (notify_shutdown): the groups' STOP hooks after every instance's.
        self.hooks.on_groups_stop();
        self.hooks.finish(std::time::Instant::now() + STOP_GRACE);
        self.processes.close(self.runner.registry());
        let mut out = Vec::new();
        self.runner.close(&mut out);
        for h in &out {
            self.words.say(&self.runner, h);
        }
        info!("vrrpd stopped");
        Ok(())
    }
}
