//! The lab against the kernel (root only; skipped with a reason otherwise): a bridged LAN
//! and a veth pair carry traffic, and dropping them deletes the namespaces, the scratch
//! directory and kills the processes they started.

use std::net::UdpSocket;
use std::path::Path;
use std::time::{Duration, Instant};

use vrrp_lab::{Lan, Netns, Pair, Skip};

/// A UDP datagram sent from `from` to `to_addr` arrives in `to` (sockets made inside a
/// namespace stay in it).
fn reaches(from: &Netns, to: &Netns, to_addr: &str) -> bool {
    let rx = to
        .run(|| UdpSocket::bind((to_addr, 4000)).unwrap())
        .unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let local = if to_addr.contains(':') {
        "::"
    } else {
        "0.0.0.0"
    };
    from.run(|| {
        let tx = UdpSocket::bind((local, 0)).unwrap();
        tx.send_to(b"lab", (to_addr, 4000)).unwrap();
    })
    .unwrap();
    let mut buf = [0u8; 8];
    rx.recv_from(&mut buf)
        .is_ok_and(|(n, _)| &buf[..n] == b"lab")
}

fn gone(pid: u32) -> bool {
    // A zombie still has /proc/PID: the lab must have reaped it, too.
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn lan_carries_traffic_and_drop_removes_everything() {
    if !Skip::check("lan_carries_traffic_and_drop_removes_everything")
        .root("network namespaces")
        .ok()
    {
        return;
    }
    let mut lan = Lan::new("vrrplabt").expect("build lan");
    let a = lan.a.name().to_owned();
    assert!(lan.a.has_addr("a0", "192.0.2.1/24"));
    assert!(lan.b.has_addr("b0", "2001:db8::2/64"));
    assert!(
        reaches(&lan.a, &lan.b, "192.0.2.2"),
        "A reaches B over the bridge"
    );
    assert!(lan.a.exec(&["true"]).is_ok());
    // Setting A's end down leaves B's link up: that is what the switch is for.
    lan.a.set_link("a0", false).unwrap();
    assert!(lan.b.link_up("b0").unwrap());
    let i = lan
        .spawn(&a, Path::new("sleep"), &["600".to_string()], "sleep.log")
        .unwrap();
    let pid = lan.children[i].id();
    // It really runs inside A (once `ip netns exec` has exec'd it).
    let end = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_link(format!("/proc/{pid}/exe"))
        .is_ok_and(|e| e.to_string_lossy().contains("sleep"))
    {
        assert!(Instant::now() < end, "sleep did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let inside = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
    assert_eq!(
        inside.to_string_lossy(),
        format!("net:[{}]", lan.a.inode().unwrap())
    );
    let paths: Vec<_> = [&lan.a, &lan.b, &lan.br]
        .iter()
        .map(|n| n.path().to_owned())
        .chain([lan.dir.to_path_buf()])
        .collect();
    drop(lan);
    assert!(gone(pid), "child {pid} survived the lab");
    for p in paths {
        assert!(!p.exists(), "{} left behind", p.display());
    }
}

#[test]
fn pair_carries_traffic_both_families() {
    if !Skip::check("pair_carries_traffic_both_families")
        .root("network namespaces")
        .ok()
    {
        return;
    }
    let pair = Pair::new("vrrplabp").expect("build pair");
    assert!(reaches(&pair.a, &pair.b, Pair::B_V4), "v4 across the pair");
    assert!(reaches(&pair.b, &pair.a, Pair::A_V6), "v6 across the pair");
    // Not the host's: a socket made in A cannot bind B's address.
    assert!(pair
        .a
        .run(|| UdpSocket::bind((Pair::B_V4, 0)).is_err())
        .unwrap());
    let path = pair.a.path().to_owned();
    drop(pair);
    assert!(!path.exists());
}
