//! The `vrrpd` daemon against FRR 8.4's `vrrpd` (VRRPv3, IPv4), end to end, on the bridged
//! LAN of network namespaces (`vrrp-net/tests/lan`): our vrrpd in namespace A on `a0`
//! (192.0.2.1) reading a keepalived.conf, FRR's zebra + vrrpd in namespace B on `b0`
//! (192.0.2.2), VRID 51, VIP 192.0.2.100/24.
//!
//! FRR runs as FRR's documentation sets VRRP up on Linux: a macvlan `vrrp4-51` on `b0`, in
//! bridge mode, carrying the virtual MAC 00:00:5e:00:01:33 and the VIP. FRR leaves the
//! address there in every state and switches the macvlan with `protodown` instead: on
//! (carrier down) while Backup or stopped, off while Master. "FRR holds the VIP" is
//! therefore: the VIP is on `vrrp4-51`, protodown is off and the link is up.
//!
//! FRR's daemons are started by the test, in the foreground, with their own config files,
//! pid files, zserv socket and vty sockets under the test's directory (`-f`, `-i`, `-z`,
//! `--vty_socket`, TCP vty off with `-P 0`), as user `frr` (FRR refuses `-u root`: root is
//! not in the `frrvty` group); `vtysh --vty_socket DIR --config_dir DIR` reads their state.
//! Nothing under /etc/frr or /var/run/frr is read or written. FRR itself creates a
//! crash-log directory `/var/tmp/frr/<daemon>.<pid>` per process (and `/var/tmp/frr` if
//! missing, which stays); the test removes the ones of the processes it started.
//!
//! 1. ours MASTER (150, advert_int 0.5) / FRR Backup (100, 1000 ms): FRR stays Backup and
//!    sends nothing, learns our 500 ms interval; cutting `a0` hands the VIP to FRR, `a0`
//!    back up makes ours preempt it back.
//! 2. FRR Master (150, 500 ms) / ours BACKUP (100, advert_int 1): ours stays BACKUP with
//!    master 192.0.2.2 and learns the 500 ms interval; SIGTERM to FRR's vrrpd makes it send
//!    a priority-0 advert, and ours takes the VIP.
//!
//! On the wire (tcpdump on the bridge): TTL 255, version 3, type 1, VRID 51, one address,
//! and the RFC 9568 checksum (with the IPv4 pseudo-header) from both sides.
//! Needs root, FRR (zebra, vrrpd, vtysh, user `frr`), tcpdump, python3-scapy (else SKIP).

#[path = "../../vrrp-net/tests/lan/mod.rs"]
mod lan;
mod peer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

use serde_json::Value;

use lan::{has_program, is_root, Lan};
use peer::{num, text, Scene, A_ADDR, B_ADDR, LIMIT, VIP};

const ZEBRA: &str = "/usr/lib/frr/zebra";
const FRR_VRRPD: &str = "/usr/lib/frr/vrrpd";
/// FRR's VRRP interface for VRID 51, IPv4.
const MACVLAN: &str = "vrrp4-51";
const VMAC: &str = "00:00:5e:00:01:33";
const VIP_ADDR: &str = "192.0.2.100";
const EXIT_LIMIT: Duration = Duration::from_secs(30);
/// Several Master_Down_Intervals of either side (at most 3 × 1 s + skew).
const SETTLE: Duration = Duration::from_secs(5);

/// A scene with FRR on side B.
struct FrrScene {
    sc: Scene,
    /// FRR's run directory (owned by user `frr`): pid files, sockets.
    run: PathBuf,
    /// (program name, child index) of the FRR daemons this test started.
    daemons: Vec<(&'static str, usize)>,
}

fn skip(name: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIP {name}: {why}");
}

fn id_of(flag: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, "frr"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

impl FrrScene {
    fn new(name: &str, tag: &str) -> Option<FrrScene> {
        if !is_root() {
            skip(name, "needs root (network namespaces, VRRP raw sockets)");
            return None;
        }
        for p in [ZEBRA, FRR_VRRPD] {
            if !Path::new(p).exists() {
                skip(name, &format!("{p} is missing (Debian package frr)"));
                return None;
            }
        }
        for p in ["vtysh", "tcpdump", "/usr/bin/python3"] {
            if !has_program(p) {
                skip(name, &format!("{p} is not installed"));
                return None;
            }
        }
        let scapy = Command::new("/usr/bin/python3")
            .args(["-c", "import scapy.all"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !scapy {
            skip(name, "python3-scapy is not installed (wire checks)");
            return None;
        }
        let (Some(uid), Some(gid)) = (id_of("-u"), id_of("-g")) else {
            skip(name, "no user frr (FRR's daemons refuse to run as root)");
            return None;
        };
        let sc = Scene {
            lan: Lan::new(tag),
            name: name.to_string(),
        };
        let run = sc.path("frr");
        std::fs::create_dir(&run).unwrap();
        std::os::unix::fs::chown(&run, Some(uid), Some(gid)).unwrap();
        // FRR's VRRP interface: macvlan in bridge mode with the virtual MAC and the VIP.
        let b = sc.b();
        let st = Command::new("ip")
            .args([
                "-n", &b, "link", "add", MACVLAN, "link", "b0", "type", "macvlan",
            ])
            .args(["mode", "bridge"])
            .status()
            .unwrap();
        if !st.success() {
            skip(name, "the kernel cannot create a macvlan interface");
            return None;
        }
        for args in [
            // FRR's docs: a random IPv6 link-local, not one derived from the virtual MAC.
            vec!["link", "set", MACVLAN, "addrgenmode", "random"],
            vec!["link", "set", MACVLAN, "address", VMAC],
            vec!["addr", "add", VIP, "dev", MACVLAN],
            vec!["link", "set", MACVLAN, "up"],
            vec!["link", "set", "lo", "up"],
        ] {
            let mut all = vec!["-n", b.as_str()];
            all.extend(args);
            lan::ip(&all);
        }
        Some(FrrScene {
            sc,
            run,
            daemons: Vec::new(),
        })
    }

    fn run_path(&self, file: &str) -> String {
        self.run.join(file).display().to_string()
    }

    /// Start zebra, then FRR's vrrpd with `vrrp_conf`, in namespace B (foreground, logs to
    /// stdout: `frr-zebra.log`, `frr-vrrpd.log`).
    fn start_frr(&mut self, vrrp_conf: &str) {
        let zconf = self.sc.write("frr-zebra.conf", "! zebra for frr_peer.rs\n");
        let vconf = self.sc.write("frr-vrrpd.conf", vrrp_conf);
        let b = self.sc.b();
        for (prog, conf) in [(ZEBRA, &zconf), (FRR_VRRPD, &vconf)] {
            let short = Path::new(prog).file_name().unwrap().to_str().unwrap();
            let args: Vec<String> = vec![
                "-u".into(),
                "frr".into(),
                "-g".into(),
                "frr".into(),
                "-f".into(),
                conf.display().to_string(),
                "-i".into(),
                self.run_path(&format!("{short}.pid")),
                "-z".into(),
                self.run_path("zserv.api"),
                "--vty_socket".into(),
                self.run.display().to_string(),
                "-P".into(),
                "0".into(),
                "--log".into(),
                "stdout".into(),
                "--log-level".into(),
                "debug".into(),
            ];
            let i = self
                .sc
                .lan
                .spawn(&b, Path::new(prog), &args, &format!("frr-{short}.log"));
            self.daemons.push((short, i));
            let sock = self.run.join(format!("{short}.vty"));
            self.sc
                .wait(LIMIT, &format!("FRR {short} vty socket"), || sock.exists());
            if short == "zebra" {
                let api = self.run.join("zserv.api");
                self.sc.wait(LIMIT, "zebra's zserv socket", || api.exists());
            }
        }
    }

    fn daemon(&self, short: &str) -> usize {
        self.daemons
            .iter()
            .find(|(n, _)| *n == short)
            .map(|(_, i)| *i)
            .unwrap()
    }

    /// FRR's own view of VRID 51 (`show vrrp json`), or None if it does not answer.
    fn frr_show(&self) -> Option<Value> {
        let dir = self.run.display().to_string();
        let out = Command::new("timeout")
            .args(["10", "vtysh", "--config_dir", &dir, "--vty_socket", &dir])
            .args(["-c", "show vrrp json"])
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        v.as_array()?.iter().find(|r| r["vrid"] == 51).cloned()
    }

    fn frr_v4(&self) -> Value {
        self.frr_show()
            .unwrap_or_else(|| panic!("{}: FRR does not answer show vrrp json", self.sc.name))["v4"]
            .clone()
    }

    fn wait_frr(&self, what: &str, mut cond: impl FnMut(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        self.sc
            .wait(LIMIT, &format!("FRR {what}"), || match self.frr_show() {
                Some(v) => {
                    let ok = cond(&v["v4"]);
                    last = v;
                    ok
                }
                None => false,
            });
        last["v4"].clone()
    }

    fn macvlan(&self) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.sc.b(), "-d", "-o", "link", "show", MACVLAN])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// FRR serves the VIP: on its macvlan, protodown off, link up.
    fn vip_frr(&self) -> bool {
        let l = self.macvlan();
        Lan::has_addr(&self.sc.b(), MACVLAN, VIP)
            && !l.contains("protodown on")
            && l.contains("state UP")
    }

    /// FRR's macvlan is switched off (FRR Backup or stopped).
    fn frr_protodown(&self) -> bool {
        self.macvlan().contains("protodown on")
    }

    /// The VIP on our side (a0); never on FRR's physical b0.
    fn vip_ours(&self) -> bool {
        self.sc.vip_a()
    }
}

impl Drop for FrrScene {
    fn drop(&mut self) {
        // Stop FRR's daemons (only those started here) and remove the crash-log directory
        // FRR made for each of them (named by its pid; FRR removes it itself on a clean exit,
        // a SIGKILL leaves its per-thread `logbuf.TID` files); Scene and Lan do the rest.
        for (short, i) in self.daemons.iter().rev() {
            let c = &mut self.sc.lan.children[*i];
            let pid = c.id();
            let _ = c.kill();
            let _ = c.wait();
            let _ = std::fs::remove_dir_all(format!("/var/tmp/frr/{short}.{pid}"));
        }
    }
}

fn ours_conf(state: &str, priority: u8, advert_int: &str) -> String {
    format!(
        "! written by vrrpd/tests/frr_peer.rs\nglobal_defs {{\n  router_id vrrpd_a\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface a0\n  virtual_router_id 51\n  \
         priority {priority}\n  version 3\n  advert_int {advert_int}\n  \
         virtual_ipaddress {{\n    {VIP}\n  }}\n}}\n"
    )
}

fn frr_conf(priority: u8, interval_ms: u32) -> String {
    format!(
        "! written by vrrpd/tests/frr_peer.rs\ndebug vrrp\ninterface b0\n vrrp 51 version 3\n \
         vrrp 51 priority {priority}\n vrrp 51 advertisement-interval {interval_ms}\n \
         vrrp 51 ip {VIP_ADDR}\n"
    )
}

/// Checks that every advert of a capture has the fixed fields right.
fn check_wire(name: &str, adverts: &[Vec<String>]) {
    for a in adverts {
        let line = a.join(" ");
        assert!(a.len() >= 10, "{name}: short advert line: {line}");
        assert!(
            a[0] == A_ADDR || a[0] == B_ADDR,
            "{name}: advert from a stranger: {line}"
        );
        assert_eq!(a[1], "224.0.0.18", "{name}: destination: {line}");
        assert_eq!(a[2], "255", "{name}: TTL: {line}");
        assert_eq!(a[3], "3", "{name}: version: {line}");
        assert_eq!(a[4], "1", "{name}: type: {line}");
        assert_eq!(a[5], "51", "{name}: VRID: {line}");
        assert_eq!(a[7], "1", "{name}: address count: {line}");
        assert!(
            a[8].split(',').any(|f| f == "pseudo-header"),
            "{name}: checksum is not RFC 9568's (with the IPv4 pseudo-header): {line}"
        );
        assert_eq!(a[9], VIP_ADDR, "{name}: address: {line}");
    }
}

fn from<'a>(adverts: &'a [Vec<String>], src: &str) -> Vec<&'a Vec<String>> {
    adverts.iter().filter(|a| a[0] == src).collect()
}

/// 1. Ours MASTER 150, FRR Backup 100; our link cut and restored.
#[test]
fn vrrpd_master_frr_backup_link_cut_and_preempt_back() {
    let name = "FRR scenario 1 (vrrpd master)";
    let Some(mut f) = FrrScene::new(name, "fr1") else {
        return;
    };
    let ours = f.sc.write("vrrpd.conf", &ours_conf("MASTER", 150, "0.5"));
    let v = f.sc.start_vrrpd(&ours, "1");
    f.sc.wait(LIMIT, "VIP on vrrpd (150)", || f.vip_ours());
    f.sc.wait_status("1", LIMIT, "MASTER", |s| Scene::vi1(s)["state"] == "MASTER");

    let cap = f.sc.lan.capture("steady");
    f.start_frr(&frr_conf(100, 1000));
    let s = f.wait_frr("Backup", |v| v["status"] == "Backup");
    assert_eq!(s["interface"], MACVLAN, "{s}");
    sleep(SETTLE);
    let s = f.frr_v4();
    assert_eq!(
        s["status"], "Backup",
        "FRR (100) left Backup beside vrrpd (150): {s}"
    );
    // Initialize -> Backup only.
    assert_eq!(s["stats"]["transitions"], 1, "{s}");
    assert_eq!(s["stats"]["adverTx"], 0, "FRR sent adverts as Backup: {s}");
    assert!(s["stats"]["adverRx"].as_u64().unwrap() >= 5, "{s}");
    // Our 50 centiseconds, read as FRR's milliseconds: the units agree.
    assert_eq!(s["masterAdverInterval"], 500, "{s}");
    assert!(
        f.frr_protodown(),
        "FRR's macvlan is live as Backup: {}",
        f.macvlan()
    );
    assert!(!f.vip_frr());
    assert!(f.vip_ours(), "vrrpd lost the VIP");
    let st = Scene::vi1(&f.sc.status("1"));
    assert_eq!(text(&st, "/state"), "MASTER", "{st}");
    assert_eq!(num(&st, "/counters/master_transitions"), 1, "{st}");
    assert_eq!(num(&st, "/counters/dual_master"), 0, "{st}");

    let adverts = f.sc.lan.adverts(cap, "steady");
    check_wire(name, &adverts);
    assert!(
        from(&adverts, B_ADDR).is_empty(),
        "FRR (Backup) advertised: {adverts:?}"
    );
    let ours_ads = from(&adverts, A_ADDR);
    assert!(ours_ads.len() >= 10, "{adverts:?}");
    assert!(ours_ads.iter().all(|a| a[6] == "150"), "{adverts:?}");

    // Our link goes away: FRR takes over.
    let cap = f.sc.lan.capture("failover");
    lan::ip(&["-n", &f.sc.a(), "link", "set", "a0", "down"]);
    f.sc.wait(LIMIT, "FRR takes the VIP after our link loss", || {
        f.vip_frr()
    });
    let s = f.wait_frr("Master", |v| v["status"] == "Master");
    assert_eq!(s["stats"]["transitions"], 2, "{s}");
    f.sc.wait(LIMIT, "vrrpd releases the VIP in FAULT", || !f.vip_ours());
    f.sc.wait_status("1", LIMIT, "FAULT", |s| Scene::vi1(s)["state"] == "FAULT");

    // Link back: ours (150) preempts FRR (100).
    lan::ip(&["-n", &f.sc.a(), "link", "set", "a0", "up"]);
    f.sc.wait(LIMIT, "vrrpd preempts the VIP back", || f.vip_ours());
    let st = f.sc.wait_status("1", LIMIT, "MASTER again", |s| {
        Scene::vi1(s)["state"] == "MASTER"
    });
    let st = Scene::vi1(&st);
    assert_eq!(num(&st, "/counters/master_transitions"), 2, "{st}");
    assert!(num(&st, "/counters/adverts_rcvd") >= 1, "{st}");
    let s = f.wait_frr("back to Backup", |v| v["status"] == "Backup");
    assert_eq!(s["stats"]["transitions"], 3, "{s}");
    f.sc.wait(LIMIT, "FRR's macvlan protodown again", || f.frr_protodown());
    assert!(!f.vip_frr());

    let adverts = f.sc.lan.adverts(cap, "failover");
    check_wire(name, &adverts);
    let theirs = from(&adverts, B_ADDR);
    assert!(
        !theirs.is_empty(),
        "FRR as Master sent nothing: {adverts:?}"
    );
    assert!(theirs.iter().all(|a| a[6] == "100"), "{adverts:?}");
    let last = adverts.last().unwrap();
    assert_eq!(
        (last[0].as_str(), last[6].as_str()),
        (A_ADDR, "150"),
        "the last advert should be ours again: {adverts:?}"
    );

    f.sc.term(v, "vrrpd", EXIT_LIMIT);
    assert!(!f.vip_ours(), "vrrpd left the VIP behind after SIGTERM");
    // Our priority-0 advert: FRR (100) takes over without waiting for Master_Down.
    f.sc.wait(LIMIT, "FRR takes the VIP after vrrpd stops", || f.vip_frr());
    let vr = f.daemon("vrrpd");
    f.sc.term(vr, "FRR vrrpd", EXIT_LIMIT);
    let z = f.daemon("zebra");
    f.sc.term(z, "FRR zebra", EXIT_LIMIT);
}

/// 2. FRR Master 150, ours BACKUP 100; FRR's vrrpd stops.
#[test]
fn frr_master_vrrpd_backup_takes_over_when_frr_stops() {
    let name = "FRR scenario 2 (FRR master)";
    let Some(mut f) = FrrScene::new(name, "fr2") else {
        return;
    };
    f.start_frr(&frr_conf(150, 500));
    f.wait_frr("Master", |v| v["status"] == "Master");
    f.sc.wait(LIMIT, "VIP live on FRR's macvlan", || f.vip_frr());

    let cap = f.sc.lan.capture("all");
    let ours = f.sc.write("vrrpd.conf", &ours_conf("BACKUP", 100, "1"));
    let v = f.sc.start_vrrpd(&ours, "1");
    f.sc.wait_status("1", LIMIT, "BACKUP", |s| Scene::vi1(s)["state"] == "BACKUP");
    sleep(SETTLE);
    assert!(!f.vip_ours(), "vrrpd (100) took the VIP from FRR (150)");
    assert!(f.vip_frr(), "FRR lost the VIP");
    let st = Scene::vi1(&f.sc.status("1"));
    assert_eq!(text(&st, "/state"), "BACKUP", "{st}");
    assert_eq!(text(&st, "/master"), B_ADDR, "{st}");
    assert_eq!(num(&st, "/counters/master_transitions"), 0, "{st}");
    assert!(num(&st, "/counters/adverts_rcvd") >= 5, "{st}");
    // FRR's 500 ms went out as 50 centiseconds; ours learnt it (RFC 9568 6.4.2).
    assert_eq!(num(&st, "/master_adver_interval_ms"), 500, "{st}");
    assert_eq!(num(&st, "/counters/interval_errors"), 0, "{st}");
    assert_eq!(num(&st, "/counters/address_list_errors"), 0, "{st}");
    let s = f.frr_v4();
    assert_eq!(s["status"], "Master", "{s}");
    assert_eq!(s["stats"]["transitions"], 2, "{s}");
    assert_eq!(s["stats"]["adverRx"], 0, "vrrpd (Backup) advertised: {s}");
    let pz = num(&st, "/counters/priority_zero_rcvd");

    // FRR's vrrpd stops: it sends a priority-0 advert and switches its macvlan off.
    let vr = f.daemon("vrrpd");
    f.sc.term(vr, "FRR vrrpd", EXIT_LIMIT);
    f.sc.wait(LIMIT, "vrrpd takes the VIP", || f.vip_ours());
    f.sc.wait(LIMIT, "FRR's macvlan protodown", || f.frr_protodown());
    assert!(!f.vip_frr());
    let st =
        f.sc.wait_status("1", LIMIT, "MASTER", |s| Scene::vi1(s)["state"] == "MASTER");
    let st = Scene::vi1(&st);
    assert_eq!(
        num(&st, "/counters/priority_zero_rcvd"),
        pz + 1,
        "FRR's priority-0 advert, counted once: {st}"
    );
    assert_eq!(num(&st, "/counters/master_transitions"), 1, "{st}");
    assert_eq!(text(&st, "/master"), A_ADDR, "{st}");

    let adverts = f.sc.lan.adverts(cap, "all");
    check_wire(name, &adverts);
    let theirs = from(&adverts, B_ADDR);
    assert!(theirs.len() >= 10, "{adverts:?}");
    let (last, before) = theirs.split_last().unwrap();
    assert_eq!(
        last[6], "0",
        "FRR's last advert is not priority 0: {adverts:?}"
    );
    assert!(before.iter().all(|a| a[6] == "150"), "{adverts:?}");
    // Ours sent nothing while Backup: its first advert follows FRR's priority 0.
    let p0 = adverts
        .iter()
        .position(|a| a[0] == B_ADDR && a[6] == "0")
        .unwrap();
    let first_ours = adverts.iter().position(|a| a[0] == A_ADDR);
    assert!(
        first_ours.is_some_and(|i| i > p0),
        "vrrpd advertised as Backup, or not at all as Master: {adverts:?}"
    );
    assert!(
        from(&adverts, A_ADDR).iter().all(|a| a[6] == "100"),
        "{adverts:?}"
    );

    f.sc.term(v, "vrrpd", EXIT_LIMIT);
    assert!(!f.vip_ours(), "vrrpd left the VIP behind after SIGTERM");
    let z = f.daemon("zebra");
    f.sc.term(z, "FRR zebra", EXIT_LIMIT);
}
