//! keepalived `use_vmac` through the Runner: two `vrrp-one --vmac vrrp.51` on a bridged LAN.
//! The master's VIP lives on a macvlan carrying the virtual MAC 00:00:5e:00:01:33, and ARP
//! for the VIP (asked with scapy from the bridge's namespace) is answered by that MAC only;
//! after the master's link fails the backup answers with the same MAC; SIGTERM deletes the
//! macvlans. Assertions look at the kernel's links and addresses and at the wire.

mod lan;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use lan::{has_addr, ip, is_root, wait_for, LanExt};

const VIP: &str = "192.0.2.100/24";
const VMAC: &str = "00:00:5e:00:01:33";

/// MAC addresses answering ARP for 192.0.2.100 on the LAN, asked from namespace `ns`
/// through `dev` (scapy, with /usr/bin/python3 where Debian installs it).
fn arp_answers(ns: &str, dev: &str) -> Vec<String> {
    let script = format!(
        "from scapy.all import *\nconf.verb=0\n\
         a,_=srp(Ether(dst='ff:ff:ff:ff:ff:ff')/ARP(pdst='192.0.2.100',psrc='192.0.2.250'),\
         iface='{dev}',timeout=1,multi=True)\n\
         for _,r in a: print(r[ARP].hwsrc)\n"
    );
    let out = vrrp_lab::in_netns(ns, "/usr/bin/python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scapy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut macs: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    macs.sort();
    macs.dedup();
    macs
}

fn link_exists(ns: &str, dev: &str) -> bool {
    Command::new("ip")
        .args(["-n", ns, "link", "show", dev])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn vmac_carries_the_vip_answers_arp_with_the_virtual_mac_and_is_deleted_on_stop() {
    if !is_root() {
        eprintln!("SKIP vmac test: needs root");
        return;
    }
    if !Path::new("/usr/bin/python3").exists()
        || !Command::new("/usr/bin/python3")
            .args(["-c", "import scapy"])
            .status()
            .is_ok_and(|s| s.success())
    {
        panic!("python3-scapy is required (apt-get install python3-scapy)");
    }
    let mut lan = lan::new("vm");
    let (a, b, br) = (
        lan.a.name().to_owned(),
        lan.b.name().to_owned(),
        lan.br.name().to_owned(),
    );
    let limit = Duration::from_secs(10);
    let args = |prio| {
        [
            "--priority",
            prio,
            "--vip",
            VIP,
            "--advert-cs",
            "20",
            "--vmac",
            "vrrp.51",
        ]
    };
    let ra = lan.start_vrrp_one(&a, "a0", &args("150"));
    wait_for(limit, "VIP on a's VMAC interface", || {
        has_addr(&a, "vrrp.51", VIP)
    });
    let rb = lan.start_vrrp_one(&b, "b0", &args("100"));
    wait_for(limit, "b's VMAC interface", || link_exists(&b, "vrrp.51"));
    assert!(!has_addr(&a, "a0", VIP), "VIP on the parent, not the VMAC");
    assert_eq!(arp_answers(&br, "br0"), vec![VMAC.to_string()]);

    ip(&["-n", &a, "link", "set", "a0", "down"]);
    wait_for(limit, "VIP on b's VMAC interface", || {
        has_addr(&b, "vrrp.51", VIP)
    });
    assert!(!has_addr(&b, "b0", VIP));
    assert_eq!(arp_answers(&br, "br0"), vec![VMAC.to_string()]);

    assert!(lan.stop(rb), "b exits 0 on SIGTERM");
    assert!(lan.stop(ra), "a exits 0 on SIGTERM");
    assert!(!link_exists(&a, "vrrp.51"), "a's VMAC deleted on stop");
    assert!(!link_exists(&b, "vrrp.51"), "b's VMAC deleted on stop");
}
