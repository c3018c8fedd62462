//! Helpers for `keepalived_peer.rs`: a [`Scene`] is the bridged namespace LAN of
//! `vrrp-net/tests/lan` with `vrrpd` on side A (`a0`, 192.0.2.1) and keepalived 2.2.7 on
//! side B (`b0`, 192.0.2.2), keepalived.conf texts for both, notify scripts that record
//! their arguments, `vrrpd status --json` with a bound on how long it may take, and
//! signals to the processes the scene started (and to no other).
//!
//! On a failed assertion the scene prints every log and notify file it wrote before the
//! LAN removes them, so a failure report carries the daemons' own words.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lan::{has_program, is_root, Lan};

/// The virtual address both sides serve: on the LAN's subnet, never an interface's own.
pub const VIP: &str = "192.0.2.100/24";
/// vrrpd's side.
pub const A_ADDR: &str = "192.0.2.1";
/// keepalived's side.
pub const B_ADDR: &str = "192.0.2.2";

/// Bound on one wait for a VRRP event (v2, advert_int 1: Master_Down_Interval < 4 s).
pub const LIMIT: Duration = Duration::from_secs(20);

/// One `vrrp_instance VI_1`, as either daemon reads it.
#[derive(Debug, Clone)]
pub struct Instance {
    pub interface: &'static str,
    pub state: &'static str,
    pub priority: u8,
    /// `(unicast_src_ip, unicast_peer)`; `None`: multicast.
    pub unicast: Option<(&'static str, &'static str)>,
    pub nopreempt: bool,
    /// Extra lines inside the instance (notify hooks, track_script).
    pub extra: String,
}

impl Instance {
    pub fn new(interface: &'static str, state: &'static str, priority: u8) -> Instance {
        Instance {
            interface,
            state,
            priority,
            unicast: None,
            nopreempt: false,
            extra: String::new(),
        }
    }
}

/// A keepalived.conf: `top` (e.g. `vrrp_script` blocks) before the instance.
pub fn conf(router_id: &str, top: &str, i: &Instance) -> String {
    let mut t = format!(
        "! written by vrrpd/tests/keepalived_peer.rs\nglobal_defs {{\n  router_id {router_id}\n}}\n{top}\
         vrrp_instance VI_1 {{\n  state {}\n  interface {}\n  virtual_router_id 51\n  \
         priority {}\n  advert_int 1\n",
        i.state, i.interface, i.priority
    );
    if i.nopreempt {
        t += "  nopreempt\n";
    }
    t += "  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }\n";
    if let Some((src, peer)) = i.unicast {
        t += &format!("  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}\n  }}\n");
    }
    t += &format!("  virtual_ipaddress {{\n    {VIP}\n  }}\n");
    t += &i.extra;
    t += "}\n";
    t
}

/// The four notify hooks, all through one recording script: the specific ones get a word
/// (`master`, `backup`, `fault`, `stop`), the generic one keepalived's four arguments.
pub fn notify_lines(script: &Path) -> String {
    let s = script.display();
    format!(
        "  notify_master \"{s} master\"\n  notify_backup \"{s} backup\"\n  \
         notify_fault \"{s} fault\"\n  notify_stop \"{s} stop\"\n  notify {s}\n"
    )
}

/// The LAN, the processes on it, and where their files go.
pub struct Scene {
    pub lan: Lan,
    pub name: String,
}

impl Scene {
    /// A new LAN tagged `tag` (unique per test), or `None` after a SKIP line when this
    /// cannot run here.
    pub fn new(name: &str, tag: &str) -> Option<Scene> {
        // Straight to the stderr handle, so that the harness does not capture the line.
        let skip = |why: &str| {
            let _ = writeln!(std::io::stderr(), "SKIP {name}: {why}");
        };
        if !is_root() {
            skip("needs root (network namespaces, VRRP raw sockets)");
            return None;
        }
        if !has_program("keepalived") {
            skip("keepalived is not installed");
            return None;
        }
        Some(Scene {
            lan: crate::lan::new(tag),
            name: name.to_string(),
        })
    }

    pub fn a(&self) -> String {
        self.lan.a.name().to_owned()
    }

    pub fn b(&self) -> String {
        self.lan.b.name().to_owned()
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.lan.dir.join(file)
    }

    /// Write `text` to `file` in the scene's directory.
    pub fn write(&self, file: &str, text: &str) -> PathBuf {
        let p = self.path(file);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// An executable shell script.
    pub fn script(&self, file: &str, body: &str) -> PathBuf {
        let p = self.write(file, &format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// A notify script appending its arguments, one line per call, to `out`.
    pub fn recorder(&self, file: &str, out: &str) -> PathBuf {
        let out = self.path(out);
        self.script(file, &format!("echo \"$@\" >> '{}'", out.display()))
    }

    /// Contents of a file in the scene's directory ("" if absent).
    pub fn read(&self, file: &str) -> String {
        self.lan.log(file)
    }

    /// Lines of a file.
    pub fn lines(&self, file: &str) -> Vec<String> {
        self.read(file).lines().map(str::to_owned).collect()
    }

    /// Control socket of vrrpd run `run`.
    pub fn socket(&self, run: &str) -> PathBuf {
        self.path(&format!("vrrpd-{run}.sock"))
    }

    /// `vrrpd -n -l -f CONF --control SOCK -p PIDFILE` in namespace A; log `vrrpd-RUN.log`.
    pub fn start_vrrpd(&mut self, conf: &Path, run: &str) -> usize {
        let a = self.a();
        self.start_vrrpd_in(&a, conf, run, &[])
    }

    /// [`Scene::start_vrrpd`] in namespace `ns`, with `extra` flags.
    pub fn start_vrrpd_in(&mut self, ns: &str, conf: &Path, run: &str, extra: &[&str]) -> usize {
        let sock = self.socket(run);
        let pid = self.path(&format!("vrrpd-{run}.pid"));
        let log = format!("vrrpd-{run}.log");
        spawn_vrrpd(&mut self.lan, ns, conf, &sock, &pid, &log, extra)
    }

    /// `keepalived -n -l -D -P -f CONF -p PID -r VRRP_PID -c CHECK_PID` in namespace B;
    /// log `keepalived-RUN.log`.
    pub fn start_keepalived(&mut self, conf: &Path, run: &str) -> usize {
        let b = self.b();
        self.start_keepalived_in(&b, conf, run)
    }

    /// [`Scene::start_keepalived`] in namespace `ns`.
    pub fn start_keepalived_in(&mut self, ns: &str, conf: &Path, run: &str) -> usize {
        let mut args: Vec<String> = ["-n", "-l", "-D", "-P", "-f"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(conf.display().to_string());
        for (flag, file) in [("-p", "k"), ("-r", "v"), ("-c", "c")] {
            args.push(flag.into());
            args.push(
                self.path(&format!("{file}-{run}.pid"))
                    .display()
                    .to_string(),
            );
        }
        crate::lan::spawn(
            &mut self.lan,
            ns,
            Path::new("keepalived"),
            &args,
            &format!("keepalived-{run}.log"),
        )
    }

    /// Whether vrrpd's namespace has the VIP on `a0`.
    pub fn vip_a(&self) -> bool {
        self.lan.a.has_addr("a0", VIP)
    }

    /// Whether keepalived's namespace has the VIP on `b0`.
    pub fn vip_b(&self) -> bool {
        self.lan.b.has_addr("b0", VIP)
    }

    pub fn pid(&self, i: usize) -> u32 {
        self.lan.children[i].id()
    }

    /// Send `sig` (a `kill -SIG` name) to process `pid`, which this scene started.
    pub fn kill(&self, sig: &str, pid: u32) {
        let st = Command::new("kill")
            .args([&format!("-{sig}"), &pid.to_string()])
            .status()
            .unwrap();
        assert!(st.success(), "kill -{sig} {pid}");
    }

    /// Send `sig` to child `i`.
    pub fn signal(&self, i: usize, sig: &str) {
        self.kill(sig, self.pid(i));
    }

    /// Wait at most `limit` for child `i` to exit.
    pub fn wait_exit(&mut self, i: usize, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(st) = self.lan.children[i].try_wait().unwrap() {
                return Some(st);
            }
            if start.elapsed() > limit {
                return None;
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM child `i` and require exit status 0 within `limit`.
    pub fn term(&mut self, i: usize, what: &str, limit: Duration) {
        self.signal(i, "TERM");
        match self.wait_exit(i, limit) {
            Some(st) => assert!(st.success(), "{what}: exit status after SIGTERM: {st}"),
            None => panic!("{what}: still running {limit:?} after SIGTERM"),
        }
    }

    /// Crash keepalived (run `run`, child `i`) without its priority-0 advert: stop the
    /// parent (so it cannot respawn its VRRP child), SIGKILL the VRRP child, then the parent.
    pub fn crash_keepalived(&mut self, i: usize, run: &str) {
        let parent = self.pid(i);
        let vrrp: u32 = self
            .read(&format!("v-{run}.pid"))
            .trim()
            .parse()
            .expect("keepalived VRRP child pid file");
        // The VRRP child must be the parent's own (not some other process's pid).
        let ppid = std::fs::read_to_string(format!("/proc/{vrrp}/stat"))
            .ok()
            .and_then(|s| {
                let rest = s.rsplit_once(')')?.1.to_owned();
                rest.split_whitespace().nth(1)?.parse::<u32>().ok()
            });
        assert_eq!(ppid, Some(parent), "keepalived VRRP child {vrrp}'s parent");
        self.kill("STOP", parent);
        self.kill("KILL", vrrp);
        self.kill("KILL", parent);
        assert!(
            self.wait_exit(i, LIMIT).is_some(),
            "keepalived survived SIGKILL"
        );
    }

    /// Poll `cond` every 100 ms for at most `limit`; panics naming `what` (a bound on
    /// waiting, not a speed assertion).
    pub fn wait(&self, limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < limit,
                "{}: timed out after {limit:?} waiting for: {what}",
                self.name
            );
            sleep(Duration::from_millis(100));
        }
    }

    /// `vrrpd status --json` for run `run`, given at most `limit` to answer.
    pub fn status_within(&self, run: &str, limit: Duration) -> Option<Value> {
        status_json(&self.socket(run), limit)
    }

    /// `vrrpd status --json` (10 s to answer); panics if the daemon does not answer.
    pub fn status(&self, run: &str) -> Value {
        self.status_within(run, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{}: vrrpd run {run} does not answer status", self.name))
    }

    /// Instance VI_1 of a status document.
    pub fn vi1(status: &Value) -> Value {
        status["instances"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["name"] == "VI_1"))
            .cloned()
            .unwrap_or_else(|| panic!("no VI_1 in status: {status}"))
    }

    /// Poll vrrpd's status until `cond` holds for it; returns that status.
    pub fn wait_status(
        &self,
        run: &str,
        limit: Duration,
        what: &str,
        mut cond: impl FnMut(&Value) -> bool,
    ) -> Value {
        let mut last = None;
        let found = {
            let mut found = None;
            let start = Instant::now();
            while start.elapsed() < limit {
                if let Some(s) = self.status_within(run, Duration::from_secs(5)) {
                    if cond(&s) {
                        found = Some(s);
                        break;
                    }
                    last = Some(s);
                }
                sleep(Duration::from_millis(200));
            }
            found
        };
        found.unwrap_or_else(|| {
            panic!(
                "{}: timed out after {limit:?} waiting for status: {what}; last status: {}",
                self.name,
                last.map_or("none".into(), |s| s.to_string())
            )
        })
    }

    /// How many times `needle` occurs in file `file`.
    pub fn count(&self, file: &str, needle: &str) -> usize {
        self.read(file).matches(needle).count()
    }
}

/// A number out of a status document.
pub fn num(v: &Value, key: &str) -> u64 {
    v.pointer(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no number at {key} in {v}"))
}

/// A string out of a status document.
pub fn text(v: &Value, key: &str) -> String {
    v.pointer(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {key} in {v}"))
        .to_owned()
}

impl Drop for Scene {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        // Evidence for the failure report, before the LAN deletes the directory.
        let Ok(entries) = std::fs::read_dir(&self.lan.dir) else {
            return;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let n = p.file_name().unwrap_or_default().to_string_lossy();
                n.ends_with(".log") || n.ends_with(".out") || n.ends_with(".conf")
            })
            .collect();
        files.sort();
        let mut dump = String::new();
        for f in files {
            dump += &format!(
                "----- {}: {} -----\n{}\n",
                self.name,
                f.display(),
                std::fs::read_to_string(&f).unwrap_or_default()
            );
        }
        for (ns, dev) in [(self.lan.a.name(), "a0"), (self.lan.b.name(), "b0")] {
            if let Ok(o) = Command::new("ip")
                .args(["-n", ns, "-o", "addr", "show", "dev", dev])
                .output()
            {
                dump += &format!(
                    "----- {}: {ns} addresses -----\n{}",
                    self.name,
                    String::from_utf8_lossy(&o.stdout)
                );
            }
        }
        eprintln!("{dump}");
    }
}

/// `vrrpd status --json --control SOCK`, given at most `limit` to answer; `None` if it does
/// not answer in time or fails. Panics if the answer is not JSON.
pub fn status_json(sock: &Path, limit: Duration) -> Option<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["status", "--json", "--control"])
        .arg(sock)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        match child.try_wait().unwrap() {
            Some(st) => {
                let mut text = String::new();
                child
                    .stdout
                    .take()
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
                if !st.success() {
                    return None;
                }
                return Some(
                    serde_json::from_str(&text).unwrap_or_else(|e| {
                        panic!("vrrpd status --json is not JSON ({e}): {text}")
                    }),
                );
            }
            None if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            None => sleep(Duration::from_millis(20)),
        }
    }
}

/// `vrrpd -n -l -f CONF --control SOCK -p PID EXTRA...` in namespace `ns`, its output in
/// `log` (in the LAN's directory); returns the LAN's handle of the process.
pub fn spawn_vrrpd(
    lan: &mut Lan,
    ns: &str,
    conf: &Path,
    sock: &Path,
    pid: &Path,
    log: &str,
    extra: &[&str],
) -> usize {
    let mut args: Vec<String> = vec![
        "-n".into(),
        "-l".into(),
        "-f".into(),
        conf.display().to_string(),
        "--control".into(),
        sock.display().to_string(),
        "-p".into(),
        pid.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let exe = Path::new(env!("CARGO_BIN_EXE_vrrpd"));
    crate::lan::spawn(lan, ns, exe, &args, log)
}
