//! `notify* SCRIPT [USERNAME [GROUPNAME]]` as keepalived reads it (`notify_script_init`):
//! the quoted script with its arguments, then the user and group it runs as.
//!
//! - `vrrpd -t` refuses an unknown user or group on a notify line (instance and sync
//!   group), and an unknown global `script_user` even when no script uses it, naming the
//!   file and line; it warns of words after the group, which keepalived ignores.
//! - `enable_script_security` checks a script for the user it runs as: a script anyone can
//!   write is refused when run as root, accepted when run as `nobody`.
//! - A script runs as its line's uid and gid, with that gid as its only supplementary
//!   group (keepalived's `set_script_env`), and gets its arguments (root only: SKIP else).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use vrrpd::config::Notify;
use vrrpd::scripts::{NotifyRunner, NotifyScripts, NotifyState, ScriptEnv, Subject};

/// A directory for one test under /tmp (mode 0755, root's when run as root), removed on
/// drop.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let p =
            std::env::temp_dir().join(format!("vrrpd-notify-users-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        Dir(p)
    }

    /// A file `name` holding `text`, with `mode`.
    fn file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A configuration with `globals` in global_defs (line 2 on), then instance VI_1 with
/// `lines` after its `interface` line, then sync group G with `group_lines` at its end
/// (the group starts on line 11 with no globals and no instance lines).
fn conf(globals: &str, lines: &str, group_lines: &str) -> String {
    format!(
        "global_defs {{\n{globals}}}\nvrrp_instance VI_1 {{\n  interface a0\n{lines}  \
         virtual_router_id 51\n  priority 100\n  virtual_ipaddress {{\n    192.0.2.100/24\n  \
         }}\n}}\nvrrp_sync_group G {{\n  group {{\n    VI_1\n  }}\n{group_lines}}}\n"
    )
}

/// `vrrpd -t -f FILE` on `text` written to `dir`: exit code and stderr.
fn config_test(dir: &Dir, name: &str, text: &str) -> (PathBuf, i32, String) {
    let path = dir.file(name, text, 0o644);
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["-t", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    (
        path,
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn t_refuses_unknown_users_and_groups_naming_file_and_line() {
    let dir = Dir::new("t");
    let cases = [
        (
            "instance-user",
            conf(
                "",
                "  notify_master \"/bin/true a 'b c'\" no-such-user-vrrpd\n",
                "",
            ),
            "3: vrrp_instance VI_1 notify_master user: unknown user 'no-such-user-vrrpd'",
        ),
        (
            "instance-group",
            conf("", "  notify /bin/true root no-such-group-vrrpd\n", ""),
            "3: vrrp_instance VI_1 notify user: unknown group 'no-such-group-vrrpd'",
        ),
        (
            "group-user",
            conf("", "", "  notify_stop /bin/true no-such-user-vrrpd\n"),
            "11: vrrp_sync_group G notify_stop user: unknown user 'no-such-user-vrrpd'",
        ),
        (
            "group-group",
            conf(
                "",
                "",
                "  notify_backup \"/bin/true x\" root no-such-group-vrrpd\n",
            ),
            "11: vrrp_sync_group G notify_backup user: unknown group 'no-such-group-vrrpd'",
        ),
        // Before: `-t` looked users up only when some script needed one, so this passed.
        (
            "script-user",
            conf("  script_user no-such-user-vrrpd\n", "", ""),
            "1: global_defs script_user: unknown user 'no-such-user-vrrpd'",
        ),
        (
            "script-group",
            conf("  script_user root no-such-group-vrrpd\n", "", ""),
            "1: global_defs script_user: unknown group 'no-such-group-vrrpd'",
        ),
    ];
    for (name, text, want) in cases {
        let (path, code, stderr) = config_test(&dir, &format!("{name}.conf"), &text);
        println!("{name}: exit {code}: {}", stderr.trim_end());
        assert_eq!(code, 1, "{name}: vrrpd -t accepted it: {stderr}");
        assert_eq!(
            stderr.trim_end(),
            format!("{}:{want}", path.display()),
            "{name}"
        );
    }
}

#[test]
fn t_accepts_known_users_and_warns_of_ignored_words() {
    let dir = Dir::new("words");
    let text = conf(
        "  script_user root\n",
        "  notify_master \"/bin/true arg\" root root\n  notify_backup /bin/true root root extra words\n",
        "  notify /bin/true root\n  notify_master_rx_lower_pri /bin/true\n",
    );
    let (path, code, stderr) = config_test(&dir, "ok.conf", &text);
    println!("{}", stderr.trim_end());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:7: warning: 'notify_backup': words after SCRIPT USERNAME GROUPNAME ignored, \
             as keepalived does: 'extra words'",
            path.display()
        )),
        "{stderr}"
    );
    // keepalived knows no such keyword in a group.
    assert!(
        stderr.contains(&format!(
            "{}:19: warning: unknown keyword 'notify_master_rx_lower_pri' in vrrp_sync_group \
             ignored",
            path.display()
        )),
        "{stderr}"
    );
    let built = vrrpd::config::load(&path).unwrap();
    let n = &built.config.instances[0].notify;
    let master = n.master.as_ref().unwrap();
    assert_eq!(master.command, "/bin/true arg");
    assert_eq!(master.user, Some(("root".into(), Some("root".into()))));
    let g = built.config.sync_groups[0].notify.generic.as_ref().unwrap();
    assert_eq!(g.user, Some(("root".into(), None)));
}

#[test]
fn script_security_is_checked_for_the_user_of_the_line() {
    if !vrrp_lab::Skip::check("script_security_is_checked_for_the_user_of_the_line")
        .root("files owned by root, a user switch")
        .ok()
    {
        return;
    }
    let dir = Dir::new("sec");
    let script = dir.file("open.sh", "#!/bin/sh\nexit 0\n", 0o777);
    let s = script.display();
    let globals = "  script_user root\n  enable_script_security\n";
    let (_, code, stderr) = config_test(
        &dir,
        "nobody.conf",
        &conf(globals, &format!("  notify_master {s} nobody\n"), ""),
    );
    assert_eq!(
        code, 0,
        "run as nobody, the script needs no protection: {stderr}"
    );
    let (path, code, stderr) = config_test(
        &dir,
        "root.conf",
        &conf(globals, &format!("  notify_master {s}\n"), ""),
    );
    assert_eq!(code, 1, "run as root, a script anyone can write is refused");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "{}:5: vrrp_instance VI_1 notify_master: refused by enable_script_security: {s}: \
             writable by others (mode 777)",
            path.display()
        )
    );
    let (_, code, stderr) = config_test(
        &dir,
        "root-named.conf",
        &conf(globals, &format!("  notify_master {s} nobody root\n"), ""),
    );
    assert_eq!(code, 1, "group root needs the protection too: {stderr}");
}

/// Run `state`'s jobs of `n` to the end.
fn run(n: &NotifyScripts, state: NotifyState) {
    let mut r = NotifyRunner::new(Duration::from_secs(10));
    r.submit(
        "VI_1",
        n.transition_jobs(Subject::Instance, "VI_1", state, 100),
    );
    let until = Instant::now() + Duration::from_secs(20);
    while !r.is_idle() {
        assert!(Instant::now() < until, "scripts did not end");
        for o in r.poll(Instant::now()) {
            assert!(o.is_ok(), "{o:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ids(user: &str, group: Option<&str>) -> (u32, u32) {
    let u = nix::unistd::User::from_name(user).unwrap().unwrap();
    let gid = match group {
        Some(g) => nix::unistd::Group::from_name(g).unwrap().unwrap().gid,
        None => u.gid,
    };
    (u.uid.as_raw(), gid.as_raw())
}

#[test]
fn scripts_run_as_the_user_and_group_of_their_line() {
    if !vrrp_lab::Skip::check("scripts_run_as_the_user_and_group_of_their_line")
        .root("switching users")
        .ok()
    {
        return;
    }
    let dir = Dir::new("run");
    let log = dir.file("log", "", 0o666);
    let body = format!(
        "#!/bin/sh\necho \"$* uid=$(id -u) gid=$(id -g) groups=$(id -G)\" >> '{}'\n",
        log.display()
    );
    let script = dir.file("hook.sh", &body, 0o755).display().to_string();
    let parsed = vrrpd::config::parse(
        Path::new("run.conf"),
        &conf(
            "  script_user root\n",
            &format!(
                "  notify_master \"{script} master 'two words'\" nobody\n  \
                 notify_backup \"{script} backup\" nobody daemon\n  \
                 notify \"{script} generic\"\n"
            ),
            "",
        ),
    )
    .unwrap();
    let notify: &Notify = &parsed.config.instances[0].notify;
    let env = ScriptEnv::from_globals(&parsed.config.global).unwrap();
    let n = NotifyScripts::prepare(notify, "vrrp_instance VI_1", &env).unwrap();
    run(&n, NotifyState::Master);
    run(&n, NotifyState::Backup);
    let (nobody, nogroup) = ids("nobody", None);
    let (_, daemon) = ids("nobody", Some("daemon"));
    let got = std::fs::read_to_string(&log).unwrap();
    println!("{got}");
    let want = [
        format!("master two words uid={nobody} gid={nogroup} groups={nogroup}"),
        "generic INSTANCE VI_1 MASTER 100 uid=0 gid=0 groups=0".to_string(),
        format!("backup uid={nobody} gid={daemon} groups={daemon}"),
        "generic INSTANCE VI_1 BACKUP 100 uid=0 gid=0 groups=0".to_string(),
    ];
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
}

/// Start vrrpd on `text` in namespace `ns` (interface `a0`, 192.0.2.1/24): it must exit
/// with a failure within 20 s; its output.
fn refused_at_start(ns: &vrrp_lab::Netns, dir: &Dir, name: &str, text: &str) -> String {
    let conf = dir.file(&format!("{name}.conf"), text, 0o644);
    let out = dir.file(&format!("{name}.out"), "", 0o644);
    let mut child = ns
        .command(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["-n", "-l", "-f"])
        .arg(&conf)
        .arg("--control")
        .arg(dir.0.join(format!("{name}.sock")))
        .arg("-p")
        .arg(dir.0.join(format!("{name}.pid")))
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::OpenOptions::new().append(true).open(&out).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{name}: vrrpd still running: it accepted the configuration\n{}",
                std::fs::read_to_string(&out).unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!status.success(), "{name}: {text}");
    text
}

#[test]
fn daemon_refuses_unknown_users_at_start() {
    if !vrrp_lab::Skip::check("daemon_refuses_unknown_users_at_start")
        .root("network namespaces")
        .ok()
    {
        return;
    }
    let dir = Dir::new("start");
    let ns = vrrp_lab::Netns::unique("vrrpnu").unwrap();
    ns.veth_local("a0", "a0p").unwrap();
    ns.add_addr("a0", "192.0.2.1/24").unwrap();
    ns.set_link("a0p", true).unwrap();
    ns.set_link("a0", true).unwrap();
    let cases = [
        (
            "notify-user",
            conf("", "  notify_master /bin/true no-such-user-vrrpd\n", ""),
            "3: vrrp_instance VI_1 notify_master user: unknown user 'no-such-user-vrrpd'",
        ),
        (
            "group-notify-group",
            conf("", "", "  notify /bin/true root no-such-group-vrrpd\n"),
            "11: vrrp_sync_group G notify user: unknown group 'no-such-group-vrrpd'",
        ),
        (
            "script-user",
            conf("  script_user no-such-user-vrrpd\n", "", ""),
            "1: global_defs script_user: unknown user 'no-such-user-vrrpd'",
        ),
    ];
    for (name, text, want) in cases {
        let out = refused_at_start(&ns, &dir, name, &text);
        let want = format!("{}:{want}", dir.0.join(format!("{name}.conf")).display());
        println!("{name}: {}", out.trim_end());
        assert!(out.contains(&want), "{name}: no '{want}' in:\n{out}");
    }
}

/// `notify_deleted [SCRIPT [USER [GROUP]]]` (instances only, as keepalived): the keyword
/// alone, or with its script; a second notify line of a kind is reported at its line and
/// the first kept (keepalived's "already specified - ignoring"); in a sync group
/// `notify_deleted` is an unknown keyword, warned.
#[test]
fn notify_deleted_and_repeated_notify_lines_as_keepalived() {
    let parse = |text: &str| vrrpd::config::parse(Path::new("t.conf"), text).unwrap();
    let b = parse(&conf("", "  notify_deleted\n", ""));
    let n = &b.config.instances[0].notify;
    assert!(n.report_deleted && n.deleted.is_none(), "{n:?}");

    let b = parse(&conf(
        "",
        "  notify_deleted \"/bin/echo gone\"\n  notify_master /bin/true\n  \
         notify_master /bin/false\n  notify_deleted /bin/false\n",
        "  notify_deleted\n",
    ));
    let n = &b.config.instances[0].notify;
    assert!(n.report_deleted, "{n:?}");
    assert_eq!(
        n.deleted.as_deref().map(|l| l.command.as_str()),
        Some("/bin/echo gone")
    );
    assert_eq!(
        n.master.as_deref().map(|l| l.command.as_str()),
        Some("/bin/true")
    );
    let warnings: Vec<String> = b.warnings.iter().map(|w| w.to_string()).collect();
    // Lines: 5 notify_deleted, 6 and 7 notify_master, 8 notify_deleted; the group's at 19.
    assert_eq!(
        warnings,
        [
            "t.conf:7: warning: notify_master script already specified - ignoring /bin/false",
            "t.conf:8: warning: notify_deleted already specified - ignoring /bin/false",
            "t.conf:19: warning: unknown keyword 'notify_deleted' in vrrp_sync_group ignored",
        ]
    );
    assert!(!b.config.sync_groups[0].notify.report_deleted);
}
