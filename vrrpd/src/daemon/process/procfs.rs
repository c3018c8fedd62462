//! One process as /proc shows it, and whether it is a `vrrp_track_process`'s, by keepalived
//! 2.2.7's rules (`track_process.c` `read_procs` / `check_params`):
//!
//! - without `full_command`, the process's `comm` (the kernel's 15-byte name, from
//!   `/proc/PID/stat`) must be the `process` name;
//! - with it (or with parameters or `param_match`), argv\[0\] must be the name, and the
//!   parameters are compared as `param_match` says: `exact`, the same list; `partial`, the
//!   process's list begins with the written one; `initial`, likewise but the last written
//!   parameter may be the beginning of the process's;
//! - a zombie is never counted.
//!
//! Reads are bounded: `stat` up to 512 bytes, `cmdline` up to what the longest configured
//! command needs plus one byte (enough to tell "longer" from "equal"), at most 4 KiB.

use std::io::Read;

use crate::config::{ParamMatch, TrackProcess};

/// At most this much of a `cmdline` is read.
pub const MAX_CMDLINE: usize = 4096;

/// What is read of one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcInfo {
    /// `comm`.
    pub comm: Vec<u8>,
    /// Its parent's pid.
    pub ppid: i32,
    /// State `Z`.
    pub zombie: bool,
    /// The beginning of `cmdline` (argv, each NUL-terminated), if it was read.
    pub cmdline: Option<Vec<u8>>,
}

/// Parse `/proc/PID/stat`: `pid (comm) S ppid ...`; comm may hold spaces and parentheses,
/// so it ends at the last `)`.
pub fn parse_stat(stat: &[u8]) -> Option<(Vec<u8>, bool, i32)> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let comm = stat[open + 1..close].to_vec();
    let rest = std::str::from_utf8(stat.get(close + 1..)?).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((comm, state == "Z", ppid))
}

/// Read process `pid`; `cmdline_len` > 0 reads that much of its command line too. None when
/// it is gone (or unreadable).
pub fn read(pid: i32, cmdline_len: usize) -> Option<ProcInfo> {
    let mut buf = [0u8; 512];
    let n = read_into(&format!("/proc/{pid}/stat"), &mut buf)?;
    let (comm, zombie, ppid) = parse_stat(&buf[..n])?;
    let cmdline = if cmdline_len > 0 && !zombie {
        let mut c = vec![0u8; cmdline_len.min(MAX_CMDLINE)];
        let n = read_into(&format!("/proc/{pid}/cmdline"), &mut c)?;
        c.truncate(n);
        Some(c)
    } else {
        None
    };
    Some(ProcInfo {
        comm,
        ppid,
        zombie,
        cmdline,
    })
}

/// Read up to `buf.len()` bytes of a /proc file (a few reads at most).
fn read_into(path: &str, buf: &mut [u8]) -> Option<usize> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(n)
}

/// How much of a `cmdline` `p` needs read: its name and parameters, each with its NUL,
/// and one byte more (0 when it matches `comm`).
pub fn cmdline_needed(p: &TrackProcess) -> usize {
    if !p.full_command {
        return 0;
    }
    p.process.len() + 1 + p.params.iter().map(|a| a.len() + 1).sum::<usize>() + 1
}

/// Whether the process `info` is one of `p`'s.
pub fn matches(p: &TrackProcess, info: &ProcInfo) -> bool {
    if info.zombie {
        return false;
    }
    if !p.full_command {
        return info.comm == p.process.as_bytes();
    }
    let Some(cmd) = info.cmdline.as_deref() else {
        return false;
    };
    let (argv0, params) = match cmd.iter().position(|&b| b == 0) {
        Some(i) => (&cmd[..i], &cmd[i + 1..]),
        None => (cmd, &[][..]),
    };
    if argv0 != p.process.as_bytes() {
        return false;
    }
    p.param_match == ParamMatch::None || params_match(p, params)
}

/// keepalived's `check_params`: `actual` is the command line after argv\[0\]'s NUL.
fn params_match(p: &TrackProcess, actual: &[u8]) -> bool {
    let mut written = Vec::new();
    for a in &p.params {
        written.extend_from_slice(a.as_bytes());
        written.push(0);
    }
    match p.param_match {
        ParamMatch::None => true,
        ParamMatch::Exact => actual == written.as_slice(),
        ParamMatch::Partial => actual.starts_with(&written),
        ParamMatch::Initial => {
            written.pop();
            actual.starts_with(&written)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn proc(process: &str, params: &[&str], m: ParamMatch, full: bool) -> TrackProcess {
        TrackProcess {
            name: "P".into(),
            process: process.into(),
            params: params.iter().map(|s| s.to_string()).collect(),
            param_match: m,
            full_command: full || m != ParamMatch::None,
            weight: 0,
            weight_reverse: false,
            quorum: 1,
            quorum_max: u32::MAX,
            fork_delay: Duration::ZERO,
            terminate_delay: Duration::ZERO,
            loc: crate::config::Loc::new(&std::sync::Arc::new("t".into()), 1),
        }
    }

    fn info(comm: &str, cmdline: &[&str]) -> ProcInfo {
        let mut c = Vec::new();
        for a in cmdline {
            c.extend_from_slice(a.as_bytes());
            c.push(0);
        }
        ProcInfo {
            comm: comm.into(),
            ppid: 1,
            zombie: false,
            cmdline: Some(c),
        }
    }

    #[test]
    fn stat_is_parsed_to_the_last_parenthesis() {
        let s = b"1234 (my (odd) name) S 77 1234 1234 0 -1 4194560";
        assert_eq!(parse_stat(s), Some((b"my (odd) name".to_vec(), false, 77)));
        assert_eq!(
            parse_stat(b"9 (sleep) Z 3 9"),
            Some((b"sleep".to_vec(), true, 3))
        );
        assert_eq!(parse_stat(b"9 sleep Z 3"), None);
        assert_eq!(parse_stat(b"9 (sleep) Z"), None);
    }

    #[test]
    fn comm_or_full_command() {
        let p = proc("sleep", &[], ParamMatch::None, false);
        assert!(matches(&p, &info("sleep", &["/usr/bin/sleep", "9"])));
        assert!(!matches(&p, &info("sleepy", &["sleep"])));
        let mut z = info("sleep", &["sleep"]);
        z.zombie = true;
        assert!(!matches(&p, &z));
        let p = proc("/usr/bin/sleep", &[], ParamMatch::None, true);
        assert!(matches(&p, &info("sleep", &["/usr/bin/sleep", "9"])));
        assert!(!matches(&p, &info("sleep", &["sleep", "9"])));
    }

    #[test]
    fn param_match_as_keepalived() {
        let run = |m, written: &[&str], actual: &[&str]| {
            let p = proc("sleep", written, m, true);
            let mut argv = vec!["sleep"];
            argv.extend_from_slice(actual);
            matches(&p, &info("sleep", &argv))
        };
        use ParamMatch::*;
        assert!(run(Exact, &["100", "x"], &["100", "x"]));
        assert!(!run(Exact, &["100"], &["100", "x"]));
        assert!(!run(Exact, &["100", "x"], &["100"]));
        assert!(run(Exact, &[], &[]));
        assert!(!run(Exact, &[], &["1"]));
        assert!(run(Partial, &["100"], &["100", "x"]));
        assert!(!run(Partial, &["10"], &["100", "x"]));
        assert!(run(Initial, &["10"], &["100", "x"]));
        assert!(run(Initial, &["100", "x"], &["100", "xyz"]));
        assert!(!run(Initial, &["100", "y"], &["100", "xyz"]));
        assert!(run(Partial, &[], &["anything"]));
    }

    #[test]
    fn needed_cmdline_is_one_byte_past_the_written_command() {
        let p = proc("sleep", &["100"], ParamMatch::Exact, true);
        assert_eq!(cmdline_needed(&p), 6 + 4 + 1);
        assert_eq!(
            cmdline_needed(&proc("sleep", &[], ParamMatch::None, false)),
            0
        );
    }
}
