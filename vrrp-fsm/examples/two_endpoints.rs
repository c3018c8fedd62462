//! Two `Endpoint`s on an in-memory LAN: what a program embedding VRRP does in its own loop.
//! `cargo run -p vrrp-fsm --example two_endpoints`
use std::net::{IpAddr, Ipv4Addr};
use vrrp_fsm::{Config, Datagram, Endpoint, InstanceSpec, Instant, InterfaceId, State, Vips};
use vrrp_proto::{ip, ChecksumForm, Priority, Vrid};

fn node(last: u8, prio: u8) -> (Endpoint, vrrp_fsm::InstanceId) {
    let me = IpAddr::V4(Ipv4Addr::new(192, 0, 2, last));
    let vips = Vips::V4(vec![Ipv4Addr::new(192, 0, 2, 100)]);
    let config = Config::builder(Vrid::new(51).unwrap(), me, vips).priority(Priority(prio));
    let spec = InstanceSpec {
        interface: InterfaceId(1),
        config: config.build().unwrap(),
        peers: vec![],
        track_interfaces: vec![],
    };
    let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
    let id = ep.add(Instant::ZERO, spec).unwrap();
    ep.start(Instant::ZERO, id).unwrap();
    (ep, id)
}

fn main() {
    let mut nodes = [node(1, 200), node(2, 100)];
    let (mut now, mut buf, mut wire) = (Instant::ZERO, [0u8; 1500], [0u8; 1520]);
    while now < Instant::from_micros(10_000_000) {
        for k in 0..2 {
            while let Some(e) = nodes[k].0.poll_event() {
                println!("{now} node {k}: {:?}", e.kind); // a real program: VIPs, GARPs, hooks
            }
            while let Some(t) = nodes[k].0.poll_transmit(&mut buf) {
                let (IpAddr::V4(s), IpAddr::V4(d)) = (t.src, t.dst) else {
                    unreachable!()
                };
                let n = ip::emit_ipv4_header(&mut wire, s, d, t.len, 0).unwrap();
                wire[n..n + t.len].copy_from_slice(&buf[..t.len]); // as a raw socket reads it
                let d = Datagram {
                    interface: t.interface,
                    src: t.src,
                    dst: t.dst,
                    hop_limit: 255,
                    bytes: &wire[..n + t.len],
                };
                nodes[1 - k].0.handle_datagram(now, d);
            }
        }
        let next = nodes.iter_mut().filter_map(|n| n.0.poll_timeout()).min();
        now = next.expect("a running router always has a deadline");
        nodes.iter_mut().for_each(|n| n.0.handle_timeout(now));
    }
    let state = |k: usize| nodes[k].0.router(nodes[k].1).unwrap().state();
    assert_eq!((state(0), state(1)), (State::Master, State::Backup));
    assert_eq!(
        nodes[1].0.master(nodes[1].1),
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
    );
    println!("node 0 is Master, node 1 Backup and knows it");
}
