//! `vrrp_track_process NAME { ... }` blocks and the `track_process { NAME [weight N
//! [reverse|noreverse]] }` lists of `vrrp_instance` and `vrrp_sync_group`, with keepalived
//! 2.2.7's meanings (`vrrp_parser.c` `vrrp_tprocess_*`, `vrrp_track.c`
//! `alloc_track_process`).
//!
//! Where keepalived reports a bad value and goes on without it, vrrpd refuses the file at
//! that line (a tracked process silently missing its quorum or weight is an outage); where
//! keepalived drops a reference (an unknown or duplicate `track_process` name), vrrpd warns
//! at the line and drops it too.

use std::time::Duration;

use vrrp_fsm::{ConfigBuilder, Track, MAX_WEIGHT};

use super::build::{block_name, weight};
use super::error::{ConfigError, Warning};
use super::source::Loc;
use super::tree::Statement;
use super::values::{int_arg, int_in, no_args, seconds_arg};

/// How the parameters of a `process` line are compared with a process's command line
/// (keepalived `param_match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamMatch {
    /// No parameters compared (only the name).
    None,
    /// The parameters are exactly those written (the default when parameters are written).
    Exact,
    /// The process's parameters begin with those written, each whole.
    Partial,
    /// As `Partial`, but the last one written may be the beginning of the process's.
    Initial,
}

/// `vrrp_track_process NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackProcess {
    /// Its name, referenced from `track_process`.
    pub name: String,
    /// `process NAME`: matched against the process's `comm` (its first 15 bytes, as the
    /// kernel keeps it), or against argv\[0\] with `full_command` / parameters.
    pub process: String,
    /// `process NAME PARAMS...`: the parameters, each whole.
    pub params: Vec<String>,
    /// `param_match` (`Exact` when parameters are written without it).
    pub param_match: ParamMatch,
    /// Match the command line (argv) rather than `comm`: `full_command`, `param_match`, or
    /// parameters written.
    pub full_command: bool,
    /// `weight N` (-254..=254, default 0: losing the quorum means FAULT).
    pub weight: i32,
    /// `weight N reverse`.
    pub weight_reverse: bool,
    /// `quorum N`: fewest matching processes for the quorum (default 1; 0 with
    /// `quorum_max 0`).
    pub quorum: u32,
    /// `quorum_max N`: most matching processes for the quorum (default: no limit).
    pub quorum_max: u32,
    /// `fork_delay` (or `delay`): how long a quorum gained by a fork of a tracked process
    /// waits before it counts.
    pub fork_delay: Duration,
    /// `terminate_delay` (or `delay`): how long a quorum lost by a process's exit waits
    /// before it counts.
    pub terminate_delay: Duration,
    /// Where the block starts.
    pub loc: Loc,
}

impl TrackProcess {
    /// keepalived's rule: the quorum holds with `quorum <= n <= quorum_max` processes.
    pub fn quorum_holds(&self, n: u32) -> bool {
        self.quorum <= n && n <= self.quorum_max
    }
}

/// A `track_process` line as written in an instance or a sync group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRef {
    /// The `vrrp_track_process` name.
    pub name: String,
    /// `weight N` (None: the block's).
    pub weight: Option<i32>,
    /// `reverse` / `noreverse` after the weight (None: the block's).
    pub reverse: Option<bool>,
    /// Where it is written.
    pub loc: Loc,
}

/// A `track_process` line resolved to the router's track index (its weight is in the
/// router's [`vrrp_fsm::Track`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessTrack {
    /// The `vrrp_track_process` name.
    pub process: String,
    /// Index into the router's tracks.
    pub index: usize,
    /// The weight in force, as written (before `reverse` is applied), for the dump.
    pub weight: i32,
    /// keepalived `weight N reverse` (the router's track is reversed: vrrp-fsm's rule).
    pub reverse: bool,
}

/// The longest delay keepalived takes (3600 s).
const MAX_DELAY_SECS: f64 = 3600.0;

/// `vrrp_track_process NAME { ... }`.
pub(super) fn block(stmt: &Statement) -> Result<TrackProcess, ConfigError> {
    let name = block_name(stmt)?;
    let mut p = TrackProcess {
        name,
        process: String::new(),
        params: Vec::new(),
        param_match: ParamMatch::None,
        full_command: false,
        weight: 0,
        weight_reverse: false,
        quorum: 1,
        quorum_max: u32::MAX,
        fork_delay: Duration::ZERO,
        terminate_delay: Duration::ZERO,
        loc: stmt.loc.clone(),
    };
    let mut quorum_written: Option<&Statement> = None;
    let mut quorum_max_written: Option<&Statement> = None;
    let mut written_match = None;
    let mut seen: Vec<&str> = Vec::new();
    for s in stmt.children() {
        let kw = s.keyword.as_str();
        if seen.contains(&kw) {
            return Err(ConfigError::invalid(
                &s.loc,
                format!("vrrp_track_process {}: '{kw}' written twice", p.name),
            ));
        }
        seen.push(kw);
        match kw {
            "process" => {
                let Some((first, rest)) = s.args.split_first() else {
                    return Err(ConfigError::invalid(&s.loc, "'process' needs a name"));
                };
                p.process = first.clone();
                p.params = rest.to_vec();
            }
            "param_match" => {
                written_match = Some(match s.args.as_slice() {
                    [] => ParamMatch::Exact,
                    [m] if m == "initial" => ParamMatch::Initial,
                    [m] if m == "partial" => ParamMatch::Partial,
                    _ => {
                        return Err(ConfigError::invalid(
                            &s.loc,
                            "'param_match' takes nothing (exact), 'initial' or 'partial'",
                        ))
                    }
                });
            }
            "weight" => (p.weight, p.weight_reverse) = weight(s)?,
            "quorum" => {
                p.quorum = int_arg(s, 1u32, 65_535)?;
                quorum_written = Some(s);
            }
            "quorum_max" => {
                p.quorum_max = int_arg(s, 0u32, 65_535)?;
                quorum_max_written = Some(s);
            }
            "delay" => {
                p.fork_delay = delay(s)?;
                p.terminate_delay = p.fork_delay;
            }
            "fork_delay" => p.fork_delay = delay(s)?,
            "terminate_delay" => p.terminate_delay = delay(s)?,
            "full_command" => {
                no_args(s)?;
                p.full_command = true;
            }
            _ => {
                return Err(ConfigError::invalid(
                    &s.loc,
                    format!("unknown keyword '{kw}' in vrrp_track_process"),
                ))
            }
        }
    }
    if p.process.is_empty() {
        // keepalived: "track process '%s' process name not specified", block dropped.
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!("track process '{}' process name not specified", p.name),
        ));
    }
    // keepalived: parameters mean the command line, compared exactly unless said otherwise;
    // `param_match` alone means the command line too.
    p.param_match = match (written_match, p.params.is_empty()) {
        (Some(m), _) => m,
        (None, false) => ParamMatch::Exact,
        (None, true) => ParamMatch::None,
    };
    if p.param_match != ParamMatch::None {
        p.full_command = true;
    }
    if let Some(max) = quorum_max_written {
        if p.quorum_max == 0 {
            // keepalived: `quorum_max 0` tracks that no such process runs (quorum 0); a
            // quorum above 1 written with it is refused there ("quorum_max is less than
            // quorum").
            if p.quorum > 1 {
                return Err(ConfigError::invalid(
                    &max.loc,
                    format!("quorum_max is less than quorum ({})", p.quorum),
                ));
            }
            p.quorum = 0;
        } else if p.quorum > p.quorum_max {
            let at = quorum_written.unwrap_or(max);
            return Err(ConfigError::invalid(
                &at.loc,
                format!(
                    "vrrp_track_process {}: quorum {} is greater than quorum_max {}",
                    p.name, p.quorum, p.quorum_max
                ),
            ));
        }
    }
    Ok(p)
}

/// The kernel keeps 15 bytes of a process's name (`comm`): a longer `process` name,
/// matched against it, never matches. keepalived 2.2.7 says nothing; vrrpd warns.
pub(super) fn comm_warning(p: &TrackProcess) -> Option<String> {
    (!p.full_command && p.process.len() > COMM_LEN).then(|| {
        format!(
            "vrrp_track_process {}: process name '{}' is longer than the {COMM_LEN} bytes the              kernel keeps of a process name and never matches; use full_command",
            p.name, p.process
        )
    })
}

/// The bytes of a process name the kernel keeps (TASK_COMM_LEN less its NUL).
const COMM_LEN: usize = 15;

/// `delay` / `fork_delay` / `terminate_delay`: 0.000001 to 3600 seconds.
fn delay(s: &Statement) -> Result<Duration, ConfigError> {
    let d = seconds_arg(s, MAX_DELAY_SECS)?;
    if d.is_zero() {
        return Err(ConfigError::invalid(
            &s.loc,
            format!("'{}' must be from 0.000001 to 3600 seconds", s.keyword),
        ));
    }
    Ok(d)
}

/// `track_process { NAME [weight N [reverse|noreverse]] ... }`.
pub(super) fn refs(stmt: &Statement) -> Result<Vec<ProcessRef>, ConfigError> {
    let mut out = Vec::new();
    for s in stmt.children() {
        if s.block.is_some() {
            return Err(ConfigError::invalid(
                &s.loc,
                format!("unexpected block after '{}'", s.keyword),
            ));
        }
        let (weight, reverse) = match s.args.as_slice() {
            [] => (None, None),
            [kw, w] if kw == "weight" => (Some(int_in(s, w, -MAX_WEIGHT, MAX_WEIGHT)?), None),
            [kw, w, r] if kw == "weight" && (r == "reverse" || r == "noreverse") => (
                Some(int_in(s, w, -MAX_WEIGHT, MAX_WEIGHT)?),
                Some(r == "reverse"),
            ),
            _ => {
                return Err(ConfigError::invalid(
                    &s.loc,
                    format!(
                        "'{}': expected NAME [weight N [reverse|noreverse]]",
                        s.keyword
                    ),
                ))
            }
        };
        out.push(ProcessRef {
            name: s.keyword.clone(),
            weight,
            reverse,
            loc: s.loc.clone(),
        });
    }
    Ok(out)
}

/// Drop, with keepalived's warnings, the references of `owner` (an instance or sync group
/// name) naming no `vrrp_track_process`, and the repeated ones.
pub(super) fn resolve(
    owner: &str,
    refs: &mut Vec<ProcessRef>,
    known: &[TrackProcess],
    warnings: &mut Vec<Warning>,
) {
    let mut kept: Vec<ProcessRef> = Vec::with_capacity(refs.len());
    for r in refs.drain(..) {
        let message = if !known.iter().any(|p| p.name == r.name) {
            format!("({owner}) track process {} not found, ignoring...", r.name)
        } else if kept.iter().any(|k| k.name == r.name) {
            format!("({owner}) duplicate track_process {} - ignoring", r.name)
        } else {
            kept.push(r);
            continue;
        };
        warnings.push(Warning {
            loc: r.loc.clone(),
            message,
        });
    }
    *refs = kept;
}

/// Add a sync group's `track_process` lines to a member's (keepalived
/// `add_vrrp_to_track_process`): a process the member already tracks keeps the member's
/// line, with the group's weight unless the member's weight is 0. Every reference names a
/// known process.
pub(super) fn merge_group(
    member: &mut Vec<ProcessRef>,
    group: &[ProcessRef],
    known: &[TrackProcess],
) {
    let weight = |r: &ProcessRef| {
        r.weight
            .or_else(|| known.iter().find(|p| p.name == r.name).map(|p| p.weight))
            .unwrap_or(0)
    };
    for g in group {
        match member.iter_mut().find(|m| m.name == g.name) {
            Some(m) => {
                if weight(m) != 0 {
                    m.weight = Some(weight(g));
                }
            }
            None => member.push(g.clone()),
        }
    }
}

/// Add the router's tracks for `refs` (each names a known process), from track index
/// `first` on; which track index each process feeds.
pub(super) fn tracks(
    mut b: ConfigBuilder,
    refs: &[ProcessRef],
    known: &[TrackProcess],
    first: usize,
) -> (ConfigBuilder, Vec<ProcessTrack>) {
    let mut out = Vec::new();
    for r in refs {
        let Some(p) = known.iter().find(|p| p.name == r.name) else {
            continue;
        };
        let weight = r.weight.unwrap_or(p.weight);
        let reverse = r.reverse.unwrap_or(p.weight_reverse);
        b = b.track(Track::new(weight).reversed(reverse));
        out.push(ProcessTrack {
            process: p.name.clone(),
            index: first + out.len(),
            weight,
            reverse,
        });
    }
    (b, out)
}

/// Cross-references, once the whole file is read: each instance's and sync group's
/// `track_process` lines lose those naming no `vrrp_track_process` (with keepalived's
/// warning), then each member of a group gets the group's lines.
pub(super) fn apply_groups(
    drafts: &mut [super::router::Draft],
    groups: &mut [super::model::SyncGroup],
    known: &[TrackProcess],
    warnings: &mut Vec<Warning>,
) {
    for d in drafts.iter_mut() {
        resolve(&d.name, &mut d.track_processes, known, warnings);
    }
    for g in groups.iter_mut() {
        resolve(&g.name, &mut g.track_processes, known, warnings);
        for (member, _) in &g.members {
            if let Some(d) = drafts.iter_mut().find(|d| d.name == *member) {
                merge_group(&mut d.track_processes, &g.track_processes, known);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse, Built};
    use std::path::Path;

    const INSTANCE: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
        virtual_ipaddress {\n  192.0.2.10/24\n }\n";

    fn ok(text: &str) -> Built {
        parse(Path::new("t.conf"), text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn err(text: &str) -> String {
        match parse(Path::new("t.conf"), text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn block_defaults_and_keywords() {
        let b = ok("vrrp_track_process P {\n process sleep\n}\n");
        let p = &b.config.processes[0];
        assert_eq!(p.name, "P");
        assert_eq!(p.process, "sleep");
        assert!(!p.full_command && p.params.is_empty());
        assert_eq!(p.param_match, ParamMatch::None);
        assert_eq!((p.quorum, p.quorum_max, p.weight), (1, u32::MAX, 0));
        assert!(p.quorum_holds(1) && p.quorum_holds(9) && !p.quorum_holds(0));

        let b = ok(
            "vrrp_track_process P {\n process /usr/bin/sleep 1000 x\n weight -10 reverse\n \
             quorum 2\n quorum_max 3\n fork_delay 0.5\n terminate_delay 2\n}\n",
        );
        let p = &b.config.processes[0];
        assert_eq!(p.params, ["1000", "x"]);
        assert_eq!(p.param_match, ParamMatch::Exact);
        assert!(p.full_command && p.weight_reverse);
        assert_eq!((p.weight, p.quorum, p.quorum_max), (-10, 2, 3));
        assert_eq!(p.fork_delay, Duration::from_millis(500));
        assert_eq!(p.terminate_delay, Duration::from_secs(2));

        let b =
            ok("vrrp_track_process P {\n process sleep 10\n param_match initial\n delay 1\n}\n");
        let p = &b.config.processes[0];
        assert_eq!(p.param_match, ParamMatch::Initial);
        assert_eq!(
            (p.fork_delay, p.terminate_delay),
            (Duration::from_secs(1), Duration::from_secs(1))
        );

        let b = ok("vrrp_track_process P {\n process /usr/sbin/haproxy-wrapper\n}\n");
        assert_eq!(b.warnings.len(), 1);
        assert!(b.warnings[0]
            .to_string()
            .starts_with("t.conf:1: warning: vrrp_track_process P: process name"));
        let b = ok("vrrp_track_process P {\n process sleep\n full_command\n}\n");
        assert!(b.config.processes[0].full_command);
        assert_eq!(b.config.processes[0].param_match, ParamMatch::None);

        // keepalived: quorum_max 0 means "no such process runs".
        let b = ok("vrrp_track_process P {\n process sleep\n quorum_max 0\n}\n");
        let p = &b.config.processes[0];
        assert_eq!((p.quorum, p.quorum_max), (0, 0));
        assert!(p.quorum_holds(0) && !p.quorum_holds(1));
    }

    #[test]
    fn bad_blocks_are_refused_at_their_line() {
        let e = err("vrrp_track_process P {\n weight 2\n}\n");
        assert_eq!(e, "t.conf:1: track process 'P' process name not specified");
        let e = err("vrrp_track_process P {\n process a\n quorum 3\n quorum_max 2\n}\n");
        assert_eq!(
            e,
            "t.conf:3: vrrp_track_process P: quorum 3 is greater than quorum_max 2"
        );
        let e = err("vrrp_track_process P {\n process a\n param_match most\n}\n");
        assert!(e.starts_with("t.conf:3: 'param_match' takes"), "{e}");
        let e = err("vrrp_track_process P {\n process a\n quorum 0\n}\n");
        assert!(
            e.starts_with("t.conf:3: 'quorum' must be an integer from 1 to 65535"),
            "{e}"
        );
        let e = err("vrrp_track_process P {\n process a\n weight 255\n}\n");
        assert!(e.starts_with("t.conf:3: 'weight'"), "{e}");
        let e = err("vrrp_track_process P {\n process a\n terminate_delay 0\n}\n");
        assert!(e.starts_with("t.conf:3: 'terminate_delay' must be"), "{e}");
        let e = err("vrrp_track_process P {\n process a\n process b\n}\n");
        assert_eq!(e, "t.conf:3: vrrp_track_process P: 'process' written twice");
        let e = err("vrrp_track_process P {\n process a\n nice 3\n}\n");
        assert_eq!(e, "t.conf:3: unknown keyword 'nice' in vrrp_track_process");
        let e =
            err("vrrp_track_process P {\n process a\n}\nvrrp_track_process P {\n process b\n}\n");
        assert!(
            e.starts_with("t.conf:4: vrrp_track_process P already defined at t.conf:1"),
            "{e}"
        );
        let e = err(&format!(
            "{INSTANCE} track_process {{\n  P weight x\n }}\n}}\n"
        ));
        assert!(
            e.starts_with("t.conf:8: 'P' must be an integer from -254"),
            "{e}"
        );
        let e = err(&format!(
            "{INSTANCE} track_process {{\n  P reverse\n }}\n}}\n"
        ));
        assert!(e.starts_with("t.conf:8: 'P': expected NAME"), "{e}");
    }

    #[test]
    fn instance_lines_resolve_to_router_tracks() {
        let b = ok(&format!(
            "vrrp_track_process A {{\n process a\n weight 5\n}}\n\
             vrrp_track_process B {{\n process b\n weight 7 reverse\n}}\n\
             {INSTANCE} track_interface {{\n  eth1\n }}\n track_process {{\n  A\n  B weight 3 noreverse\n  \
             A\n  C\n }}\n}}\n"
        ));
        let i = &b.config.instances[0];
        assert_eq!(
            i.process_tracks,
            [
                ProcessTrack {
                    process: "A".into(),
                    index: 1,
                    weight: 5,
                    reverse: false
                },
                ProcessTrack {
                    process: "B".into(),
                    index: 2,
                    weight: 3,
                    reverse: false
                },
            ]
        );
        let weights: Vec<i32> = i.router.tracks().iter().map(|t| t.weight).collect();
        assert_eq!(weights, [0, 5, 3]);
        let w: Vec<String> = b.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            w.iter()
                .any(|w| w.contains("(VI_1) duplicate track_process A - ignoring")),
            "{w:?}"
        );
        assert!(
            w.iter()
                .any(|w| w.contains("(VI_1) track process C not found, ignoring...")),
            "{w:?}"
        );

        // reverse from the block: the router's track is reversed.
        let b = ok(&format!(
            "vrrp_track_process B {{\n process b\n weight 7 reverse\n}}\n\
             {INSTANCE} track_process {{\n  B\n }}\n}}\n"
        ));
        let i = &b.config.instances[0];
        assert!(i.process_tracks[0].reverse);
        assert_eq!(i.router.tracks()[0], Track::new(7).reversed(true));
    }

    #[test]
    fn sync_group_lines_reach_every_member() {
        let second = INSTANCE.replace("VI_1", "VI_2").replace(" 51\n", " 52\n");
        let b = ok(&format!(
            "vrrp_track_process A {{\n process a\n}}\n\
             vrrp_track_process B {{\n process b\n}}\n\
             {INSTANCE} track_process {{\n  B weight 4\n }}\n}}\n{second}}}\n\
             vrrp_sync_group G {{\n group {{\n  VI_1\n  VI_2\n }}\n track_process {{\n  A\n  \
             B weight 9\n }}\n}}\n"
        ));
        let one = &b.config.instances[0].process_tracks;
        let two = &b.config.instances[1].process_tracks;
        let names = |t: &[ProcessTrack]| {
            t.iter()
                .map(|t| (t.process.clone(), t.weight))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(one), [("B".to_string(), 9), ("A".to_string(), 0)]);
        assert_eq!(names(two), [("A".to_string(), 0), ("B".to_string(), 9)]);
        assert_eq!(b.config.sync_groups[0].track_processes.len(), 2);
    }
}
