//! `examples/tokio_service.rs` on a real link, with keepalived 2.2.7 as its peer: the example
//! (priority 150) is elected master over keepalived (100, VRRPv3), keepalived stays backup
//! and never takes the VIP; on Ctrl-C the example sends its priority-0 advert and keepalived
//! takes over. Root (network namespaces, raw sockets) and keepalived; skipped elsewhere with
//! the reason printed. The example is built by `cargo test` with the crate's tests.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use vrrp_lab::{Pair, Skip, WorkDir};

/// Bounds on how long the protocol may take: failures, not speed checks.
const ELECTED: Duration = Duration::from_secs(10);
const TAKEOVER: Duration = Duration::from_secs(5);
const VIP: &str = "192.0.2.100";

/// A process we started, stopped (SIGTERM) and reaped on drop.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.0.id() as i32), Signal::SIGTERM);
        let _ = self.0.wait();
    }
}

fn example() -> PathBuf {
    // target/debug/deps/tokio_service-HASH → target/debug/examples/tokio_service
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/tokio_service");
    assert!(path.exists(), "{} not built", path.display());
    path
}

fn has_vip(pair: &Pair) -> bool {
    pair.b.has_addr(Pair::B_IF, &format!("{VIP}/24"))
}

#[test]
fn tokio_service_is_elected_over_keepalived_and_hands_over_on_ctrl_c() {
    let skip = Skip::check("tokio_service_is_elected_over_keepalived_and_hands_over_on_ctrl_c")
        .root("network namespaces, raw sockets")
        .program("keepalived");
    if !skip.ok() {
        return;
    }
    let pair = Pair::new("vrrptok").unwrap();
    let dir = WorkDir::create(&format!("vrrptok-{}", std::process::id())).unwrap();
    let conf = dir.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "vrrp_instance VI_1 {{\n  state BACKUP\n  interface {}\n  virtual_router_id 51\n  \
             priority 100\n  advert_int 1\n  version 3\n  virtual_ipaddress {{\n    {VIP}/24\n  \
             }}\n}}\n",
            Pair::B_IF
        ),
    )
    .unwrap();
    let log = dir.join("keepalived.log");
    let keepalived = Started(
        pair.b
            .command("keepalived")
            .args(["-n", "-l", "-D", "-f"])
            .arg(&conf)
            .arg("-p")
            .arg(dir.join("k.pid"))
            .arg("-r")
            .arg(dir.join("v.pid"))
            .arg("-c")
            .arg(dir.join("c.pid"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let mut service = Started(
        pair.a
            .command(example())
            .args([Pair::A_IF, "51", "150", VIP])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, lines) = mpsc::channel();
    let out = service.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + ELECTED;
    while !seen.iter().any(|l: &String| l.contains(": Master (")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) => seen.push(l),
            Err(_) => panic!("the example was not elected master: {seen:?}"),
        }
    }
    // Two more advert intervals: keepalived hears the example and stays backup.
    std::thread::sleep(Duration::from_secs(2));
    let klog = std::fs::read_to_string(&log).unwrap();
    assert!(klog.contains("Entering BACKUP STATE"), "{klog}");
    assert!(
        !klog.contains("Entering MASTER STATE"),
        "two masters: {klog}"
    );
    assert!(
        !has_vip(&pair),
        "keepalived took the VIP while the example was master"
    );

    // Ctrl-C: priority 0, then keepalived takes over (Skew_Time, about 0.6 s).
    kill(Pid::from_raw(service.0.id() as i32), Signal::SIGINT).unwrap();
    let status = service.0.wait().unwrap();
    assert!(status.success(), "the example exited with {status}");
    let t = Instant::now();
    while !has_vip(&pair) {
        assert!(
            t.elapsed() < TAKEOVER,
            "keepalived did not take the VIP over"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let klog = std::fs::read_to_string(&log).unwrap();
    assert!(
        klog.contains("Backup received priority 0 advertisement"),
        "{klog}"
    );
    assert!(klog.contains("Entering MASTER STATE"), "{klog}");
    while let Ok(l) = lines.try_recv() {
        seen.push(l);
    }
    assert!(
        seen.iter().any(|l| l.contains(": Initialize (Shutdown)")),
        "{seen:?}"
    );
    drop(keepalived);
}
