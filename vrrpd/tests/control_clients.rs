//! Clients that never finish their request — on the control socket or the metrics port —
//! cannot stall the daemon: it keeps advertising and still answers a well-behaved client.
//! One namespace with a veth pair, vrrpd alone on one end (master). Also: SIGUSR1 writes
//! keepalived's state dump.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
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
    v["instances"][0]["counters"]["advertisement_sent"]
        .as_u64()
        .unwrap()
}

/// vrrpd alone on one end of a veth pair in a fresh namespace `vrrp{tag}-PID`, with `args`
/// added to its command line; returns once it is MASTER.
fn solo(tag: &str, args: &[&str]) -> (Ns, std::path::PathBuf) {
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
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n  interface d0\n  virtual_router_id 51\n  priority 150\n  \
         version 3\n  advert_int 0.1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n",
    )
    .unwrap();
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
