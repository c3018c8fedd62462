//! Clients that never finish their request — on the control socket or the metrics port —
//! cannot stall the daemon: it keeps advertising and still answers a well-behaved client.
//! Floods of clients (unprivileged local users on the control socket, a host on the metrics
//! port) cannot lock root out, fill the log or grow the daemon's memory past its budget.
//! One namespace with a veth pair, vrrpd alone on one end (master). Also: SIGUSR1 writes
//! keepalived's state dump.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

struct Ns {
    name: String,
    dir: std::path::PathBuf,
    daemon: Option<Child>,
}

impl Drop for Ns {
    fn drop(&mut self) {
        if let Some(mut c) = self.daemon.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ip(args: &[&str]) {
    assert!(
        Command::new("ip").args(args).status().unwrap().success(),
        "ip {args:?}"
    );
}

fn status(sock: &std::path::Path) -> serde_json::Value {
    try_status(sock).unwrap_or_else(|e| panic!("{e}"))
}

/// `vrrpd status --json`, or its error output.
fn try_status(sock: &std::path::Path) -> Result<serde_json::Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["status", "--json", "--control"])
        .arg(sock)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap())
}

fn sent(v: &serde_json::Value) -> u64 {
    v["instances"][0]["counters"]["adverts_sent"]
        .as_u64()
        .unwrap()
}

/// One VRRPv3 instance, VI_1 on d0, advertising every 0.1 s.
const ONE: &str = "vrrp_instance VI_1 {\n  interface d0\n  virtual_router_id 51\n  priority 150\n  \
                   version 3\n  advert_int 0.1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n";

/// vrrpd alone on one end of a veth pair in a fresh namespace `vrrp{tag}-PID`, with `args`
/// added to its command line; returns once it is MASTER.
fn solo(tag: &str, args: &[&str]) -> (Ns, std::path::PathBuf) {
    solo_with(tag, ONE, args)
}

/// [`solo`] with configuration `conf` (its first instance on d0 becomes MASTER).
fn solo_with(tag: &str, conf_text: &str, args: &[&str]) -> (Ns, std::path::PathBuf) {
    let pid = std::process::id();
    let mut ns = Ns {
        name: format!("vrrp{tag}-{pid}"),
        dir: std::env::temp_dir().join(format!("vrrp{tag}-{pid}")),
        daemon: None,
    };
    std::fs::create_dir_all(&ns.dir).unwrap();
    ip(&["netns", "add", &ns.name]);
    // A veth pair inside the namespace: d0 has carrier while d1 is up (no dummy module
    // on every machine).
    ip(&[
        "-n", &ns.name, "link", "add", "d0", "type", "veth", "peer", "name", "d1",
    ]);
    ip(&["-n", &ns.name, "addr", "add", "192.0.2.1/24", "dev", "d0"]);
    ip(&["-n", &ns.name, "link", "set", "d1", "up"]);
    ip(&["-n", &ns.name, "link", "set", "d0", "up"]);
    ip(&["-n", &ns.name, "link", "set", "lo", "up"]);
    let conf = ns.dir.join("k.conf");
    std::fs::write(&conf, conf_text).unwrap();
    let sock = ns.dir.join("c.sock");
    let log = std::fs::File::create(ns.dir.join("d.log")).unwrap();
    ns.daemon = Some(
        Command::new("ip")
            .args(["netns", "exec", &ns.name])
            .arg(env!("CARGO_BIN_EXE_vrrpd"))
            .args(["-n", "-l"])
            .args(args)
            .arg("-f")
            .arg(&conf)
            .arg("--control")
            .arg(&sock)
            .arg("-p")
            .arg(ns.dir.join("vrrpd.pid"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap(),
    );
    // The socket file appears a moment before the daemon listens on it: a refused
    // connection is retried until the bound.
    let start = Instant::now();
    loop {
        match try_status(&sock) {
            Ok(s) if s["instances"][0]["state"] == "MASTER" => break,
            Ok(_) => {}
            Err(e) => assert!(
                start.elapsed() < Duration::from_secs(10),
                "daemon does not answer ({e}): {}",
                std::fs::read_to_string(ns.dir.join("d.log")).unwrap_or_default()
            ),
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never MASTER");
        sleep(Duration::from_millis(50));
    }
    (ns, sock)
}

/// SIGTERM the daemon, expect exit 0 and no panic in its log.
fn stop(mut ns: Ns) {
    let mut daemon = ns.daemon.take().unwrap();
    assert!(daemon.try_wait().unwrap().is_none(), "daemon died");
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    assert!(daemon.wait().unwrap().success());
    let mut log = String::new();
    std::fs::File::open(ns.dir.join("d.log"))
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn silent_and_half_finished_clients_do_not_stall_the_daemon() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP silent_and_half_finished_clients_do_not_stall_the_daemon: needs root");
        return;
    }
    let (ns, sock) = solo("cc", &["--metrics-listen", "127.0.0.1:9651"]);

    // 100 control clients that connect and say nothing; a metrics client (inside the
    // namespace, through a helper process) that sends half a request head.
    let silent: Vec<UnixStream> = (0..100)
        .map(|_| UnixStream::connect(&sock).unwrap())
        .collect();
    let mut half = Command::new("ip")
        .args(["netns", "exec", &ns.name, "/usr/bin/python3", "-c"])
        .arg(
            "import socket,time\ns=socket.create_connection(('127.0.0.1',9651))\n\
             s.send(b'GET /metr')\ntime.sleep(5)\n",
        )
        .spawn()
        .unwrap();
    let before = sent(&status(&sock));
    // 0.1 s adverts: 5 more take half a second when the loop runs. A loop blocked on each
    // silent client (even 100 ms apiece) would need 10 s; the bound is a liveness bound.
    let start = Instant::now();
    let after = loop {
        let now = status(&sock);
        if sent(&now) >= before + 5 {
            break now;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "adverts stalled: {before} -> {}",
            sent(&now)
        );
        sleep(Duration::from_millis(50));
    };
    assert_eq!(after["instances"][0]["state"], "MASTER");
    // A well-behaved metrics scrape still works while the half request hangs.
    let scrape = Command::new("ip")
        .args(["netns", "exec", &ns.name, "/usr/bin/python3", "-c"])
        .arg(
            "import urllib.request\n\
             print(urllib.request.urlopen('http://127.0.0.1:9651/metrics',timeout=3).read().decode())",
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&scrape.stdout);
    assert!(
        text.contains("vrrp_instance_state{instance=\"VI_1\",interface=\"d0\",vrid=\"51\",state=\"MASTER\"} 1"),
        "{text}\n{}",
        String::from_utf8_lossy(&scrape.stderr)
    );
    drop(silent);
    let _ = half.kill();
    let _ = half.wait();
    // The daemon is alive and stops cleanly.
    stop(ns);
}

#[test]
fn sigusr1_writes_the_state_dump() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP sigusr1_writes_the_state_dump: needs root");
        return;
    }
    let pid = std::process::id();
    let dump = std::env::temp_dir().join(format!("vrrpd-dump-{pid}.data"));
    let dump_arg = dump.display().to_string();
    let (ns, _sock) = solo("du", &["--dump-file", &dump_arg]);
    let daemon = ns.daemon.as_ref().unwrap().id().to_string();
    assert!(!dump.exists());
    let _ = Command::new("kill").args(["-USR1", &daemon]).status();
    let start = Instant::now();
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&dump) {
            if !t.is_empty() {
                break t;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no dump written");
        sleep(Duration::from_millis(20));
    };
    let _ = std::fs::remove_file(&dump);
    assert!(text.contains("VRRP Instance = VI_1"), "{text}");
    assert!(text.contains("State = MASTER"), "{text}");
    assert!(text.contains("Virtual IP = 192.0.2.100/24"), "{text}");
    stop(ns);
}

/// uid and gid of `nobody`: the unprivileged local user of the flood tests.
const NOBODY: u32 = 65534;

/// Bytes in the daemon's log so far.
fn log_len(ns: &Ns) -> u64 {
    std::fs::metadata(ns.dir.join("d.log")).unwrap().len()
}

/// The daemon's resident memory, kB (VmRSS), by the pid in its `-p` file.
fn rss_kb(ns: &Ns) -> u64 {
    let pid = std::fs::read_to_string(ns.dir.join("vrrpd.pid")).unwrap();
    let text = std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// `vrrpd ARGS --control SOCK`, given at most 10 s (a liveness bound: a client stuck
/// behind a flood counts as a failure, not a hang).
fn vrrpd_within(sock: &std::path::Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(args)
        .arg("--control")
        .arg(sock)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            break;
        }
        sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

/// The counts of one client pool (`control_clients` or `metrics_clients`).
fn pool(v: &serde_json::Value, which: &str, count: &str) -> u64 {
    v["global"][which][count]
        .as_u64()
        .unwrap_or_else(|| panic!("no global.{which}.{count} in {v}"))
}

/// A local user's connect flood: connect to the control socket in a tight loop, hold up to
/// `argv[2]` connections, close them all and start again.
const CONNECT_FLOOD: &str = r#"
import socket, sys
path, hold = sys.argv[1], int(sys.argv[2])
socks = []
while True:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        socks.append(s)
    except OSError:
        s.close()
    if len(socks) >= hold:
        for s in socks:
            s.close()
        socks = []
"#;

/// Root drains and undrains 20 times while `nobody` floods the world-connectable control
/// socket with connects, from one process and then from eight, each holding hundreds of
/// connections open and re-opening them.
///
/// Before: control and metrics clients shared 64 slots and each new client evicted the
/// oldest, with a warning line per eviction: 0 of 20 root `drain`/`undrain` calls succeeded
/// ("Connection reset by peer": root's connection was evicted before it was read) with one
/// flooding process as with four, and the log grew by 13 MB in about a second. Now
/// unprivileged clients are refused once they hold their share, root's requests find the
/// slots kept for privileged peers, and the refusals are counted and logged a few lines
/// per 10 s.
/// `processes` flooders running [`CONNECT_FLOOD`] as `nobody` against `sock`; returns
/// once the daemon has refused 100 more clients (the flood is on).
fn connect_flood(sock: &std::path::Path, processes: usize) -> Vec<Child> {
    let before = pool(&status(sock), "control_clients", "refused");
    let flood = (0..processes)
        .map(|_| {
            Command::new("/usr/bin/python3")
                .args(["-c", CONNECT_FLOOD])
                .arg(sock)
                .arg("300")
                .uid(NOBODY)
                .gid(NOBODY)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let start = Instant::now();
    while pool(&status(sock), "control_clients", "refused") < before + 100 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the flood never filled the unprivileged share"
        );
        sleep(Duration::from_millis(20));
    }
    flood
}

fn kill_all(children: Vec<Child>) {
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

#[test]
fn root_drains_through_an_unprivileged_connect_flood() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP root_drains_through_an_unprivileged_connect_flood: needs root");
        return;
    }
    let (ns, sock) = solo("cf", &[]);
    // nobody must reach the socket (itself 0666) through the test's directory.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ns.dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let start = Instant::now();
    for processes in [1, 8] {
        let before = status(&sock);
        let log0 = log_len(&ns);
        let flood = connect_flood(&sock, processes);
        let mut failures = Vec::new();
        for i in 0..20 {
            let verb = if i % 2 == 0 { "drain" } else { "undrain" };
            let out = vrrpd_within(&sock, &[verb, "VI_1"]);
            let reply = String::from_utf8_lossy(&out.stdout);
            if !(out.status.success() && reply.contains("\"ok\":true")) {
                failures.push(format!(
                    "{verb}: {} {reply}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        let during = status(&sock);
        kill_all(flood);
        let grown = log_len(&ns) - log0;
        let counts = &during["global"]["control_clients"];
        eprintln!(
            "{processes} flooding process(es): {}/20 drains succeeded, log +{grown} bytes, \
             control_clients {counts}",
            20 - failures.len()
        );
        assert!(failures.is_empty(), "{failures:?}");
        // 20 "(VI_1) drained/undrained" lines and a few rate-limited warnings: a few kB.
        // A line per refused client (tens of thousands here) would be megabytes.
        assert!(grown < 16 * 1024, "log grew by {grown} bytes");
        let refused = pool(&during, "control_clients", "refused")
            - pool(&before, "control_clients", "refused");
        assert!(refused >= 100, "{counts}");
        assert_eq!(pool(&during, "control_clients", "evicted"), 0, "{counts}");
    }
    // Past the warnings' 10 s window, a brief flood again: its first warning says how many
    // were not written; a few warnings per window in all.
    sleep(Duration::from_millis(10_500).saturating_sub(start.elapsed()));
    kill_all(connect_flood(&sock, 1));
    let log = std::fs::read_to_string(ns.dir.join("d.log")).unwrap();
    let warnings = log.lines().filter(|l| l.contains("WARN")).count();
    assert!(warnings <= 15, "{warnings} warnings:\n{log}");
    assert!(log.contains("similar lines suppressed)"), "{log}");
    assert_eq!(status(&sock)["instances"][0]["drained"], false);
    stop(ns);
}

/// A host's metrics flood: hold up to `argv[2]` connections to 127.0.0.1:`argv[1]`, each
/// sending a request and never reading (a 4 KB receive buffer), for `argv[3]` seconds.
const METRICS_FLOOD: &str = r#"
import socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
end = time.time() + secs
socks = []
while time.time() < end:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(s)
    except OSError:
        s.close()
    if len(socks) >= n:
        for s in socks[: n // 2]:
            s.close()
        socks = socks[n // 2 :]
"#;

/// The metrics pool's reply budget (`conns::METRICS.budget`).
const METRICS_BUDGET_KB: u64 = 8 * 1024;

/// Hundreds of metrics connections that send a request and never read, at 250 instances
/// (a scrape is about 590 kB), while root asks for the status and drains.
///
/// Before: the unread replies stayed in the daemon (64 shared slots, each reply held until
/// sent): RSS went from 9.7 to 47 MB within 2 s of this flood. Now the metrics clients have
/// their own 32 slots (the control socket's are untouched), unsent replies are held within
/// an 8 MiB budget and a reply past it is an HTTP 503.
#[test]
fn a_metrics_flood_is_refused_within_the_reply_budget() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP a_metrics_flood_is_refused_within_the_reply_budget: needs root");
        return;
    }
    let mut conf = String::new();
    for i in 1..=250 {
        conf += &format!(
            "vrrp_instance VI_{i} {{\n  interface d0\n  virtual_router_id {i}\n  priority 150\n  \
             version 3\n  advert_int 1\n  virtual_ipaddress {{\n    198.51.100.{i}/24\n  }}\n}}\n"
        );
    }
    let (ns, sock) = solo_with("mf", &conf, &["--metrics-listen", "127.0.0.1:9652"]);
    // As over a LAN: with loopback's 64 KB segments the kernel would take whole replies into
    // its send buffers, and the daemon's memory would not show what a remote flood does.
    ip(&["-n", &ns.name, "link", "set", "lo", "mtu", "1500"]);
    let start = Instant::now();
    while status(&sock)["instances"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["state"] != "MASTER")
    {
        assert!(start.elapsed() < Duration::from_secs(20), "not all MASTER");
        sleep(Duration::from_millis(200));
    }
    let scrape = Command::new("ip")
        .args(["netns", "exec", &ns.name, "/usr/bin/python3", "-c"])
        .arg(
            "import urllib.request\n\
             print(len(urllib.request.urlopen('http://127.0.0.1:9652/metrics',timeout=5).read()))",
        )
        .output()
        .unwrap();
    let reply_kb: u64 = String::from_utf8_lossy(&scrape.stdout)
        .trim()
        .parse::<u64>()
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&scrape.stderr)))
        / 1024;
    assert!(reply_kb > 400, "a scrape of {reply_kb} kB is not big");
    let rss0 = rss_kb(&ns);
    let mut flood = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.name,
            "/usr/bin/python3",
            "-c",
            METRICS_FLOOD,
        ])
        .args(["9652", "300", "6"])
        .spawn()
        .unwrap();
    let mut rss_max = rss0;
    let mut asked = 0;
    let mut i = 0u32;
    while flood.try_wait().unwrap().is_none() {
        rss_max = rss_max.max(rss_kb(&ns));
        i += 1;
        if i % 10 == 0 {
            assert_eq!(status(&sock)["instances"].as_array().unwrap().len(), 250);
            let verb = if asked % 2 == 0 { "drain" } else { "undrain" };
            let out = vrrpd_within(&sock, &[verb, "VI_1"]);
            assert!(
                out.status.success(),
                "{verb}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            asked += 1;
        }
        sleep(Duration::from_millis(50));
    }
    let after = status(&sock);
    let counts = &after["global"]["metrics_clients"];
    // Held replies are within the budget (counted at their allocated size); a scrape being
    // built adds the status, the text while it grows (up to twice its size) and the reply:
    // three replies' worth; 4 MiB for the allocator's slack.
    let bound = METRICS_BUDGET_KB + 3 * reply_kb + 4 * 1024;
    eprintln!(
        "metrics flood at 250 instances (scrape {reply_kb} kB): RSS {rss0} -> max {rss_max} kB \
         (bound +{bound} kB), {asked} status+drain rounds ok, metrics_clients {counts}, \
         control_clients {}",
        after["global"]["control_clients"]
    );
    assert!(asked >= 5, "only {asked} control rounds during the flood");
    assert!(rss_max - rss0 <= bound, "RSS {rss0} -> {rss_max} kB");
    assert!(pool(&after, "metrics_clients", "refused") > 0, "{counts}");
    assert!(
        pool(&after, "metrics_clients", "over_budget") > 0,
        "{counts}"
    );
    assert!(pool(&after, "metrics_clients", "reply_bytes") <= METRICS_BUDGET_KB * 1024);
    // The metrics flood never touched the control socket's pool.
    assert_eq!(pool(&after, "control_clients", "refused"), 0);
    let metrics = Command::new("ip")
        .args(["netns", "exec", &ns.name, "/usr/bin/python3", "-c"])
        .arg(
            "import urllib.request\n\
             print(urllib.request.urlopen('http://127.0.0.1:9652/metrics',timeout=5).read().decode())",
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&metrics.stdout);
    assert!(
        text.lines().any(
            |l| l.starts_with("vrrpd_clients_refused_total{server=\"metrics\"} ")
                && !l.ends_with(" 0")
        ),
        "{}",
        &text[text.len().saturating_sub(3000)..]
    );
    stop(ns);
}
