//! The script engine with real processes: shell scripts written into a temporary
//! directory, run through `vrrpd::scripts` the way the daemon's poll loop would.
//!
//! Timing bounds are generous (seconds) so that a loaded machine does not make them flake.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vrrpd::config::{self, Loc, Notify, VrrpScript};
use vrrpd::scripts::{
    CheckEvent, Checker, ExitKind, Hook, Job, LastRun, NotifyRunner, NotifyScripts, NotifyState,
    Outcome, OutcomeKind, RunAs, ScriptEnv, ScriptError, Subject,
};

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("vrrpd-scripts-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir(&p).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(p)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Write an executable script `name` (mode 0755) and return its path as a string.
    fn script(&self, name: &str, body: &str) -> String {
        let p = self.path(name);
        fs::write(&p, body).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path(name)).unwrap_or_default()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Scripts run as the test's own user, no script security.
fn env() -> ScriptEnv {
    ScriptEnv {
        default_user: RunAs::current(),
        script_security: false,
    }
}

fn loc() -> Loc {
    Loc::new(&Arc::new(PathBuf::from("test.conf")), 1)
}

fn vrrp_script(name: &str, script: &str, interval: Duration) -> VrrpScript {
    VrrpScript {
        name: name.to_string(),
        script: script.to_string(),
        interval,
        timeout: None,
        fall: 1,
        rise: 1,
        weight: 0,
        weight_reverse: false,
        user: None,
        init_fail: false,
        loc: loc(),
    }
}

/// A job for `hook` running `line` (split as keepalived does).
fn job(hook: Hook, line: &str) -> Job {
    Job {
        hook,
        command: env().prepare("test", line, None).unwrap(),
    }
}

/// Poll `runner` until it is idle (at most `limit`), returning every outcome.
fn run_until_idle(runner: &mut NotifyRunner, limit: Duration) -> Vec<Outcome> {
    let start = Instant::now();
    let mut out = Vec::new();
    loop {
        let now = Instant::now();
        out.extend(runner.poll(now));
        if runner.is_idle() {
            return out;
        }
        assert!(
            now - start < limit,
            "runner not idle after {limit:?}: {out:?}"
        );
        let next = runner.next_deadline(now).unwrap_or(now);
        assert!(
            next <= now + Duration::from_secs(1),
            "deadline too far while busy"
        );
        std::thread::sleep(
            next.saturating_duration_since(now)
                .max(Duration::from_millis(2)),
        );
    }
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

/// A script writing each of its arguments on a line of `out`.
fn args_writer(dir: &TempDir, name: &str, out: &str) -> String {
    let out = dir.path(out);
    dir.script(
        name,
        &format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", out.display()),
    )
}

#[test]
fn notify_arguments_as_keepalived() {
    let dir = TempDir::new();
    let master = args_writer(&dir, "master.sh", "master.out");
    let generic = args_writer(&dir, "notify.sh", "notify.out");
    let notify = Notify {
        master: Some(format!(r#"{master} one 'two words' "say \"hi\"" a\ b"#).into()),
        generic: Some(generic.clone().into()),
        ..Notify::default()
    };
    let scripts = NotifyScripts::prepare(&notify, "vrrp_instance VI_1", &env()).unwrap();
    let jobs = scripts.transition_jobs(Subject::Instance, "VI_1", NotifyState::Master, 150);
    let hooks: Vec<Hook> = jobs.iter().map(|j| j.hook).collect();
    assert_eq!(hooks, [Hook::Master, Hook::Generic]);

    let mut runner = NotifyRunner::new(Duration::from_secs(10));
    runner.submit("VI_1", jobs);
    let out = run_until_idle(&mut runner, Duration::from_secs(20));
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out.iter().all(Outcome::is_ok), "{out:?}");
    assert_eq!(out[0].hook, Hook::Master);
    assert_eq!(out[0].key, "VI_1");
    assert_eq!(out[1].argv, [&generic, "INSTANCE", "VI_1", "MASTER", "150"]);
    // notify_master gets exactly what was written, nothing appended.
    assert_eq!(
        lines(&dir.read("master.out")),
        ["one", "two words", "say \"hi\"", "a b"]
    );
    assert_eq!(
        lines(&dir.read("notify.out")),
        ["INSTANCE", "VI_1", "MASTER", "150"]
    );

    // A sync group going to BACKUP with no notify_backup: only the generic hook, GROUP.
    let jobs = scripts.transition_jobs(Subject::Group, "G1", NotifyState::Backup, 0);
    assert_eq!(jobs.len(), 1);
    runner.submit("group G1", jobs);
    let out = run_until_idle(&mut runner, Duration::from_secs(20));
    assert!(out.len() == 1 && out[0].is_ok(), "{out:?}");
    assert_eq!(
        lines(&dir.read("notify.out")),
        ["GROUP", "G1", "BACKUP", "0"]
    );
    let c = runner.counters();
    assert_eq!((c.run, c.ok, c.failed, c.skipped), (3, 3, 0, 0));
}

#[test]
fn keepalived_conf_notify_lines_reach_the_script() {
    // The config reader strips the outer double quotes; the rest is split here.
    let dir = TempDir::new();
    let generic = args_writer(&dir, "notify.sh", "notify.out");
    let master = args_writer(&dir, "master.sh", "master.out");
    let text = format!(
        "vrrp_instance VI_1 {{\n  interface lo\n  virtual_router_id 51\n  priority 100\n  \
         virtual_ipaddress {{\n    192.0.2.1\n  }}\n  notify {generic}\n  \
         notify_master \"{master} --vip '192.0.2.1 eth0'\"\n}}\n"
    );
    let built = config::parse(Path::new("k.conf"), &text).unwrap();
    let i = &built.config.instances[0];
    let scripts = NotifyScripts::prepare(&i.notify, "vrrp_instance VI_1", &env()).unwrap();
    let mut runner = NotifyRunner::default();
    runner.submit(
        "VI_1",
        scripts.transition_jobs(Subject::Instance, "VI_1", NotifyState::Fault, 100),
    );
    let out = run_until_idle(&mut runner, Duration::from_secs(20));
    assert_eq!(
        out.len(),
        1,
        "no notify_fault: only the generic hook: {out:?}"
    );
    assert_eq!(
        lines(&dir.read("notify.out")),
        ["INSTANCE", "VI_1", "FAULT", "100"]
    );
    runner.submit(
        "VI_1",
        scripts.transition_jobs(Subject::Instance, "VI_1", NotifyState::Master, 100),
    );
    let out = run_until_idle(&mut runner, Duration::from_secs(20));
    assert!(out.iter().all(Outcome::is_ok), "{out:?}");
    assert_eq!(lines(&dir.read("master.out")), ["--vip", "192.0.2.1 eth0"]);
}

#[test]
fn path_lookup_and_no_shebang_fallback_to_sh() {
    let dir = TempDir::new();
    // No `#!` line: exec gives ENOEXEC, and keepalived then runs it with /bin/sh.
    let out = dir.path("plain.out");
    let plain = dir.script("plain", &format!("echo \"ran $1\" > '{}'\n", out.display()));
    // A bare program name is looked up in PATH.
    let via_path = format!(
        "sh -c 'echo \"$0 $1\" > {}' zero first",
        dir.path("path.out").display()
    );
    let mut runner = NotifyRunner::default();
    runner.enqueue(
        "VI_1",
        vec![
            job(Hook::Backup, &format!("{plain} arg")),
            job(Hook::Backup, &via_path),
        ],
    );
    let outs = run_until_idle(&mut runner, Duration::from_secs(20));
    assert!(outs.iter().all(Outcome::is_ok), "{outs:?}");
    assert_eq!(dir.read("plain.out"), "ran arg\n");
    assert_eq!(dir.read("path.out"), "zero first\n");
}

#[test]
fn failing_script_is_reported_with_its_status() {
    let dir = TempDir::new();
    let three = dir.script("three.sh", "#!/bin/sh\nexit 3\n");
    let sig = dir.script("sig.sh", "#!/bin/sh\nkill -USR1 $$\nsleep 5\n");
    let mut runner = NotifyRunner::default();
    runner.enqueue(
        "VI_1",
        vec![job(Hook::Fault, &three), job(Hook::Fault, &sig)],
    );
    let out = run_until_idle(&mut runner, Duration::from_secs(20));
    assert_eq!(out.len(), 2);
    assert!(matches!(
        out[0].kind,
        OutcomeKind::Finished {
            exit: ExitKind::Code(3),
            timed_out: false
        }
    ));
    assert!(
        matches!(
            out[1].kind,
            OutcomeKind::Finished { exit: ExitKind::Signal(s), timed_out: false } if s == libc::SIGUSR1
        ),
        "{out:?}"
    );
    assert_eq!(runner.counters().failed, 2);
}

/// Whether a process is gone (or a zombie not yet reaped by its new parent).
fn process_gone(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn wait_gone(pid: i32) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if process_gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn hung_script_is_killed_at_its_timeout_and_the_queue_goes_on() {
    let dir = TempDir::new();
    // The script's own child (`sleep`) is in its process group and must die too.
    let hung = dir.script(
        "hung.sh",
        &format!(
            "#!/bin/sh\nsleep 60 &\necho $! > '{}'\nwait\n",
            dir.path("hung.pid").display()
        ),
    );
    // This one ignores SIGTERM (and so does its sleep): SIGKILL must follow.
    let stubborn = dir.script(
        "stubborn.sh",
        &format!(
            "#!/bin/sh\ntrap '' TERM\nsleep 60 &\necho $! > '{}'\nwait\n",
            dir.path("stubborn.pid").display()
        ),
    );
    let after = dir.script(
        "after.sh",
        &format!(
            "#!/bin/sh\necho done > '{}'\n",
            dir.path("after.out").display()
        ),
    );
    let mut runner = NotifyRunner::new(Duration::from_millis(300));
    runner.enqueue(
        "VI_1",
        vec![
            job(Hook::Master, &hung),
            job(Hook::Master, &stubborn),
            job(Hook::Master, &after),
        ],
    );
    let start = Instant::now();
    let out = run_until_idle(&mut runner, Duration::from_secs(30));
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(out.len(), 3, "{out:?}");
    for o in &out[..2] {
        assert!(
            matches!(
                o.kind,
                OutcomeKind::Finished {
                    timed_out: true,
                    ..
                }
            ),
            "{o:?}"
        );
        assert!(o.duration >= Duration::from_millis(300), "{o:?}");
        assert!(o.duration < Duration::from_secs(5), "{o:?}");
    }
    assert!(
        matches!(
            out[1].kind,
            OutcomeKind::Finished {
                exit: ExitKind::Signal(9),
                ..
            }
        ),
        "SIGTERM ignored, so SIGKILL: {:?}",
        out[1]
    );
    assert!(out[2].is_ok(), "{:?}", out[2]);
    assert_eq!(dir.read("after.out"), "done\n");
    for f in ["hung.pid", "stubborn.pid"] {
        let pid: i32 = dir.read(f).trim().parse().unwrap();
        assert!(wait_gone(pid), "grandchild {pid} of {f} survived");
    }
    let c = runner.counters();
    assert_eq!((c.run, c.timed_out, c.ok), (3, 2, 1));
}

#[test]
fn missing_script_is_a_spawn_error_and_the_queue_goes_on() {
    let dir = TempDir::new();
    let ok = dir.script(
        "ok.sh",
        &format!("#!/bin/sh\necho ok > '{}'\n", dir.path("ok.out").display()),
    );
    let missing = dir.path("missing.sh");
    let mut runner = NotifyRunner::default();
    runner.enqueue(
        "VI_1",
        vec![
            job(Hook::Master, missing.to_str().unwrap()),
            job(Hook::Master, "no-such-program-in-path-vrrpd x"),
            job(Hook::Generic, &ok),
        ],
    );
    let out = run_until_idle(&mut runner, Duration::from_secs(20));
    assert_eq!(out.len(), 3, "{out:?}");
    for o in &out[..2] {
        match &o.kind {
            OutcomeKind::SpawnError(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
            k => panic!("expected a spawn error, got {k:?}"),
        }
    }
    assert!(out[2].is_ok());
    assert_eq!(dir.read("ok.out"), "ok\n");
    let c = runner.counters();
    assert_eq!((c.spawn_errors, c.run, c.ok), (2, 1, 1));
}

#[test]
fn flapping_runs_the_final_state_and_skips_the_rest() {
    let dir = TempDir::new();
    // Slow: the instance flaps while the first transition's script still runs.
    let log = dir.path("states.log");
    let notify = Notify {
        generic: Some(
            dir.script(
                "slow.sh",
                &format!("#!/bin/sh\nsleep 0.5\necho \"$3\" >> '{}'\n", log.display()),
            )
            .into(),
        ),
        ..Notify::default()
    };
    let scripts = NotifyScripts::prepare(&notify, "vrrp_instance VI_1", &env()).unwrap();
    let mut runner = NotifyRunner::new(Duration::from_secs(10));
    let mut out = Vec::new();
    let states = [
        NotifyState::Master,
        NotifyState::Backup,
        NotifyState::Fault,
        NotifyState::Master,
        NotifyState::Backup,
    ];
    for s in states {
        runner.submit(
            "VI_1",
            scripts.transition_jobs(Subject::Instance, "VI_1", s, 100),
        );
        out.extend(runner.poll(Instant::now()));
    }
    out.extend(run_until_idle(&mut runner, Duration::from_secs(20)));
    assert_eq!(lines(&dir.read("states.log")), ["MASTER", "BACKUP"]);
    let skipped: Vec<&str> = out
        .iter()
        .filter(|o| matches!(o.kind, OutcomeKind::Skipped))
        .map(|o| o.argv[3].as_str())
        .collect();
    assert_eq!(skipped, ["BACKUP", "FAULT", "MASTER"]);
    let ran: Vec<&str> = out
        .iter()
        .filter(|o| o.is_ok())
        .map(|o| o.argv[3].as_str())
        .collect();
    assert_eq!(ran, ["MASTER", "BACKUP"]);
    let c = runner.counters();
    assert_eq!((c.run, c.ok, c.skipped), (2, 2, 3));
}

#[test]
fn finish_waits_for_notify_stop_and_kills_at_the_deadline() {
    let dir = TempDir::new();
    let stop = dir.script(
        "stop.sh",
        &format!(
            "#!/bin/sh\nsleep 0.3\necho stopped > '{}'\n",
            dir.path("stop.out").display()
        ),
    );
    let mut runner = NotifyRunner::default();
    runner.submit("VI_1", vec![job(Hook::Stop, &stop)]);
    let out = runner.finish(Instant::now() + Duration::from_secs(20));
    assert_eq!(out.len(), 1);
    assert!(out[0].is_ok(), "{:?}", out[0]);
    assert_eq!(dir.read("stop.out"), "stopped\n");
    assert!(runner.is_idle());

    // Past the deadline: the running job is killed, the queued one dropped.
    let hung = dir.script("hung.sh", "#!/bin/sh\nsleep 60\n");
    runner.submit(
        "VI_1",
        vec![job(Hook::Stop, &hung), job(Hook::Generic, &stop)],
    );
    let start = Instant::now();
    let out = runner.finish(Instant::now() + Duration::from_millis(300));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(
        matches!(out[0].kind, OutcomeKind::Skipped) || matches!(out[1].kind, OutcomeKind::Skipped)
    );
    assert!(out.iter().any(|o| matches!(
        o.kind,
        OutcomeKind::Finished {
            timed_out: true,
            ..
        }
    )));
    assert!(runner.is_idle());
}

/// Run one check to its end: poll at fake time `t` (which starts it when due) until the
/// child is reaped, then move `t` on by `interval`. Returns the status change, if any.
fn one_check(c: &mut Checker, t: &mut Instant, interval: Duration) -> Option<CheckEvent> {
    let mut ev = c.poll(*t);
    assert!(c.is_running(), "the check should have started");
    let limit = Instant::now() + Duration::from_secs(10);
    while c.is_running() {
        assert!(Instant::now() < limit, "check did not end");
        std::thread::sleep(Duration::from_millis(5));
        if let Some(e) = c.poll(*t) {
            ev = Some(e);
        }
    }
    *t += interval;
    ev
}

/// A check script whose exit code is read from the file `code`.
fn code_script(dir: &TempDir) -> String {
    fs::write(dir.path("code"), "0").unwrap();
    dir.script(
        "check.sh",
        &format!("#!/bin/sh\nexit $(cat '{}')\n", dir.path("code").display()),
    )
}

#[test]
fn checker_fall_and_rise() {
    let dir = TempDir::new();
    let interval = Duration::from_secs(2);
    let mut s = vrrp_script("chk", &code_script(&dir), interval);
    s.fall = 2;
    s.rise = 3;
    s.weight = -20;
    let mut t = Instant::now();
    let mut c = Checker::new(&s, &env(), t).unwrap();
    assert!(c.is_up());
    assert_eq!(c.next_deadline(t), t, "first run at start");
    // (exit code, expected status after the run, expected change reported)
    let steps = [
        (0, true, false),
        (1, true, false),
        (0, true, false),
        (1, true, false),
        (1, false, true),
        (0, false, false),
        (0, false, false),
        (1, false, false),
        (0, false, false),
        (0, false, false),
        (0, true, true),
        (0, true, false),
    ];
    for (n, (code, up, change)) in steps.into_iter().enumerate() {
        fs::write(dir.path("code"), code.to_string()).unwrap();
        let ev = one_check(&mut c, &mut t, interval);
        assert_eq!(c.is_up(), up, "step {n}");
        assert_eq!(ev.is_some(), change, "step {n}: {ev:?}");
        if let Some(e) = ev {
            assert_eq!((e.name.as_str(), e.up, e.weight.weight), ("chk", up, -20));
        }
        assert_eq!(
            c.last_run(),
            Some(LastRun::Exited {
                exit: ExitKind::Code(code),
                timed_out: false
            })
        );
        // Not due before the interval is over.
        assert!(c.poll(t - Duration::from_millis(1)).is_none());
        assert!(!c.is_running());
    }
}

#[test]
fn checker_init_fail_starts_down() {
    let dir = TempDir::new();
    let interval = Duration::from_secs(1);
    let mut s = vrrp_script("chk", &code_script(&dir), interval);
    s.init_fail = true;
    s.rise = 2;
    let mut t = Instant::now();
    let mut c = Checker::new(&s, &env(), t).unwrap();
    assert!(!c.is_up());
    fs::write(dir.path("code"), "1").unwrap();
    assert_eq!(one_check(&mut c, &mut t, interval), None, "already down");
    fs::write(dir.path("code"), "0").unwrap();
    assert_eq!(one_check(&mut c, &mut t, interval), None, "1 of rise 2");
    let ev = one_check(&mut c, &mut t, interval).expect("up after rise 2");
    assert!(ev.up && c.is_up());
}

#[test]
fn checker_hung_or_missing_script_counts_as_failure() {
    let dir = TempDir::new();
    let hung = dir.script("hang.sh", "#!/bin/sh\nsleep 60\n");
    let mut s = vrrp_script("hang", &hung, Duration::from_millis(200));
    s.timeout = Some(Duration::from_millis(300));
    let start = Instant::now();
    let mut c = Checker::new(&s, &env(), start).unwrap();
    let ev = loop {
        let now = Instant::now();
        assert!(now - start < Duration::from_secs(10), "no failure reported");
        if let Some(ev) = c.poll(now) {
            break ev;
        }
        let next = c.next_deadline(now);
        std::thread::sleep(
            next.saturating_duration_since(now)
                .max(Duration::from_millis(2)),
        );
    };
    assert!(!ev.up);
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(matches!(
        c.last_run(),
        Some(LastRun::Exited {
            timed_out: true,
            ..
        })
    ));
    c.stop();
    assert!(!c.is_running());

    let s = vrrp_script(
        "missing",
        dir.path("nope.sh").to_str().unwrap(),
        Duration::from_secs(1),
    );
    let mut c = Checker::new(&s, &env(), start).unwrap();
    let ev = c.poll(start).expect("a check that cannot start fails");
    assert!(!ev.up);
    assert_eq!(c.last_run(), Some(LastRun::Error(Some(libc::ENOENT))));
}

#[test]
fn unknown_users_are_load_errors() {
    let g = config::GlobalDefs {
        script_user: Some(("no-such-user-vrrpd".into(), None)),
        ..Default::default()
    };
    let e = ScriptEnv::from_globals(&g).unwrap_err();
    assert!(matches!(e, ScriptError::UnknownUser { .. }), "{e}");
    assert!(e.to_string().contains("script_user"), "{e}");

    let mut s = vrrp_script("chk", "/bin/true", Duration::from_secs(1));
    s.user = Some(("root".into(), Some("no-such-group-vrrpd".into())));
    let e = Checker::new(&s, &env(), Instant::now()).unwrap_err();
    assert!(matches!(e, ScriptError::UnknownGroup { .. }), "{e}");
    assert!(e.to_string().contains("vrrp_script chk"), "{e}");

    let e = env()
        .prepare("vrrp_script bad", "/bin/x 'open", None)
        .unwrap_err();
    assert!(matches!(e, ScriptError::Split { .. }), "{e}");
    assert!(e.to_string().contains("vrrp_script bad"), "{e}");
}

#[test]
fn script_user_switches_uid_and_groups() {
    if !is_root() {
        println!("SKIP script_user_switches_uid_and_groups: needs root");
        return;
    }
    let dir = TempDir::new();
    let out = dir.path("id.out");
    // Written by nobody: create it writable for all.
    fs::write(&out, "").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o666)).unwrap();
    let script = dir.script(
        "id.sh",
        &format!("#!/bin/sh\n(id -u; id -g; id -G) > '{}'\n", out.display()),
    );
    let g = config::GlobalDefs {
        script_user: Some(("nobody".into(), None)),
        ..Default::default()
    };
    let env = ScriptEnv::from_globals(&g).unwrap();
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    assert_eq!(env.default_user.uid, nobody.uid.as_raw());
    let notify = Notify {
        master: Some(script.into()),
        ..Notify::default()
    };
    let scripts = NotifyScripts::prepare(&notify, "vrrp_instance VI_1", &env).unwrap();
    let mut runner = NotifyRunner::default();
    runner.submit(
        "VI_1",
        scripts.transition_jobs(Subject::Instance, "VI_1", NotifyState::Master, 100),
    );
    let o = run_until_idle(&mut runner, Duration::from_secs(20));
    assert!(o.len() == 1 && o[0].is_ok(), "{o:?}");
    let uid = nobody.uid.as_raw().to_string();
    let gid = nobody.gid.as_raw().to_string();
    // Supplementary groups cleared: only the primary group is left.
    assert_eq!(lines(&dir.read("id.out")), [uid.as_str(), &gid, &gid]);

    // A per-script `user` with a group, through a check.
    let mut s = vrrp_script(
        "chk",
        &format!("sh -c 'test $(id -u) = {uid} && test $(id -g) = 0'"),
        Duration::from_secs(1),
    );
    s.user = Some(("nobody".into(), Some("root".into())));
    s.init_fail = true;
    let mut t = Instant::now();
    let mut c = Checker::new(
        &s,
        &ScriptEnv {
            default_user: RunAs::current(),
            script_security: false,
        },
        t,
    )
    .unwrap();
    let ev = one_check(&mut c, &mut t, Duration::from_secs(1));
    assert!(ev.is_some_and(|e| e.up), "{:?}", c.last_run());
}

#[test]
fn script_security_refuses_writable_scripts() {
    if !is_root() {
        println!("SKIP script_security_refuses_writable_scripts: needs root");
        return;
    }
    let dir = TempDir::new();
    let secure = ScriptEnv {
        default_user: RunAs::current(),
        script_security: true,
    };
    let good = dir.script("good.sh", "#!/bin/sh\nexit 0\n");
    assert!(secure.prepare("vrrp_script good", &good, None).is_ok());

    let bad = dir.script("bad.sh", "#!/bin/sh\nexit 0\n");
    fs::set_permissions(&bad, fs::Permissions::from_mode(0o777)).unwrap();
    let s = vrrp_script("chk_bad", &bad, Duration::from_secs(1));
    match Checker::new(&s, &secure, Instant::now()) {
        Err(ScriptError::Insecure { what, path, .. }) => {
            assert_eq!(what, "vrrp_script chk_bad");
            assert_eq!(path, PathBuf::from(&bad));
        }
        other => panic!("expected Insecure, got {other:?}"),
    }
    // Without enable_script_security it is accepted (keepalived warns).
    assert!(Checker::new(&s, &env(), Instant::now()).is_ok());

    // A secure file in a directory writable by others (no sticky bit) is refused too.
    let sub = dir.path("open");
    fs::create_dir(&sub).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o777)).unwrap();
    let inner = sub.join("inner.sh");
    fs::write(&inner, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&inner, fs::Permissions::from_mode(0o755)).unwrap();
    let notify = Notify {
        backup: Some(inner.to_str().unwrap().into()),
        ..Notify::default()
    };
    match NotifyScripts::prepare(&notify, "vrrp_instance VI_1", &secure) {
        Err(e @ ScriptError::Insecure { .. }) => {
            assert!(
                e.to_string().contains("vrrp_instance VI_1 notify_backup"),
                "{e}"
            );
        }
        other => panic!("expected Insecure, got {other:?}"),
    }

    // Scripts that run as another user are not checked (only root scripts are).
    let as_nobody = ScriptEnv {
        default_user: RunAs::resolve("t", "nobody", None).unwrap(),
        script_security: true,
    };
    assert!(as_nobody.prepare("vrrp_script chk_bad", &bad, None).is_ok());
}
