//! A bridged LAN of network namespaces for end-to-end tests: [`vrrp_lab::Lan`]
//! (nsA(a0) — nsBR(br0) — nsB(b0), 192.0.2.1/.2 and 2001:db8::1/::2, DAD off), plus what
//! these tests add on top: this package's `vrrp-one`, and VRRP captures on the bridge read
//! by `adverts.py`. Processes started on it are killed and the namespaces deleted on drop,
//! even after a failed assertion.

#![allow(dead_code, unused_imports)]

use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

pub use vrrp_lab::{has_addr, has_program, is_root, Lan};

/// Run `ip` with these arguments; panics (failing the test) if it fails.
pub fn ip(args: &[&str]) {
    vrrp_lab::ip(args).unwrap_or_else(|e| panic!("{e}"));
}

/// A new LAN, its namespaces named `vrrp<tag>-<pid>-<n>`.
pub fn new(tag: &str) -> Lan {
    Lan::new(&format!("vrrp{tag}")).unwrap_or_else(|e| panic!("lan {tag}: {e}"))
}

/// Start `program args` in namespace `ns`, output to `DIR/log_name`; returns its index.
pub fn spawn(lan: &mut Lan, ns: &str, program: &Path, args: &[String], log_name: &str) -> usize {
    lan.spawn(ns, program, args, log_name)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// What the tests add to the lab's [`Lan`].
pub trait LanExt {
    /// This package's `vrrp-one` binary (cargo builds it before the tests). Only vrrp-net's
    /// tests have it; other packages including this module may use [`spawn`].
    fn start_vrrp_one(&mut self, ns: &str, dev: &str, args: &[&str]) -> usize;
    /// Capture VRRP (IPv4 and IPv6 protocol 112) on the bridge with tcpdump into
    /// `DIR/name.pcap`, from now until [`LanExt::adverts`] is called; returns the child index.
    fn capture(&mut self, name: &str) -> usize;
    /// Stop capture `i` (named `name`) and return its VRRP adverts as `adverts.py` prints
    /// them: SRC DST TTL VERSION TYPE VRID PRIORITY COUNT FORMS ADDR...
    fn adverts(&mut self, i: usize, name: &str) -> Vec<Vec<String>>;
    /// [`LanExt::adverts`] with `adverts.py --long`: each line starts with TIME INTERVAL
    /// AUTH (capture time, the advert interval field, v2 authentication or "-").
    fn adverts_long(&mut self, i: usize, name: &str) -> Vec<Vec<String>>;
}

impl LanExt for Lan {
    fn start_vrrp_one(&mut self, ns: &str, dev: &str, args: &[&str]) -> usize {
        let mut all: Vec<String> = ["--interface", dev, "--vrid", "51", "--name", dev]
            .iter()
            .map(|s| s.to_string())
            .collect();
        all.extend(args.iter().map(|s| s.to_string()));
        let exe = match option_env!("CARGO_BIN_EXE_vrrp-one") {
            Some(exe) => Path::new(exe),
            None => panic!("vrrp-one is a binary of vrrp-net: only its tests can start it"),
        };
        spawn(self, ns, exe, &all, &format!("vrrp-one-{dev}.log"))
    }

    fn capture(&mut self, name: &str) -> usize {
        let pcap = self.dir.join(format!("{name}.pcap"));
        let args: Vec<String> = ["-i", Lan::BRIDGE, "--immediate-mode", "-U", "-n", "-w"]
            .iter()
            .map(|s| s.to_string())
            .chain([pcap.display().to_string()])
            .chain(["ip proto 112 or ip6 proto 112".to_string()])
            .collect();
        let br = self.br.name().to_owned();
        let log = format!("{name}.tcpdump.log");
        let i = spawn(self, &br, Path::new("tcpdump"), &args, &log);
        wait_for(Duration::from_secs(10), "tcpdump listening", || {
            self.log(&log).contains("listening on")
        });
        i
    }

    fn adverts(&mut self, i: usize, name: &str) -> Vec<Vec<String>> {
        read_adverts(self, i, name, &[])
    }

    fn adverts_long(&mut self, i: usize, name: &str) -> Vec<Vec<String>> {
        read_adverts(self, i, name, &["--long"])
    }
}

/// Stop capture `i` and run `adverts.py FLAGS DIR/name.pcap`; its lines, split into words.
fn read_adverts(lan: &mut Lan, i: usize, name: &str, flags: &[&str]) -> Vec<Vec<String>> {
    // Packets sent just before are still on their way through the bridge.
    sleep(Duration::from_millis(500));
    lan.stop(i);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vrrp-net/tests/lan/adverts.py");
    let out = Command::new("/usr/bin/python3")
        .arg(script)
        .args(flags)
        .arg(lan.dir.join(format!("{name}.pcap")))
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

/// Poll `cond` every 20 ms for at most `limit` (a bound on waiting, not a speed assertion).
pub fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        sleep(Duration::from_millis(20));
    }
}
