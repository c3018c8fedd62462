//! Two `vrrp-one` processes (vrrp-net + vrrp-fsm) on a bridged LAN of network namespaces:
//! the higher priority becomes master and holds the VIP; its link goes down and the other
//! takes the VIP over; the link comes back and the VIP is preempted back; SIGTERM releases it.
//! Assertions look at the addresses the kernel has configured in each namespace.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const VIP: &str = "192.0.2.100";

struct Lan {
    a: String,
    b: String,
    br: String,
    children: Vec<Child>,
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().unwrap();
    assert!(st.success(), "ip {args:?}");
}

impl Lan {
    /// nsA(a0) — nsBR(br0: a1, b1) — nsB(b0), 192.0.2.1 and .2 /24.
    fn new() -> Lan {
        let pid = std::process::id();
        let lan = Lan {
            a: format!("vrrpfo-a-{pid}"),
            b: format!("vrrpfo-b-{pid}"),
            br: format!("vrrpfo-br-{pid}"),
            children: Vec::new(),
        };
        for ns in [&lan.a, &lan.b, &lan.br] {
            ip(&["netns", "add", ns]);
        }
        ip(&["-n", &lan.br, "link", "add", "br0", "type", "bridge"]);
        for (ns, end, port, addr) in [
            (&lan.a, "a0", "a1", "192.0.2.1/24"),
            (&lan.b, "b0", "b1", "192.0.2.2/24"),
        ] {
            ip(&[
                "-n", &lan.br, "link", "add", port, "type", "veth", "peer", "name", end, "netns",
                ns,
            ]);
            ip(&["-n", &lan.br, "link", "set", port, "master", "br0", "up"]);
            ip(&["-n", ns, "addr", "add", addr, "dev", end]);
            ip(&["-n", ns, "link", "set", end, "up"]);
        }
        ip(&["-n", &lan.br, "link", "set", "br0", "up"]);
        lan
    }

    fn start(&mut self, ns: &str, dev: &str, prio: &str) -> usize {
        let exe = examples_dir().join("vrrp-one");
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(&exe)
            .args([
                "--interface",
                dev,
                "--vrid",
                "51",
                "--priority",
                prio,
                "--vip",
                VIP,
            ])
            .args(["--advert-cs", "20", "--name", dev])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.children.push(child);
        self.children.len() - 1
    }

    fn has_vip(ns: &str, dev: &str) -> bool {
        let out = Command::new("ip")
            .args(["-n", ns, "-o", "addr", "show", "dev", dev])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains(&format!("inet {VIP}/32"))
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.a, &self.b, &self.br] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples")
}

/// Poll `cond` every 20 ms for at most `limit` (a bound on waiting, not a speed assertion).
fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        sleep(Duration::from_millis(20));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn two_routers_elect_fail_over_on_link_loss_and_preempt_back() {
    if !is_root() {
        eprintln!("SKIP two_routers_elect_fail_over_on_link_loss_and_preempt_back: needs root");
        return;
    }
    let mut lan = Lan::new();
    let (a, b) = (lan.a.clone(), lan.b.clone());
    let limit = Duration::from_secs(10);
    lan.start(&a, "a0", "150");
    lan.start(&b, "b0", "100");

    wait_for(limit, "VIP on the priority-150 router", || {
        Lan::has_vip(&a, "a0")
    });
    // Stable for a few advert intervals, and never on both.
    for _ in 0..20 {
        assert!(!Lan::has_vip(&b, "b0"), "VIP on both nodes");
        sleep(Duration::from_millis(20));
    }

    ip(&["-n", &a, "link", "set", "a0", "down"]);
    wait_for(limit, "VIP moved to the backup after link loss", || {
        Lan::has_vip(&b, "b0")
    });
    wait_for(limit, "VIP released by the faulted router", || {
        !Lan::has_vip(&a, "a0")
    });

    ip(&["-n", &a, "link", "set", "a0", "up"]);
    wait_for(limit, "VIP preempted back by priority 150", || {
        Lan::has_vip(&a, "a0")
    });
    wait_for(limit, "VIP released by priority 100", || {
        !Lan::has_vip(&b, "b0")
    });

    // SIGTERM: both exit 0 and release the VIP.
    for c in &mut lan.children {
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
    }
    for c in &mut lan.children {
        let st = c.wait().unwrap();
        assert!(st.success(), "exit status {st}");
    }
    assert!(!Lan::has_vip(&a, "a0") && !Lan::has_vip(&b, "b0"));
}
