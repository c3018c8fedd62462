//! Clients that never finish their request — on the control socket or the metrics port —
//! cannot stall the daemon: it keeps advertising and still answers a well-behaved client.
//! One namespace with a veth pair, vrrpd alone on one end (master).

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
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["status", "--json", "--control"])
        .arg(sock)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sent(v: &serde_json::Value) -> u64 {
    v["instances"][0]["counters"]["advertisement_sent"]
        .as_u64()
        .unwrap()
}

#[test]
fn silent_and_half_finished_clients_do_not_stall_the_daemon() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP silent_and_half_finished_clients_do_not_stall_the_daemon: needs root");
        return;
    }
    let pid = std::process::id();
    let mut ns = Ns {
        name: format!("vrrpcc-{pid}"),
        dir: std::env::temp_dir().join(format!("vrrpcc-{pid}")),
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
            .args(["-n", "-l", "--metrics-listen", "127.0.0.1:9651", "-f"])
            .arg(&conf)
            .arg("--control")
            .arg(&sock)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while !sock.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "daemon did not start"
        );
        sleep(Duration::from_millis(20));
    }
    let start = Instant::now();
    while status(&sock)["instances"][0]["state"] != "MASTER" {
        assert!(start.elapsed() < Duration::from_secs(10), "never MASTER");
        sleep(Duration::from_millis(50));
    }

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
    sleep(Duration::from_millis(1000));
    let after = status(&sock);
    // 0.1 s adverts: about 10 in that second; 5 proves the loop kept running.
    assert!(
        sent(&after) >= before + 5,
        "adverts stalled: {before} -> {}",
        sent(&after)
    );
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
