//! One keepalived.conf for two nodes, the keepalived way: `@ID` lines and `$NAME`
//! definitions picked by `-i`, `net_namespace` placing each daemon in its node's network
//! namespace, `~SEQ` making the VIPs. The daemons are started from the host namespace and
//! enter their node's namespace themselves, as keepalived does with `net_namespace`.
//!
//! - The same file runs the same under keepalived on both nodes, under vrrpd on both, and
//!   in the mixed pairs (keepalived -i na with vrrpd -i nb, and the reverse): at each step
//!   (A alone, both, A stopped, A back) the same node holds the VIPs.
//! - Several vrrpd on one host with default pid files and control sockets: named after `-i`
//!   in one run, after `-s` in another; none collides, each answers `vrrpd status` named
//!   the same way, each pid file holds its daemon's pid and goes away on exit.
//!
//! Needs root and keepalived (else SKIP).

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
mod peer;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use peer::{num, text, Scene, LIMIT};

/// The VIPs `~SEQ` makes.
const VIPS: [&str; 2] = ["192.0.2.100/24", "192.0.2.101/24"];

/// Long enough for several of a v2 backup's Master_Down_Intervals (about 3.6 s).
const SETTLE: Duration = Duration::from_secs(5);

/// The shared file: node `na` is namespace `a` (a0, priority 150), node `nb` namespace `b`.
fn shared(a: &str, b: &str) -> String {
    format!(
        "! one file for both nodes: keepalived -i na / -i nb, vrrpd -i na / -i nb
@na net_namespace {a}
@nb net_namespace {b}
@na $IF=a0
@nb $IF=b0
$PRIO=100
@na $PRIO=150
$VRID=51
global_defs {{
  @na router_id node_a
  @nb router_id node_b
}}
vrrp_instance VI_1 {{
  state BACKUP
  interface $IF
  virtual_router_id ${{VRID}}
  priority $PRIO
  advert_int 1
  virtual_ipaddress {{
    ~SEQ(N, 100, 101) 192.0.2.${{N}}/24
  }}
}}
"
    )
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Daemon {
    Keepalived,
    Vrrpd,
}

/// Start `daemon -i id` on `conf` from the host namespace; returns the child's index.
fn start(sc: &mut Scene, daemon: Daemon, conf: &Path, id: &str, run: &str) -> usize {
    let (program, mut args): (PathBuf, Vec<String>) = match daemon {
        Daemon::Keepalived => (
            "keepalived".into(),
            ["-n", "-l", "-D", "-P"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        Daemon::Vrrpd => (
            env!("CARGO_BIN_EXE_vrrpd").into(),
            vec!["-n".into(), "-l".into()],
        ),
    };
    args.extend([
        "-i".to_string(),
        id.to_string(),
        "-f".into(),
        conf.display().to_string(),
    ]);
    let pid = |f: &str| sc.path(&format!("{f}-{run}.pid")).display().to_string();
    match daemon {
        Daemon::Keepalived => {
            for (flag, f) in [("-p", "k"), ("-r", "v"), ("-c", "c")] {
                args.extend([flag.to_string(), pid(f)]);
            }
        }
        Daemon::Vrrpd => {
            args.extend(["-p".to_string(), pid("vrrpd")]);
            args.extend([
                "--control".to_string(),
                sc.socket(run).display().to_string(),
            ]);
        }
    }
    let log = std::fs::File::create(sc.path(&format!("{run}.log"))).unwrap();
    let child = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    sc.lan.children.push(child);
    sc.lan.children.len() - 1
}

/// How many of the VIPs each node has.
fn counts(sc: &Scene) -> (usize, usize) {
    let n = |ns: &vrrp_lab::Netns, dev: &str| VIPS.iter().filter(|v| ns.has_addr(dev, v)).count();
    (n(&sc.lan.a, "a0"), n(&sc.lan.b, "b0"))
}

/// Which node has the VIPs: (A has both, B has both).
fn holders(sc: &Scene) -> (bool, bool) {
    let (a, b) = counts(sc);
    (a == VIPS.len(), b == VIPS.len())
}

/// [`holders`] at a point where nothing should be moving: a node with some of the VIPs
/// only is a failure.
fn settled(sc: &Scene) -> (bool, bool) {
    let (a, b) = counts(sc);
    assert!(
        [a, b].iter().all(|&n| n == 0 || n == VIPS.len()),
        "{}: VIPs split: A has {a}, B has {b}",
        sc.name
    );
    holders(sc)
}

/// The four steps with daemons `da` on node na and `db` on node nb; the holders seen.
fn scenario(da: Daemon, db: Daemon, tag: &str) -> Option<Vec<(bool, bool)>> {
    let name = format!("shared file, {da:?} -i na / {db:?} -i nb");
    let mut sc = Scene::new(&name, tag)?;
    let conf = sc.write("keepalived.conf", &shared(&sc.a(), &sc.b()));
    let mut seen = Vec::new();
    let a = start(&mut sc, da, &conf, "na", "a1");
    sc.wait(LIMIT, "A (150) takes the VIPs alone", || {
        holders(&sc) == (true, false)
    });
    seen.push(settled(&sc));
    let b = start(&mut sc, db, &conf, "nb", "b1");
    sleep(SETTLE);
    seen.push(settled(&sc));
    sc.term(a, "node A", Duration::from_secs(30));
    sc.wait(LIMIT, "B takes the VIPs over", || {
        holders(&sc) == (false, true)
    });
    seen.push(settled(&sc));
    let _a2 = start(&mut sc, da, &conf, "na", "a2");
    sc.wait(LIMIT, "A (150) preempts back", || {
        holders(&sc) == (true, false)
    });
    sleep(SETTLE);
    seen.push(settled(&sc));
    sc.term(b, "node B", Duration::from_secs(30));
    if da == Daemon::Vrrpd {
        let log = sc.read("a1.log");
        assert!(log.contains("(VI_1) Entering MASTER STATE"), "{log}");
    }
    Some(seen)
}

const EXPECTED: [(bool, bool); 4] = [(true, false), (true, false), (false, true), (true, false)];

#[test]
fn one_file_two_nodes_keepalived_pair() {
    if let Some(seen) = scenario(Daemon::Keepalived, Daemon::Keepalived, "shkk") {
        assert_eq!(seen, EXPECTED);
    }
}

#[test]
fn one_file_two_nodes_vrrpd_pair() {
    if let Some(seen) = scenario(Daemon::Vrrpd, Daemon::Vrrpd, "shvv") {
        assert_eq!(seen, EXPECTED);
    }
}

#[test]
fn one_file_two_nodes_mixed_pairs() {
    if let Some(seen) = scenario(Daemon::Keepalived, Daemon::Vrrpd, "shkv") {
        assert_eq!(seen, EXPECTED, "keepalived -i na, vrrpd -i nb");
    }
    if let Some(seen) = scenario(Daemon::Vrrpd, Daemon::Keepalived, "shvk") {
        assert_eq!(seen, EXPECTED, "vrrpd -i na, keepalived -i nb");
    }
}

/// `vrrpd status --json` with the default control socket named by `naming` flags.
fn status(naming: &[&str], conf: &Path) -> Option<serde_json::Value> {
    let o = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(naming)
        .arg("-f")
        .arg(conf)
        .args(["status", "--json"])
        .output()
        .unwrap();
    if !o.status.success() {
        return None;
    }
    serde_json::from_slice(&o.stdout).ok()
}

/// Two vrrpd with nothing but `naming_a` / `naming_b` to tell them apart.
fn two_default_daemons(tag: &str, what: &str, naming: impl Fn(&Scene, &str) -> Vec<String>) {
    let name = format!("default paths named by {what}");
    let Some(mut sc) = Scene::new(&name, tag) else {
        return;
    };
    let conf = sc.write("keepalived.conf", &shared(&sc.a(), &sc.b()));
    let mut kids = Vec::new();
    let mut files = Vec::new();
    for node in ["na", "nb"] {
        let flags = naming(&sc, node);
        let log = std::fs::File::create(sc.path(&format!("{node}.log"))).unwrap();
        // Without -s, the daemon is started in its node's namespace (`ip netns exec`).
        let mut cmd = if flags.iter().any(|f| f == "-s") {
            Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        } else {
            let ns = if node == "na" { sc.a() } else { sc.b() };
            let mut c = Command::new("ip");
            c.args(["netns", "exec", &ns, env!("CARGO_BIN_EXE_vrrpd")]);
            c
        };
        let child = cmd
            .args(["-n", "-l"])
            .args(&flags)
            .arg("-f")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        sc.lan.children.push(child);
        kids.push(sc.lan.children.len() - 1);
        files.push(flags);
    }
    for (i, (flags, node)) in files.iter().zip(["na", "nb"]).enumerate() {
        let f: Vec<&str> = flags.iter().map(String::as_str).collect();
        let mut s = None;
        sc.wait(
            LIMIT,
            &format!("{node} answers on its default socket"),
            || {
                s = status(&f, &conf);
                s.is_some()
            },
        );
        let s = Scene::vi1(&s.unwrap());
        let prio = if node == "na" { 150 } else { 100 };
        assert_eq!(
            num(&s, "/effective_priority"),
            prio,
            "{node} via {flags:?}: {s}"
        );
        let pid_file = default_path(&f, "pid");
        let pid = std::fs::read_to_string(&pid_file)
            .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()));
        assert_eq!(
            pid.trim(),
            sc.pid(kids[i]).to_string(),
            "{}",
            pid_file.display()
        );
        println!(
            "{node}: pid file {}, state {}",
            pid_file.display(),
            text(&s, "/state")
        );
    }
    sc.wait(LIMIT, "node A (150) holds the VIPs", || {
        holders(&sc) == (true, false)
    });
    for (i, flags) in kids.iter().zip(&files) {
        sc.term(*i, "vrrpd", Duration::from_secs(30));
        let f: Vec<&str> = flags.iter().map(String::as_str).collect();
        for ext in ["pid", "sock"] {
            let p = default_path(&f, ext);
            assert!(!p.exists(), "{} left behind", p.display());
        }
    }
}

/// The default path vrrpd uses with `flags` (`-i ID` or `-s NS`, and `-i` for `@` lines).
fn default_path(flags: &[&str], ext: &str) -> PathBuf {
    let get = |f: &str| flags.iter().position(|x| *x == f).map(|i| flags[i + 1]);
    let mut dir = PathBuf::from("/run/vrrpd");
    if let Some(ns) = get("-s") {
        dir.push(ns);
    }
    match get("-i") {
        Some(id) => dir.join(format!("vrrpd@{id}.{ext}")),
        None => dir.join(format!("vrrpd.{ext}")),
    }
}

/// Named after `-i`: ids unique to this run (the file's `@` lines use them); no
/// `net_namespace` in the file, the daemons are started inside the namespaces.
#[test]
fn default_paths_named_by_config_id_do_not_collide() {
    let pid = std::process::id();
    two_default_daemons("dpi", "-i", |sc, node| {
        let id = format!("{node}{pid}");
        let conf: String = shared(&sc.a(), &sc.b())
            .lines()
            .filter(|l| !l.contains("net_namespace"))
            .map(|l| format!("{l}\n"))
            .collect();
        let conf = conf
            .replace("@na ", &format!("@na{pid} "))
            .replace("@nb ", &format!("@nb{pid} "));
        sc.write("keepalived.conf", &conf);
        vec!["-i".into(), id]
    });
}

/// Named after `-s`: the namespaces, unique to this run; the `@` lines pick with `-i`,
/// which names the files too: `/run/vrrpd/NS/vrrpd@ID.pid`.
#[test]
fn default_paths_named_by_namespace_do_not_collide() {
    two_default_daemons("dps", "-s", |sc, node| {
        let ns = if node == "na" { sc.a() } else { sc.b() };
        vec!["-s".into(), ns, "-i".into(), node.into()]
    });
}

/// A reload cannot move the daemon to another namespace or rename it (keepalived: "Cannot
/// change network namespace at a reload - please restart"): refused, logged, the running
/// configuration kept; the same file reloads fine.
#[test]
fn a_reload_cannot_change_namespace_or_instance() {
    let Some(mut sc) = Scene::new("reload with another net_namespace", "shrl") else {
        return;
    };
    let original = shared(&sc.a(), &sc.b());
    let conf = sc.write("keepalived.conf", &original);
    let a = start(&mut sc, Daemon::Vrrpd, &conf, "na", "a1");
    sc.wait(LIMIT, "A takes the VIPs", || holders(&sc) == (true, false));
    for (i, changed) in [
        original.replace("@na net_namespace ", "@na net_namespace x"),
        format!("instance other\n{original}"),
    ]
    .iter()
    .enumerate()
    {
        sc.write("keepalived.conf", changed);
        sc.signal(a, "HUP");
        sc.wait(LIMIT, "the reload is refused", || {
            sc.read("a1.log")
                .matches("net_namespace and instance cannot change at a reload")
                .count()
                == i + 1
        });
        let s = Scene::vi1(&sc.status("a1"));
        assert_eq!(text(&s, "/state"), "MASTER", "{s}");
        assert_eq!(settled(&sc), (true, false));
    }
    assert_eq!(num(&sc.status("a1"), "/reloads_failed"), 2);
    sc.write("keepalived.conf", &original);
    sc.signal(a, "HUP");
    sc.wait(LIMIT, "the same file reloads", || {
        sc.read("a1.log").contains("Reload finished")
    });
    assert_eq!(num(&sc.status("a1"), "/reloads_failed"), 2);
    assert_eq!(settled(&sc), (true, false));
    sc.term(a, "vrrpd", Duration::from_secs(30));
}
