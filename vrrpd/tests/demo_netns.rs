//! The demo's namespace lab on its own (vrrp-lab as the demo uses it): namespaces made like
//! `ip netns add` (visible to `ip netns`), veth pairs across namespaces, and full removal — also when
//! the lab is dropped without an explicit remove, as on an error path. Needs root; skipped
//! (with a note on stderr) otherwise. Namespaces are named `vrrptopo-<pid>-...` and
//! `vrrpveth-<pid>-...`; addresses come from 192.0.2.0/24 and 2001:db8::/32 only.

use std::collections::BTreeSet;
use std::net::UdpSocket;
use std::path::Path;
use std::time::{Duration, Instant};

use vrrp_lab::{sweep_stale, Netns};
use vrrpd::demo::topology::Topology;

fn root(test: &str) -> bool {
    vrrp_lab::Skip::check(test).root("network namespaces").ok()
}

/// Link names in the test process's own namespace (the host's, for a test run as root).
fn host_links() -> BTreeSet<String> {
    let mut nl = vrrp_net::Netlink::open().expect("netlink");
    nl.links()
        .expect("links")
        .into_iter()
        .map(|l| l.name)
        .collect()
}

fn links_in(ns: &Netns) -> BTreeSet<String> {
    let mut nl = ns
        .run(vrrp_net::Netlink::open)
        .expect("enter namespace")
        .expect("netlink in namespace");
    nl.links()
        .expect("links")
        .into_iter()
        .map(|l| l.name)
        .collect()
}

/// Whether any process still sits in the namespace with this inode.
fn ns_in_use(inode: u64) -> bool {
    let want = format!("net:[{inode}]");
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path().join("ns/net")).ok())
        .any(|l| l.to_string_lossy() == want)
}

fn ip_netns_exec(ns: &str, args: &[&str]) -> std::process::Output {
    vrrp_lab::in_netns(ns, args[0])
        .args(&args[1..])
        .output()
        .expect("run ip netns exec")
}

#[test]
fn topology_is_built_reachable_and_removed() {
    if !root("topology_is_built_reachable_and_removed") {
        return;
    }
    let prefix = format!("vrrptopo-{}", std::process::id());
    sweep_stale("vrrptopo");
    let host_before = host_links();
    let mut topo = Topology::build(&prefix).expect("build topology");
    let names = [
        topo.net.a.name().to_owned(),
        topo.net.b.name().to_owned(),
        topo.net.br.name().to_owned(),
    ];
    let inodes: Vec<u64> = [&topo.net.a, &topo.net.b, &topo.net.br]
        .iter()
        .map(|ns| ns.inode().expect("inode"))
        .collect();
    for n in &names {
        assert!(
            Path::new("/run/netns").join(n).exists(),
            "{n} not in /run/netns"
        );
    }
    assert!(links_in(&topo.net.a).contains("veth0"));
    assert!(links_in(&topo.net.b).contains("veth1"));
    let lan = links_in(&topo.net.br);
    for l in ["br0", "pa", "pb"] {
        assert!(
            lan.contains(l),
            "{l} missing in {}: {lan:?}",
            topo.net.br.name()
        );
    }
    assert!(topo.a.has_address("192.0.2.1".parse().unwrap()).unwrap());
    assert!(topo.b.has_address("2001:db8::2".parse().unwrap()).unwrap());

    // ip netns sees the namespaces...
    let shown = ip_netns_exec(&names[0], &["ip", "-o", "addr", "show", "dev", "veth0"]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("192.0.2.1/24"),
        "ip netns exec {}: {shown:?}",
        names[0]
    );
    // ...and A reaches B through the switch (UDP, sockets opened inside each namespace).
    let rx = topo
        .net
        .b
        .run(|| UdpSocket::bind("192.0.2.2:0").unwrap())
        .unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let tx = topo
        .net
        .a
        .run(|| UdpSocket::bind("192.0.2.1:0").unwrap())
        .unwrap();
    tx.send_to(b"hello", rx.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = rx.recv_from(&mut buf).expect("datagram from A to B");
    assert_eq!(&buf[..n], b"hello");
    assert_eq!(from.ip().to_string(), "192.0.2.1");
    drop((rx, tx));

    // Cutting A's link leaves B's up: the point of the switch.
    topo.a.set_link(false).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!topo.a.link_up().unwrap());
    assert!(topo.b.link_up().unwrap(), "B lost carrier when A went down");
    topo.a.set_link(true).unwrap();
    topo.wait_links_up().expect("A back up");

    let problems = topo.remove();
    assert!(problems.is_empty(), "{problems:?}");
    for n in &names {
        assert!(!Path::new("/run/netns").join(n).exists(), "{n} left behind");
    }
    for i in inodes {
        assert!(!ns_in_use(i), "a process is still in namespace net:[{i}]");
    }
    drop(topo);
    assert_eq!(host_before, host_links(), "host links changed");
}

#[test]
fn veth_pair_spans_namespaces_and_drop_cleans_up() {
    if !root("veth_pair_spans_namespaces_and_drop_cleans_up") {
        return;
    }
    let pid = std::process::id();
    sweep_stale("vrrpveth");
    let host_before = host_links();
    let paths;
    {
        let x = Netns::create(&format!("vrrpveth-{pid}-x")).expect("create x");
        let y = Netns::create(&format!("vrrpveth-{pid}-y")).expect("create y");
        paths = [x.path().to_owned(), y.path().to_owned()];
        // A second namespace of the same name is refused and leaves the first alone.
        assert!(Netns::create(x.name()).is_err());
        assert!(x.path().exists());

        let mut nl = x
            .run(vrrp_net::Netlink::open)
            .unwrap()
            .expect("netlink in x");
        x.veth("vx", &y, "vy").expect("add veth pair");
        let local = nl.link_by_name("vx").expect("vx in x");
        assert_eq!(local.name, "vx");
        assert!(links_in(&x).contains("vx"));
        assert!(!links_in(&x).contains("vy"), "peer stayed in x");
        assert!(links_in(&y).contains("vy"), "peer not moved to y");

        // A bare pair: one end down takes the carrier off the other (why the demo has a switch).
        let mut ny = y
            .run(vrrp_net::Netlink::open)
            .unwrap()
            .expect("netlink in y");
        let vy = ny.link_by_name("vy").unwrap();
        nl.set_link_up(local.ifindex, true).unwrap();
        ny.set_link_up(vy.ifindex, true).unwrap();
        let end = Instant::now() + Duration::from_secs(5);
        while !ny.link_by_index(vy.ifindex).unwrap().up {
            assert!(Instant::now() < end, "vy never came up");
            std::thread::sleep(Duration::from_millis(10));
        }
        nl.set_link_up(local.ifindex, false).unwrap();
        let end = Instant::now() + Duration::from_secs(5);
        while ny.link_by_index(vy.ifindex).unwrap().up {
            assert!(Instant::now() < end, "vy kept its carrier with vx down");
            std::thread::sleep(Duration::from_millis(10));
        }
        // x and y dropped here without remove(): Drop must clean up.
    }
    for p in paths {
        assert!(!p.exists(), "{} left behind", p.display());
    }
    assert_eq!(host_before, host_links(), "host links changed");
}

#[test]
fn sweep_leaves_live_namespaces_alone() {
    if !root("sweep_leaves_live_namespaces_alone") {
        return;
    }
    let mut ns = Netns::create(&format!("vrrpsweep-{}-z", std::process::id())).unwrap();
    assert!(sweep_stale("vrrpsweep").is_empty());
    assert!(ns.path().exists());
    assert!(ns.remove().is_empty());
    assert!(!ns.path().exists());
}
