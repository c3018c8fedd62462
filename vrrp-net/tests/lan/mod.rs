//! A bridged LAN of network namespaces for end-to-end tests: nsA(a0) — nsBR(br0) — nsB(b0),
//! 192.0.2.1/.2 and 2001:db8::1/::2, DAD off. Processes started through it are killed and
//! the namespaces deleted on drop, even after a failed assertion.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub struct Lan {
    pub a: String,
    pub b: String,
    br: String,
    pub children: Vec<Child>,
    pub dir: PathBuf,
}

pub fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().unwrap();
    assert!(st.success(), "ip {args:?}");
}

impl Lan {
    pub fn new(tag: &str) -> Lan {
        let pid = std::process::id();
        let lan = Lan {
            a: format!("vrrp{tag}-a-{pid}"),
            b: format!("vrrp{tag}-b-{pid}"),
            br: format!("vrrp{tag}-br-{pid}"),
            children: Vec::new(),
            dir: std::env::temp_dir().join(format!("vrrp{tag}-{pid}")),
        };
        std::fs::create_dir_all(&lan.dir).unwrap();
        for ns in [&lan.a, &lan.b, &lan.br] {
            ip(&["netns", "add", ns]);
            for key in ["all", "default"] {
                let st = Command::new("ip")
                    .args(["netns", "exec", ns, "sysctl", "-qw"])
                    .arg(format!("net.ipv6.conf.{key}.accept_dad=0"))
                    .status()
                    .unwrap();
                assert!(st.success());
            }
        }
        ip(&["-n", &lan.br, "link", "add", "br0", "type", "bridge"]);
        for (ns, end, port, v4, v6) in [
            (&lan.a, "a0", "a1", "192.0.2.1/24", "2001:db8::1/64"),
            (&lan.b, "b0", "b1", "192.0.2.2/24", "2001:db8::2/64"),
        ] {
            ip(&[
                "-n", &lan.br, "link", "add", port, "type", "veth", "peer", "name", end, "netns",
                ns,
            ]);
            ip(&["-n", &lan.br, "link", "set", port, "master", "br0", "up"]);
            ip(&["-n", ns, "addr", "add", v4, "dev", end]);
            ip(&["-n", ns, "addr", "add", v6, "dev", end, "nodad"]);
            ip(&["-n", ns, "link", "set", end, "up"]);
        }
        ip(&["-n", &lan.br, "link", "set", "br0", "up"]);
        lan
    }

    /// Run `program args` in namespace `ns`, output to `DIR/log_name`; returns its index.
    pub fn spawn(&mut self, ns: &str, program: &Path, args: &[String], log_name: &str) -> usize {
        let log = std::fs::File::create(self.dir.join(log_name)).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(program)
            .args(args)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        self.children.push(child);
        self.children.len() - 1
    }

    /// This package's `vrrp-one` binary (cargo builds it before the tests). Only vrrp-net's
    /// tests have it; other packages including this module may use [`Lan::spawn`].
    pub fn start_vrrp_one(&mut self, ns: &str, dev: &str, args: &[&str]) -> usize {
        let mut all: Vec<String> = ["--interface", dev, "--vrid", "51", "--name", dev]
            .iter()
            .map(|s| s.to_string())
            .collect();
        all.extend(args.iter().map(|s| s.to_string()));
        let exe = match option_env!("CARGO_BIN_EXE_vrrp-one") {
            Some(exe) => Path::new(exe),
            None => panic!("vrrp-one is a binary of vrrp-net: only its tests can start it"),
        };
        self.spawn(ns, exe, &all, &format!("vrrp-one-{dev}.log"))
    }

    /// SIGTERM child `i` and wait for it; returns whether it exited 0.
    pub fn stop(&mut self, i: usize) -> bool {
        let c = &mut self.children[i];
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        c.wait().unwrap().success()
    }

    pub fn has_addr(ns: &str, dev: &str, cidr: &str) -> bool {
        let out = Command::new("ip")
            .args(["-n", ns, "-o", "addr", "show", "dev", dev])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace().any(|w| w == cidr)
    }

    /// Capture VRRP (IPv4 and IPv6 protocol 112) on the bridge with tcpdump into
    /// `DIR/name.pcap`, from now until [`Lan::adverts`] is called; returns the child index.
    pub fn capture(&mut self, name: &str) -> usize {
        let pcap = self.dir.join(format!("{name}.pcap"));
        let args: Vec<String> = ["-i", "br0", "--immediate-mode", "-U", "-n", "-w"]
            .iter()
            .map(|s| s.to_string())
            .chain([pcap.display().to_string()])
            .chain(["ip proto 112 or ip6 proto 112".to_string()])
            .collect();
        let br = self.br.clone();
        let log = format!("{name}.tcpdump.log");
        let i = self.spawn(&br, Path::new("tcpdump"), &args, &log);
        wait_for(Duration::from_secs(10), "tcpdump listening", || {
            self.log(&log).contains("listening on")
        });
        i
    }

    /// Stop capture `i` (named `name`) and return its VRRP adverts as `adverts.py` prints
    /// them: SRC DST TTL VERSION TYPE VRID PRIORITY COUNT FORMS ADDR...
    pub fn adverts(&mut self, i: usize, name: &str) -> Vec<Vec<String>> {
        // Packets sent just before are still on their way through the bridge.
        sleep(Duration::from_millis(500));
        self.stop(i);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vrrp-net/tests/lan/adverts.py");
        let out = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(self.dir.join(format!("{name}.pcap")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "adverts.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect())
            .collect()
    }

    /// The namespace holding the bridge (an observer on the LAN, with no address).
    pub fn bridge_ns(&self) -> &str {
        &self.br
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
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
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Poll `cond` every 20 ms for at most `limit` (a bound on waiting, not a speed assertion).
pub fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        sleep(Duration::from_millis(20));
    }
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

pub fn has_program(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
