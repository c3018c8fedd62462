//! `enable_script_security` as keepalived defines it, on every entry of a script's path (as
//! written, its symlinks, its real path), and `vrrpd -t` refusing exactly the scripts the
//! daemon refuses, with the same message.
//!
//! The files live in a directory under /tmp made by root (mode 0755); `nobody` (uid 65534)
//! plays the unprivileged user. A daemon is only started in the namespaces of
//! `vrrp-net/tests/lan` (instance on `a0`), with its own control socket and pid file.
//! Needs root (chown, namespaces); prints SKIP otherwise.

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
#[path = "peer/mod.rs"]
mod peer;

use std::os::unix::fs::{lchown, symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use lan::{is_root, wait_for, Lan};

/// The unprivileged user.
const NOBODY: u32 = 65534;
/// Bound on a daemon's start or exit.
const LIMIT: Duration = Duration::from_secs(20);

/// A directory of files for one test, removed on drop.
struct Files(PathBuf);

impl Files {
    fn new(tag: &str) -> Files {
        let p = std::env::temp_dir().join(format!("vrrpd-scriptsec-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        Files(p)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// A directory with `mode`, owned by `uid`.
    fn dir(&self, name: &str, mode: u32, uid: u32) -> PathBuf {
        let p = self.path(name);
        std::fs::create_dir(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        lchown(&p, Some(uid), Some(uid)).unwrap();
        p
    }

    /// A root-owned shell script with `mode`.
    fn script(&self, name: &str, body: &str, mode: u32) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// A symlink `name` to `target`, owned by `uid`.
    fn link(&self, name: &str, target: &Path, uid: u32) -> PathBuf {
        let p = self.path(name);
        symlink(target, &p).unwrap();
        lchown(&p, Some(uid), Some(uid)).unwrap();
        p
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// keepalived.conf with `enable_script_security`, one `global` line, and `vrrp_script chk`
/// (line 7) running `script`, tracked by `VI_1` on `a0`.
fn conf(global: &str, script: &str) -> String {
    assert_eq!(global.lines().count(), 1);
    format!(
        "global_defs {{\n  router_id scriptsec\n  enable_script_security\n{global}}}\n\
         \n\
         vrrp_script chk {{\n  script \"{script}\"\n  interval 1\n}}\n\
         vrrp_instance VI_1 {{\n  state BACKUP\n  interface a0\n  virtual_router_id 51\n  \
         priority 100\n  advert_int 1\n  virtual_ipaddress {{\n    192.0.2.100/24\n  }}\n  \
         track_script {{\n    chk\n  }}\n}}\n"
    )
}

/// Scripts run as root whatever users exist here.
const AS_ROOT: &str = "  script_user root\n";

/// `vrrpd -t -f conf`: exit code and stderr.
fn config_test(conf: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["-t", "-f"])
        .arg(conf)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `vrrpd -t` refuses `conf` with exactly `want` (its only line on stderr).
fn refused_by_t(conf: &Path, want: &str) {
    let (code, stderr) = config_test(conf);
    assert_eq!(code, 1, "vrrpd -t accepted {}: {stderr}", conf.display());
    assert_eq!(stderr.trim_end(), want);
}

/// `vrrpd -t` accepts `conf`.
fn accepted_by_t(conf: &Path) {
    let (code, stderr) = config_test(conf);
    assert_eq!(code, 0, "vrrpd -t refused {}: {stderr}", conf.display());
}

/// Start vrrpd on `conf` in namespace A as run `run`; it must exit with a failure within
/// [`LIMIT`], and its log must carry `want` as its error.
fn refused_by_daemon(lan: &mut Lan, conf: &Path, run: &str, want: &str) {
    let log = format!("vrrpd-{run}.log");
    let a = lan.a.name().to_owned();
    let (sock, pid) = (
        lan.dir.join(format!("{run}.sock")),
        lan.dir.join(format!("{run}.pid")),
    );
    let i = peer::spawn_vrrpd(lan, &a, conf, &sock, &pid, &log, &[]);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = lan.children[i].try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < LIMIT,
            "vrrpd {run} still running: it accepted {}\n{}",
            conf.display(),
            lan.log(&log)
        );
        sleep(Duration::from_millis(20));
    };
    let text = lan.log(&log);
    assert!(!status.success(), "{run}: {text}");
    assert!(
        text.lines().any(|l| l.ends_with(&format!("ERROR: {want}"))),
        "{run}: the daemon's error is not '{want}':\n{text}"
    );
}

fn skip_unless_root(name: &str) -> bool {
    if is_root() {
        return false;
    }
    println!("SKIP {name}: needs root (chown to another user, network namespaces)");
    true
}

/// The attack as found: `nobody` owns a directory holding a symlink to a root-owned,
/// secure script; the configuration names the symlink. The old code checked only the
/// resolved path (root's secure script), so it accepted this at `-t` and at start, and
/// re-ran the `PATH`/symlink lookup at every run: re-pointing the symlink at nobody's own
/// script then ran that script as uid 0. Now `-t` and the daemon refuse it, naming
/// nobody's directory. The same script reached through a symlink whose every entry is
/// root's is accepted, and the daemon runs it.
#[test]
fn symlink_in_an_unprivileged_users_directory_is_refused() {
    if skip_unless_root("symlink_in_an_unprivileged_users_directory_is_refused") {
        return;
    }
    let f = Files::new("attack");
    f.dir("secure", 0o755, 0);
    let ran = f.path("ran");
    let check = f.script(
        "secure/check.sh",
        &format!("touch '{}'", ran.display()),
        0o755,
    );
    let home = f.dir("home", 0o755, NOBODY);
    // Root's own symlink, even: nobody may replace it at will in their directory.
    let link = f.link("home/check", &check, 0);
    let bad = f.write("bad.conf", &conf(AS_ROOT, &link.display().to_string()));
    let want = format!(
        "{}:7: vrrp_script chk: refused by enable_script_security: {}: owned by uid {NOBODY}, not root",
        bad.display(),
        home.display()
    );
    refused_by_t(&bad, &want);

    let root_link = f.link("secure/check-link", &check, 0);
    let good = f.write(
        "good.conf",
        &conf(AS_ROOT, &root_link.display().to_string()),
    );
    accepted_by_t(&good);

    let mut lan = lan::new("ssa");
    refused_by_daemon(&mut lan, &bad, "bad", &want);
    let a = lan.a.name().to_owned();
    let (sock, pid) = (lan.dir.join("good.sock"), lan.dir.join("good.pid"));
    let i = peer::spawn_vrrpd(&mut lan, &a, &good, &sock, &pid, "vrrpd-good.log", &[]);
    wait_for(LIMIT, "the accepted check script to run", || ran.exists());
    assert!(
        lan.children[i].try_wait().unwrap().is_none(),
        "{}",
        lan.log("vrrpd-good.log")
    );
    assert!(lan.stop(i), "{}", lan.log("vrrpd-good.log"));
}

/// Every entry the kernel goes through is checked: a symlink that is not root's own (in a
/// secure directory) is refused, and so is a root-owned symlink whose target lies in a
/// directory anyone may write (the real path's directories). A path through a root-owned
/// symlinked directory, with every entry root's, is accepted.
#[test]
fn symlinks_and_real_paths_are_checked_entry_by_entry() {
    if skip_unless_root("symlinks_and_real_paths_are_checked_entry_by_entry") {
        return;
    }
    let f = Files::new("entries");
    f.dir("secure", 0o755, 0);
    let check = f.script("secure/check.sh", "exit 0", 0o755);

    let theirs = f.link("secure/theirs", &check, NOBODY);
    let c = f.write("theirs.conf", &conf(AS_ROOT, &theirs.display().to_string()));
    refused_by_t(
        &c,
        &format!(
            "{}:7: vrrp_script chk: refused by enable_script_security: {}: owned by uid {NOBODY}, not root",
            c.display(),
            theirs.display()
        ),
    );

    let open = f.dir("open", 0o777, 0);
    let inside = f.script("open/check.sh", "exit 0", 0o755);
    let to_open = f.link("secure/to-open", &inside, 0);
    let c = f.write("open.conf", &conf(AS_ROOT, &to_open.display().to_string()));
    refused_by_t(
        &c,
        &format!(
            "{}:7: vrrp_script chk: refused by enable_script_security: {}: writable by others (mode 777)",
            c.display(),
            open.display()
        ),
    );

    // A root-owned symlink to a directory, then the file: every entry root's.
    let dir_link = f.link("secure-link", &f.path("secure"), 0);
    let via = dir_link.join("check.sh");
    let c = f.write("via.conf", &conf(AS_ROOT, &via.display().to_string()));
    accepted_by_t(&c);
    // The sticky bit makes a world-writable directory acceptable, as in keepalived.
    let sticky = f.dir("sticky", 0o1777, 0);
    let s = f.script("sticky/check.sh", "exit 0", 0o755);
    assert!(s.starts_with(&sticky));
    let c = f.write("sticky.conf", &conf(AS_ROOT, &s.display().to_string()));
    accepted_by_t(&c);
}

/// `vrrpd -t` used to pass these and the daemon then refused to start; now `-t` fails on
/// each with the very message the daemon gives, naming file and line.
#[test]
fn t_fails_with_the_daemons_message_for_each_script_it_refuses() {
    if skip_unless_root("t_fails_with_the_daemons_message_for_each_script_it_refuses") {
        return;
    }
    let f = Files::new("same");
    f.dir("secure", 0o755, 0);
    let check = f.script("secure/check.sh", "exit 0", 0o755);
    let writable = f.script("secure/writable.sh", "exit 0", 0o777);
    let check = check.display().to_string();
    let cases = [
        (
            "user",
            conf("  script_user no-such-user-vrrpd\n", &check),
            "1: global_defs script_user: unknown user 'no-such-user-vrrpd'".to_string(),
        ),
        (
            "insecure",
            conf(AS_ROOT, &writable.display().to_string()),
            format!(
                "7: vrrp_script chk: refused by enable_script_security: {}: writable by others (mode 777)",
                writable.display()
            ),
        ),
        (
            "split",
            conf(AS_ROOT, &format!("{check} 'open")),
            "7: vrrp_script chk: bad command line: unterminated ' quote".to_string(),
        ),
    ];
    let mut lan = lan::new("sst");
    for (name, text, tail) in cases {
        let c = f.write(&format!("{name}.conf"), &text);
        let want = format!("{}:{tail}", c.display());
        refused_by_t(&c, &want);
        refused_by_daemon(&mut lan, &c, name, &want);
    }
}
