//! Interop: adverts from a real keepalived 2.2.7 (in namespace A) are received and decoded by
//! our raw sockets in namespace B, IPv4 and IPv6, with the metadata the FSM needs.
mod common;

use std::io::Write;
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mio::{Interest, Poll, Token};
use vrrp_net::{Netlink, VrrpSocket};
use vrrp_proto::{decode, ip, ChecksumPolicy, Family, VersionFields, MULTICAST_V4, MULTICAST_V6};

/// keepalived can take a few advert intervals to become master; a bound, not a speed check.
const KA_WAIT: Duration = Duration::from_secs(15);

/// A keepalived we started (by pid) and its scratch directory; both gone on drop.
struct Keepalived {
    child: Child,
    dir: std::path::PathBuf,
}

impl Drop for Keepalived {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_keepalived(ns: &str, tag: &str) -> Option<Keepalived> {
    if Command::new("keepalived")
        .arg("--version")
        .output()
        .is_err()
    {
        let _ = writeln!(std::io::stderr(), "SKIP {tag}: keepalived not installed");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("vrrpnet-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "global_defs {{\n  router_id vrrpnet_test\n  vrrp_version 3\n}}\n\
             vrrp_instance V4 {{\n  state MASTER\n  interface {A_IF}\n  virtual_router_id 51\n  \
             priority 255\n  advert_int 1\n  virtual_ipaddress {{\n    192.0.2.10/32\n  }}\n}}\n\
             vrrp_instance V6 {{\n  state MASTER\n  interface {A_IF}\n  virtual_router_id 52\n  \
             priority 255\n  advert_int 1\n  virtual_ipaddress {{\n    2001:db8::10/128\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let child = vrrp_lab::in_netns(ns, "keepalived")
        .args(["-n", "-l", "-D", "-G", "-P"])
        .arg("-f")
        .arg(&conf)
        .arg("-p")
        .arg(dir.join("keepalived.pid"))
        .arg("-r")
        .arg(dir.join("vrrp.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Some(Keepalived { child, dir })
}

/// Wait (bounded) for one advert of `vrid` on `sock`; returns (src, dst, ttl, ifindex, version).
fn wait_advert(sock: &mut VrrpSocket, want_vrid: u8) -> (IpAddr, IpAddr, u8, u32, bool) {
    const RX: Token = Token(0);
    let mut poll = Poll::new().unwrap();
    poll.registry()
        .register(sock, RX, Interest::READABLE)
        .unwrap();
    let mut buf = [0u8; 1500];
    let end = Instant::now() + KA_WAIT;
    while Instant::now() < end {
        while let Some(meta) = sock.recv(&mut buf).unwrap() {
            let bytes = &buf[..meta.len];
            let r = match (meta.src, meta.dst) {
                (IpAddr::V6(s), IpAddr::V6(d)) => ip::check_ipv6(bytes, s, d, meta.ttl).unwrap(),
                _ => ip::parse_ipv4(bytes).unwrap(),
            };
            let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
            if d.advert.vrid.get() == want_vrid {
                let v3 = matches!(d.advert.fields, VersionFields::V3 { .. });
                return (meta.src, meta.dst, meta.ttl, meta.ifindex, v3);
            }
        }
        let mut events = mio::Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_millis(250)))
            .unwrap();
    }
    panic!("no advert for VRID {want_vrid} from keepalived within {KA_WAIT:?}");
}

#[test]
fn keepalived_adverts_are_received_and_decoded_v4_and_v6() {
    let Some(lab) = lab("ka") else { return };
    let (mut s4, mut s6, b_idx) = in_ns(&lab.b, || {
        let idx = Netlink::open().unwrap().link_by_name(B_IF).unwrap().ifindex;
        (
            VrrpSocket::open(B_IF, idx, Family::V4).unwrap(),
            VrrpSocket::open(B_IF, idx, Family::V6).unwrap(),
            idx,
        )
    });
    let a_ll = in_ns(&lab.a, || {
        let mut nl = Netlink::open().unwrap();
        let idx = nl.link_by_name(A_IF).unwrap().ifindex;
        nl.primary_address(idx, Family::V6).unwrap().unwrap()
    });
    let Some(_ka) = start_keepalived(lab.a.name(), "ka") else {
        return;
    };

    let (src, dst, ttl, ifindex, v3) = wait_advert(&mut s4, 51);
    assert_eq!(src, A_V4.parse::<IpAddr>().unwrap());
    assert_eq!(dst, IpAddr::V4(MULTICAST_V4));
    assert_eq!((ttl, ifindex, v3), (255, b_idx, true));

    let (src, dst, ttl, ifindex, v3) = wait_advert(&mut s6, 52);
    assert_eq!(
        src, a_ll,
        "keepalived sends from the link-local address we report"
    );
    assert_eq!(dst, IpAddr::V6(MULTICAST_V6));
    assert_eq!((ttl, ifindex, v3), (255, b_idx, true));
}
