//! The shape of the event loop to come: a raw socket, the link monitor and timers driven by
//! one mio Poll whose timeout is the earliest timer deadline.
mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use common::*;
use mio::{Events, Interest, Poll, Token};
use vrrp_fsm::{Demux, Timers};
use vrrp_net::{LinkEvent, LinkMonitor, Netlink, VrrpSocket};
use vrrp_proto::{
    decode, ip, Addresses, Advertisement, Centiseconds, ChecksumForm, ChecksumPolicy, Family,
    Priority, VersionFields, Vrid, MULTICAST_V4,
};

const SOCK: Token = Token(0);
const LINK: Token = Token(1);

#[derive(Debug, Default)]
struct Seen {
    advert_for_router: Option<usize>,
    timer_fired: Option<usize>,
    link_down: bool,
}

#[test]
fn one_poll_drives_socket_link_monitor_and_timers() {
    let Some(lab) = lab("poll") else { return };
    let vrid = Vrid::new(42).unwrap();
    let vips = [Ipv4Addr::new(192, 0, 2, 10)];
    let advert = Advertisement {
        vrid,
        priority: Priority(200),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(100).unwrap(),
        },
        addresses: Addresses::V4(&vips),
    };
    let tx = in_ns(&lab.a, || {
        let idx = Netlink::open().unwrap().link_by_name(A_IF).unwrap().ifindex;
        VrrpSocket::open(A_IF, idx, Family::V4).unwrap()
    });
    let seen = in_ns(&lab.b, || {
        let mut nl = Netlink::open().unwrap();
        let idx = nl.link_by_name(B_IF).unwrap().ifindex;
        let mut sock = VrrpSocket::open(B_IF, idx, Family::V4).unwrap();
        let mut mon = LinkMonitor::open().unwrap();
        for l in nl.links().unwrap() {
            mon.seed(&l);
        }
        let mut poll = Poll::new().unwrap();
        poll.registry()
            .register(&mut sock, SOCK, Interest::READABLE)
            .unwrap();
        poll.registry()
            .register(&mut mon, LINK, Interest::READABLE)
            .unwrap();
        // Router 0 is VRID 42 on this interface; its timer is armed a little ahead.
        let mut demux = Demux::new();
        demux.insert((vrrp_fsm::InterfaceId(idx), Family::V4, vrid), 0usize);
        let mut timers = Timers::new();
        timers.arm(0usize, Instant::now() + Duration::from_millis(20));

        let mut buf = [0u8; 1500];
        tx.send_advert(
            &advert,
            ChecksumForm::PseudoHeader,
            A_V4.parse().unwrap(),
            &[IpAddr::V4(MULTICAST_V4)],
            &mut buf,
        )
        .unwrap();

        let mut seen = Seen::default();
        let mut link_events = Vec::new();
        let mut events = Events::with_capacity(16);
        let end = Instant::now() + WAIT;
        while !seen.link_down && Instant::now() < end {
            let now = Instant::now();
            let timeout = timers
                .next_deadline()
                .map_or(end, |d| d.min(end))
                .saturating_duration_since(now);
            poll.poll(&mut events, Some(timeout)).unwrap();
            while let Some(meta) = sock.recv(&mut buf).unwrap() {
                let r = ip::parse_ipv4(&buf[..meta.len]).unwrap();
                let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
                let key = (
                    vrrp_fsm::InterfaceId(meta.ifindex),
                    Family::V4,
                    d.advert.vrid,
                );
                seen.advert_for_router = demux.lookup(key).copied();
            }
            mon.read_events(&mut link_events).unwrap();
            seen.link_down |= link_events.contains(&LinkEvent::LinkDown(idx));
            while let Some(router) = timers.pop_expired(Instant::now()) {
                seen.timer_fired = Some(router);
            }
            if seen.advert_for_router.is_some()
                && seen.timer_fired.is_some()
                && link_events.is_empty()
            {
                ip(&["link", "set", B_IF, "down"]);
            }
        }
        seen
    });
    assert_eq!(seen.advert_for_router, Some(0), "{seen:?}");
    assert_eq!(seen.timer_fired, Some(0), "{seen:?}");
    assert!(seen.link_down, "{seen:?}");
}
