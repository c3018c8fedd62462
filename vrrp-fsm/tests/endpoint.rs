//! `Endpoint`: demux, peer filter, counter attribution, instance ids, sync groups, the
//! master each instance knows, and bounded queues.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_fsm::{
    Config, Datagram, Endpoint, EndpointEvent, EventKind, InstanceId, InstanceSpec, Instant,
    InterfaceId, Reason, State, Track, Vips,
};
use vrrp_proto::{
    ip, Addresses, Advertisement, Centiseconds, ChecksumForm, Priority, VersionFields, Vrid,
    MULTICAST_V4, MULTICAST_V6,
};

const IF1: InterfaceId = InterfaceId(1);
const IF2: InterfaceId = InterfaceId(2);
static VIP4: [Ipv4Addr; 1] = [Ipv4Addr::new(192, 0, 2, 100)];
static VIP6: [Ipv6Addr; 1] = [Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100)];

fn v4(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
}
fn v6(n: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, n))
}
fn vrid(n: u8) -> Vrid {
    Vrid::new(n).unwrap()
}
fn at(ms: u64) -> Instant {
    Instant::from_micros(ms * 1000)
}

fn spec(interface: InterfaceId, vr: u8, me: IpAddr, prio: u8) -> InstanceSpec {
    let vips = match me {
        IpAddr::V4(_) => Vips::V4(VIP4.to_vec()),
        IpAddr::V6(_) => Vips::V6(VIP6.to_vec()),
    };
    InstanceSpec {
        interface,
        config: Config::builder(vrid(vr), me, vips)
            .priority(Priority(prio))
            .build()
            .unwrap(),
        peers: vec![],
        track_interfaces: vec![],
    }
}

/// A v3 advert from `src` as a raw socket hands it over (IPv4: with its header).
fn advert_bytes(vr: u8, prio: u8, src: IpAddr, dst: IpAddr, ttl: u8) -> Vec<u8> {
    let addresses = match src {
        IpAddr::V4(_) => Addresses::V4(&VIP4),
        IpAddr::V6(_) => Addresses::V6(&VIP6),
    };
    let adv = Advertisement {
        vrid: vrid(vr),
        priority: Priority(prio),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(100).unwrap(),
        },
        addresses,
    };
    let mut msg = vec![0; adv.buffer_len()];
    adv.emit(&mut msg, src, dst, ChecksumForm::PseudoHeader)
        .unwrap();
    with_ip(&msg, src, dst, ttl)
}

fn with_ip(msg: &[u8], src: IpAddr, dst: IpAddr, ttl: u8) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut b = vec![0; ip::IPV4_HEADER_LEN + msg.len()];
            ip::emit_ipv4_header(&mut b, s, d, msg.len(), 1).unwrap();
            b[8] = ttl;
            // Header checksum over the changed TTL is not checked by a raw socket reader.
            b[ip::IPV4_HEADER_LEN..].copy_from_slice(msg);
            b
        }
        _ => msg.to_vec(),
    }
}

fn group(src: IpAddr) -> IpAddr {
    match src {
        IpAddr::V4(_) => IpAddr::V4(MULTICAST_V4),
        IpAddr::V6(_) => IpAddr::V6(MULTICAST_V6),
    }
}

fn receive(ep: &mut Endpoint, now: Instant, interface: InterfaceId, bytes: &[u8], src: IpAddr) {
    let d = Datagram {
        interface,
        src,
        dst: group(src),
        hop_limit: 255,
        bytes,
    };
    ep.handle_datagram(now, d);
}

fn events(ep: &mut Endpoint) -> Vec<EndpointEvent> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

fn transmits(ep: &mut Endpoint) -> Vec<(vrrp_fsm::Transmit, Vec<u8>)> {
    let mut buf = [0u8; 1500];
    std::iter::from_fn(|| {
        ep.poll_transmit(&mut buf)
            .map(|t| (t, buf[..t.len].to_vec()))
    })
    .collect()
}

fn started(specs: Vec<InstanceSpec>) -> (Endpoint, Vec<InstanceId>) {
    let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
    let ids = specs
        .into_iter()
        .map(|s| ep.add(at(0), s).unwrap())
        .collect();
    ep.start_all(at(0));
    events(&mut ep);
    transmits(&mut ep);
    (ep, ids)
}

#[test]
fn demux_by_interface_family_and_vrid() {
    let (mut ep, ids) = started(vec![
        spec(IF1, 51, v4(1), 100),
        spec(IF2, 51, v4(1), 100),
        spec(IF1, 51, v6(1), 100),
    ]);
    // A master on IF2, IPv4: only the IPv4 instance on IF2 hears it.
    receive(
        &mut ep,
        at(100),
        IF2,
        &advert_bytes(51, 200, v4(9), group(v4(9)), 255),
        v4(9),
    );
    let got = events(&mut ep);
    assert_eq!(
        got,
        vec![EndpointEvent {
            instance: ids[1],
            kind: EventKind::MasterChanged(Some(v4(9)))
        }]
    );
    assert_eq!(ep.router(ids[1]).unwrap().counters().adverts_rcvd, 1);
    assert_eq!(ep.router(ids[0]).unwrap().counters().adverts_rcvd, 0);
    // The same VRID over IPv6 on IF1 goes to the IPv6 instance.
    receive(
        &mut ep,
        at(200),
        IF1,
        &advert_bytes(51, 200, v6(9), group(v6(9)), 255),
        v6(9),
    );
    assert_eq!(ep.router(ids[2]).unwrap().counters().adverts_rcvd, 1);
    assert_eq!(ep.router(ids[0]).unwrap().counters().adverts_rcvd, 0);
    assert_eq!(ep.master(ids[2]), Some(v6(9)));
    // A VRID nobody runs there, and one run on another interface only.
    receive(
        &mut ep,
        at(300),
        IF1,
        &advert_bytes(52, 200, v4(9), group(v4(9)), 255),
        v4(9),
    );
    receive(
        &mut ep,
        at(300),
        InterfaceId(3),
        &advert_bytes(51, 200, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert_eq!(ep.unknown_vrid(), 2);
    assert_eq!(ep.counters().vrid_errors, 2);
    // The same key twice is refused.
    assert_eq!(
        ep.add(at(0), spec(IF2, 51, v4(3), 100)),
        Err(vrrp_fsm::EndpointError::VridTaken(ids[1]))
    );
}

#[test]
fn unicast_peer_filter_drops_and_counts_strangers() {
    let mut s = spec(IF1, 51, v4(1), 100);
    s.peers = vec![v4(2), v4(3)];
    let (mut ep, ids) = started(vec![s]);
    receive(
        &mut ep,
        at(100),
        IF1,
        &advert_bytes(51, 200, v4(9), v4(1), 255),
        v4(9),
    );
    let c = ep.router(ids[0]).unwrap().counters();
    assert_eq!((c.unknown_peer, c.adverts_rcvd), (1, 0));
    receive(
        &mut ep,
        at(200),
        IF1,
        &advert_bytes(51, 200, v4(2), v4(1), 255),
        v4(2),
    );
    let c = ep.router(ids[0]).unwrap().counters();
    assert_eq!((c.unknown_peer, c.adverts_rcvd), (1, 1));
    assert_eq!(ep.master(ids[0]), Some(v4(2)));
}

/// keepalived checks no TTL / hop limit on a unicast instance, and sends IPv6 unicast
/// adverts with the kernel's default hop limit (64): a unicast router accepts them from a
/// peer and counts them (`unicast_ttl_not_255`); a multicast router still drops them as a
/// global ip-ttl-error; a stranger is still an unknown peer.
#[test]
fn unicast_router_accepts_and_counts_a_ttl_other_than_255() {
    let mut u4 = spec(IF1, 51, v4(1), 100);
    u4.peers = vec![v4(2)];
    let mut u6 = spec(IF1, 52, v6(1), 100);
    u6.peers = vec![v6(2)];
    let m4 = spec(IF1, 53, v4(1), 100);
    let (mut ep, ids) = started(vec![u4, u6, m4]);
    let hop = |ep: &mut Endpoint, now, vr, src: IpAddr, dst: IpAddr, ttl| {
        let bytes = advert_bytes(vr, 200, src, dst, ttl);
        ep.handle_datagram(
            at(now),
            Datagram {
                interface: IF1,
                src,
                dst,
                hop_limit: ttl,
                bytes: &bytes,
            },
        );
    };
    hop(&mut ep, 10, 51, v4(2), v4(1), 64);
    hop(&mut ep, 20, 52, v6(2), v6(1), 64);
    hop(&mut ep, 30, 52, v6(2), v6(1), 255);
    for (id, ttl_not_255, rcvd) in [(ids[0], 1, 1), (ids[1], 1, 2)] {
        let c = ep.router(id).unwrap().counters();
        assert_eq!(
            (c.unicast_ttl_not_255, c.adverts_rcvd),
            (ttl_not_255, rcvd),
            "{id:?}"
        );
    }
    assert_eq!(ep.master(ids[0]), Some(v4(2)));
    assert_eq!(ep.master(ids[1]), Some(v6(2)));
    assert_eq!(ep.counters().ip_ttl_errors, 0);
    // Multicast: RFC 9568 §7.1, dropped.
    hop(&mut ep, 40, 53, v4(2), group(v4(2)), 64);
    assert_eq!(ep.counters().ip_ttl_errors, 1);
    let c = ep.router(ids[2]).unwrap().counters();
    assert_eq!((c.unicast_ttl_not_255, c.adverts_rcvd), (0, 0));
    // A stranger to a unicast router: the peer filter still drops it.
    hop(&mut ep, 50, 51, v4(9), v4(1), 64);
    let c = ep.router(ids[0]).unwrap().counters();
    assert_eq!(
        (c.unicast_ttl_not_255, c.unknown_peer, c.adverts_rcvd),
        (1, 1, 1)
    );
    // An unknown VRID with a bad TTL stays an ip-ttl-error (no router to exempt it).
    hop(&mut ep, 60, 99, v4(2), v4(1), 64);
    assert_eq!(ep.counters().ip_ttl_errors, 2);
}

/// keepalived's checksum compatibility: a v3/IPv4 unicast router sends the RFC 9568 form
/// (pseudo-header with the peer's address) until it hears a peer use the pre-1.3.6 form
/// (224.0.0.18 in the pseudo-header); then it counts it and sends that form too, as
/// keepalived 2.2.7 does. A multicast router, where both forms are the same, never counts.
#[test]
fn unicast_router_answers_the_old_unicast_checksum_in_kind() {
    let mut u4 = spec(IF1, 51, v4(1), 200);
    u4.peers = vec![v4(2)];
    let (mut ep, ids) = started(vec![u4]);
    let form_of = |t: &vrrp_fsm::Transmit, msg: &[u8]| {
        [ChecksumForm::PseudoHeader, ChecksumForm::OldUnicast]
            .into_iter()
            .filter(|f| vrrp_proto::verify_checksum(msg, t.src, t.dst, *f))
            .collect::<Vec<_>>()
    };
    // Master after Master_Down_Interval: the RFC 9568 form.
    ep.handle_timeout(at(10_000));
    let sent = transmits(&mut ep);
    assert!(!sent.is_empty(), "no advert as master");
    for (t, msg) in &sent {
        assert_eq!(t.dst, v4(2));
        assert_eq!(form_of(t, msg), [ChecksumForm::PseudoHeader]);
    }
    assert!(!ep.sends_old_unicast_checksum(ids[0]));
    // A lower-priority peer checksums the old way.
    let adv = Advertisement {
        vrid: vrid(51),
        priority: Priority(100),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(100).unwrap(),
        },
        addresses: Addresses::V4(&VIP4),
    };
    let mut msg = vec![0; adv.buffer_len()];
    adv.emit(&mut msg, v4(2), v4(1), ChecksumForm::OldUnicast)
        .unwrap();
    let bytes = with_ip(&msg, v4(2), v4(1), 255);
    let d = Datagram {
        interface: IF1,
        src: v4(2),
        dst: v4(1),
        hop_limit: 255,
        bytes: &bytes,
    };
    ep.handle_datagram(at(10_500), d);
    let c = ep.router(ids[0]).unwrap().counters();
    assert_eq!((c.old_unicast_checksum_rcvd, c.adverts_rcvd), (1, 1));
    assert!(ep.sends_old_unicast_checksum(ids[0]));
    let said: Vec<_> = events(&mut ep)
        .into_iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Router(vrrp_fsm::Event::OldUnicastChecksum { .. })
            )
        })
        .collect();
    assert_eq!(
        said,
        [EndpointEvent {
            instance: ids[0],
            kind: EventKind::Router(vrrp_fsm::Event::OldUnicastChecksum { src: v4(2) })
        }]
    );
    // Said once: a second old-form advert is only counted.
    ep.handle_datagram(at(10_600), d);
    assert_eq!(
        ep.router(ids[0])
            .unwrap()
            .counters()
            .old_unicast_checksum_rcvd,
        2
    );
    assert!(events(&mut ep).iter().all(|e| !matches!(
        e.kind,
        EventKind::Router(vrrp_fsm::Event::OldUnicastChecksum { .. })
    )));
    transmits(&mut ep);
    ep.handle_timeout(at(12_000));
    let sent = transmits(&mut ep);
    assert!(!sent.is_empty(), "no advert as master");
    for (t, msg) in &sent {
        assert_eq!(form_of(t, msg), [ChecksumForm::OldUnicast]);
    }
    assert_eq!(ep.counters().checksum_errors, 0);
}

/// keepalived `old_unicast_checksum`: the old form from the start; `never`: the RFC 9568
/// form even after hearing the old one (counted all the same, nothing said).
#[test]
fn configured_old_unicast_checksum_and_never() {
    let with = |vr: u8, c: vrrp_fsm::UnicastChecksum| {
        let mut s = spec(IF1, vr, v4(1), 200);
        s.config = Config::builder(vrid(vr), v4(1), Vips::V4(VIP4.to_vec()))
            .priority(Priority(200))
            .unicast_checksum(c)
            .build()
            .unwrap();
        s.peers = vec![v4(2)];
        s
    };
    let (mut ep, ids) = started(vec![
        with(51, vrrp_fsm::UnicastChecksum::Old),
        with(52, vrrp_fsm::UnicastChecksum::Never),
    ]);
    assert!(ep.sends_old_unicast_checksum(ids[0]));
    assert!(!ep.sends_old_unicast_checksum(ids[1]));
    // An old-form advert from the peer to each.
    for vr in [51, 52] {
        let adv = Advertisement {
            vrid: vrid(vr),
            priority: Priority(100),
            fields: VersionFields::V3 {
                interval: Centiseconds::new(100).unwrap(),
            },
            addresses: Addresses::V4(&VIP4),
        };
        let mut msg = vec![0; adv.buffer_len()];
        adv.emit(&mut msg, v4(2), v4(1), ChecksumForm::OldUnicast)
            .unwrap();
        let bytes = with_ip(&msg, v4(2), v4(1), 255);
        let d = Datagram {
            interface: IF1,
            src: v4(2),
            dst: v4(1),
            hop_limit: 255,
            bytes: &bytes,
        };
        ep.handle_datagram(at(100), d);
    }
    for id in &ids {
        assert_eq!(
            ep.router(*id).unwrap().counters().old_unicast_checksum_rcvd,
            1
        );
    }
    assert!(!ep.sends_old_unicast_checksum(ids[1]), "never switches");
    assert!(events(&mut ep).iter().all(|e| !matches!(
        e.kind,
        EventKind::Router(vrrp_fsm::Event::OldUnicastChecksum { .. })
    )));
    // As masters: each in its form.
    ep.handle_timeout(at(10_000));
    let sent = transmits(&mut ep);
    for (want, id) in [
        (ChecksumForm::OldUnicast, ids[0]),
        (ChecksumForm::PseudoHeader, ids[1]),
    ] {
        let mine: Vec<_> = sent.iter().filter(|(t, _)| t.instance == id).collect();
        assert!(!mine.is_empty(), "{id:?} sent nothing as master");
        for (t, msg) in mine {
            assert!(
                vrrp_proto::verify_checksum(msg, t.src, t.dst, want),
                "{id:?}"
            );
        }
    }
}

#[test]
fn unicast_instance_sends_one_advert_per_peer() {
    let mut s = spec(IF1, 51, v4(1), 255);
    s.peers = vec![v4(2), v4(3)];
    let mut ep = Endpoint::new(ChecksumForm::MessageOnly);
    let id = ep.add(at(0), s).unwrap();
    ep.start(at(0), id).unwrap();
    let sent = transmits(&mut ep);
    let dsts: Vec<IpAddr> = sent.iter().map(|(t, _)| t.dst).collect();
    assert_eq!(dsts, vec![v4(2), v4(3)]);
    for (t, bytes) in &sent {
        assert_eq!((t.instance, t.interface, t.src), (id, IF1, v4(1)));
        // What went out decodes, with the checksum form chosen at creation.
        let d =
            vrrp_proto::decode(bytes, t.src, t.dst, vrrp_proto::ChecksumPolicy::Either).unwrap();
        assert_eq!(d.checksum_form, ChecksumForm::MessageOnly);
        assert_eq!(d.advert.priority, Priority(255));
    }
}

/// keepalived: a unicast advert may come with any TTL (the peer's `unicast_ttl`), held to
/// the peer's `min_ttl`..`max_ttl` when it has one; a multicast one needs 255. Ours go to
/// peers with `unicast_ttl`.
#[test]
fn unicast_ttl_is_sent_and_peer_ranges_are_held() {
    let mut s = spec(IF1, 51, v4(1), 100);
    s.config = Config::builder(vrid(51), v4(1), Vips::V4(VIP4.to_vec()))
        .priority(Priority(100))
        .unicast_ttl(7)
        .peer_ttl(v4(3), 200, 255)
        .build()
        .unwrap();
    s.peers = vec![v4(2), v4(3)];
    let (mut ep, ids) = started(vec![s]);
    // From peer 2 (no range), TTL 64: taken.
    receive(
        &mut ep,
        at(100),
        IF1,
        &advert_bytes(51, 200, v4(2), v4(1), 64),
        v4(2),
    );
    assert_eq!(ep.router(ids[0]).unwrap().counters().adverts_rcvd, 1);
    assert_eq!(ep.counters().ip_ttl_errors, 0);
    // From peer 3 (200..=255), TTL 64: dropped, counted; TTL 200: taken.
    receive(
        &mut ep,
        at(200),
        IF1,
        &advert_bytes(51, 200, v4(3), v4(1), 64),
        v4(3),
    );
    assert_eq!(ep.counters().ip_ttl_errors, 1);
    receive(
        &mut ep,
        at(300),
        IF1,
        &advert_bytes(51, 200, v4(3), v4(1), 200),
        v4(3),
    );
    assert_eq!(ep.router(ids[0]).unwrap().counters().adverts_rcvd, 2);
    // Our adverts (after a priority-0 from the master) carry unicast_ttl.
    receive(
        &mut ep,
        at(400),
        IF1,
        &advert_bytes(51, 0, v4(3), v4(1), 200),
        v4(3),
    );
    ep.handle_timeout(at(2000));
    let sent = transmits(&mut ep);
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|(t, _)| t.ttl == 7), "{sent:?}");
}

/// keepalived's `vrrp_mcast_group4` / `mcast_dst_ip`: adverts go to that group, and only
/// adverts sent to it are heard.
#[test]
fn another_multicast_group_is_used_both_ways() {
    let other = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 42));
    let mut s = spec(IF1, 51, v4(1), 255);
    s.config = Config::builder(vrid(51), v4(1), Vips::V4(VIP4.to_vec()))
        .priority(Priority(255))
        .multicast_group(Some(other))
        .build()
        .unwrap();
    let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
    let id = ep.add(at(0), s).unwrap();
    ep.start(at(0), id).unwrap();
    let sent = transmits(&mut ep);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].0.dst, sent[0].0.ttl), (other, 255));
    let heard = |ep: &mut Endpoint, dst: IpAddr, t: u64| {
        let bytes = advert_bytes(51, 100, v4(9), dst, 255);
        let d = Datagram {
            interface: IF1,
            src: v4(9),
            dst,
            hop_limit: 255,
            bytes: &bytes,
        };
        ep.handle_datagram(at(t), d);
        ep.router(id).unwrap().counters().master_rx_lower_pri
    };
    assert_eq!(
        heard(&mut ep, group(v4(9)), 100),
        0,
        "224.0.0.18 is not ours"
    );
    assert_eq!(ep.router(id).unwrap().counters().not_mine, 1);
    assert_eq!(heard(&mut ep, other, 200), 1);
    // A group of the other family, or a unicast address, is refused.
    let bad = |g: IpAddr| {
        Config::builder(vrid(51), v4(1), Vips::V4(VIP4.to_vec()))
            .multicast_group(Some(g))
            .build()
    };
    assert_eq!(bad(v6(1)), Err(vrrp_fsm::ConfigError::MulticastGroup));
    assert_eq!(bad(v4(7)), Err(vrrp_fsm::ConfigError::MulticastGroup));
}

#[test]
fn each_drop_kind_has_its_counter() {
    let (mut ep, ids) = started(vec![spec(IF1, 51, v4(1), 100)]);
    let good = advert_bytes(51, 200, v4(9), group(v4(9)), 255);
    // RFC 9568 §7.1 TTL.
    receive(
        &mut ep,
        at(1),
        IF1,
        &advert_bytes(51, 200, v4(9), group(v4(9)), 254),
        v4(9),
    );
    assert_eq!(ep.counters().ip_ttl_errors, 1);
    // IP header: another protocol.
    let mut udp = good.clone();
    udp[9] = 17;
    receive(&mut ep, at(2), IF1, &udp, v4(9));
    assert_eq!(ep.counters().ip_header_errors, 1);
    // Checksum: a flipped address byte.
    let mut bad = good.clone();
    *bad.last_mut().unwrap() ^= 1;
    receive(&mut ep, at(3), IF1, &bad, v4(9));
    assert_eq!(ep.counters().checksum_errors, 1);
    // Version: a v2 advert to a v3 router is a global version error.
    let v2 = Advertisement {
        vrid: vrid(51),
        priority: Priority(200),
        fields: VersionFields::V2 {
            interval: vrrp_proto::Seconds(1),
            auth: vrrp_proto::Auth::None,
        },
        addresses: Addresses::V4(&VIP4),
    };
    let mut msg = vec![0; v2.buffer_len()];
    v2.emit(&mut msg, v4(9), group(v4(9)), ChecksumForm::MessageOnly)
        .unwrap();
    receive(
        &mut ep,
        at(4),
        IF1,
        &with_ip(&msg, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert_eq!(ep.counters().version_errors, 1);
    // A length error naming our VRID is that router's.
    let cut = &good[ip::IPV4_HEADER_LEN..ip::IPV4_HEADER_LEN + 10];
    receive(
        &mut ep,
        at(5),
        IF1,
        &with_ip(cut, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert_eq!(
        ep.router(ids[0]).unwrap().counters().packet_length_errors,
        1
    );
    // Unknown VRID.
    receive(
        &mut ep,
        at(6),
        IF1,
        &advert_bytes(77, 200, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert_eq!(ep.counters().vrid_errors, 1);
    // None of them reached the router.
    assert_eq!(ep.router(ids[0]).unwrap().counters().adverts_rcvd, 0);
    assert!(events(&mut ep).is_empty());
    // And a good one does.
    receive(&mut ep, at(7), IF1, &good, v4(9));
    assert_eq!(ep.router(ids[0]).unwrap().counters().adverts_rcvd, 1);
}

#[test]
fn removed_instance_id_is_reused_without_its_timer_or_demux_entry() {
    let (mut ep, ids) = started(vec![spec(IF1, 51, v4(1), 100), spec(IF1, 52, v4(1), 100)]);
    assert!(ep.poll_timeout().is_some());
    ep.remove(at(10), ids[0]).unwrap();
    let got = events(&mut ep);
    assert!(got.contains(&EndpointEvent {
        instance: ids[0],
        kind: EventKind::StateChange {
            from: State::Backup,
            to: State::Initialize,
            reason: Reason::Shutdown,
            priority: Priority(100)
        }
    }));
    ep.stop(at(10), ids[1]).unwrap();
    events(&mut ep);
    assert_eq!(ep.poll_timeout(), None, "no timer left behind");
    assert_eq!(ep.slot_counts(), (2, 1));
    // The new instance takes the free slot; the old VRID is unknown now.
    let c = ep.add(at(20), spec(IF1, 53, v4(1), 100)).unwrap();
    assert_eq!(c, ids[0]);
    assert_eq!(ep.slot_counts(), (2, 2));
    receive(
        &mut ep,
        at(30),
        IF1,
        &advert_bytes(51, 200, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert_eq!(ep.unknown_vrid(), 1);
    assert_eq!(ep.router(c).unwrap().counters().adverts_rcvd, 0);
    // Its own VRID reaches it; old deadlines fire nothing.
    ep.handle_timeout(at(60_000));
    assert!(events(&mut ep).is_empty());
    assert_eq!(ep.router(c).unwrap().state(), State::Initialize);
    assert!(ep.remove(at(0), InstanceId(9)).is_err());
}

#[test]
fn sync_group_moves_members_together() {
    let mut a = spec(IF1, 51, v4(1), 100);
    a.config = Config::builder(vrid(51), v4(1), Vips::V4(VIP4.to_vec()))
        .track(Track::new(0))
        .build()
        .unwrap();
    let (mut ep, ids) = started(vec![a, spec(IF2, 52, v4(1), 100)]);
    ep.set_sync_groups(vec![ids.clone()]);
    ep.handle_track(at(10), ids[0], 0, false).unwrap();
    let got = events(&mut ep);
    let fault = |id, reason| EndpointEvent {
        instance: id,
        kind: EventKind::StateChange {
            from: State::Backup,
            to: State::Fault,
            reason,
            priority: Priority(100),
        },
    };
    assert!(got.contains(&fault(ids[0], Reason::TrackDown)), "{got:?}");
    assert!(got.contains(&fault(ids[1], Reason::SyncGroup)), "{got:?}");
    let unanimous = |to| EndpointEvent {
        instance: ids[0],
        kind: EventKind::GroupState {
            group: 0,
            to,
            priority: Priority(100),
        },
    };
    // Reported once the whole group is there, after the members' own changes.
    assert_eq!(got.last(), Some(&unanimous(State::Fault)), "{got:?}");
    ep.handle_track(at(20), ids[0], 0, true).unwrap();
    let got = events(&mut ep);
    assert!(ep.instances().all(|(_, r)| r.state() == State::Backup));
    assert_eq!(
        got.iter()
            .filter(|e| e == &&unanimous(State::Backup))
            .count(),
        1,
        "{got:?}"
    );
    // One member timing out takes the other to Master at the same moment.
    let t = ep.poll_timeout().unwrap();
    ep.handle_timeout(t);
    assert!(ep.instances().all(|(_, r)| r.state() == State::Master));
    assert!(events(&mut ep).contains(&unanimous(State::Master)));
}

#[test]
fn master_changed_follows_what_the_backup_hears_and_its_own_mastership() {
    let (mut ep, ids) = started(vec![spec(IF1, 51, v4(1), 100)]);
    let id = ids[0];
    receive(
        &mut ep,
        at(100),
        IF1,
        &advert_bytes(51, 200, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert_eq!(
        events(&mut ep),
        vec![EndpointEvent {
            instance: id,
            kind: EventKind::MasterChanged(Some(v4(9)))
        }]
    );
    // The same master again: nothing new to say.
    receive(
        &mut ep,
        at(1100),
        IF1,
        &advert_bytes(51, 200, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert!(events(&mut ep).is_empty());
    // The master stops (priority 0): we take over after Skew_Time and are the master.
    receive(
        &mut ep,
        at(1200),
        IF1,
        &advert_bytes(51, 0, v4(9), group(v4(9)), 255),
        v4(9),
    );
    let t = ep.poll_timeout().unwrap();
    ep.handle_timeout(t);
    let got = events(&mut ep);
    assert_eq!(
        got.last(),
        Some(&EndpointEvent {
            instance: id,
            kind: EventKind::MasterChanged(Some(v4(1)))
        }),
        "{got:?}"
    );
    assert_eq!(ep.master(id), Some(v4(1)));
    // Stopped: no master known.
    ep.stop(t, id).unwrap();
    assert!(events(&mut ep).contains(&EndpointEvent {
        instance: id,
        kind: EventKind::MasterChanged(None)
    }));
}

#[test]
fn lower_priority_flood_cannot_grow_the_queues_without_bound() {
    let (mut ep, ids) = started(vec![spec(IF1, 51, v4(1), 255)]);
    assert_eq!(ep.router(ids[0]).unwrap().state(), State::Master);
    let flood = advert_bytes(51, 100, v4(9), group(v4(9)), 255);
    for k in 0..100_000u64 {
        receive(&mut ep, Instant::from_micros(1000 + k), IF1, &flood, v4(9));
    }
    let (ev, tx) = (events(&mut ep), transmits(&mut ep));
    assert!(ev.len() < 1000, "{} events queued", ev.len());
    assert!(tx.len() < 1000, "{} adverts queued", tx.len());
    let s = ep.stats();
    // One event per advert, and the dual-master episode's.
    assert_eq!(s.events_dropped + ev.len() as u64, 100_001);
    assert_eq!(s.transmits_dropped + tx.len() as u64, 100_000);
    // The router itself counted every advert, and one dual-master episode.
    let c = ep.router(ids[0]).unwrap().counters();
    assert_eq!((c.master_rx_lower_pri, c.dual_master), (100_000, 1));
    // Drained after each datagram, nothing is dropped.
    receive(&mut ep, at(200), IF1, &flood, v4(9));
    assert_eq!((events(&mut ep).len(), transmits(&mut ep).len()), (1, 1));
    assert_eq!(ep.stats().events_dropped, s.events_dropped);
}

#[test]
fn interface_gone_and_back_moves_the_demux_entry() {
    let (mut ep, ids) = started(vec![spec(IF1, 255, v4(1), 255)]);
    let id = ids[0];
    assert_eq!(ep.router(id).unwrap().state(), State::Master);
    ep.unbind(at(10), id).unwrap();
    assert_eq!(ep.router(id).unwrap().state(), State::Fault);
    assert_eq!(ep.interface(id), None);
    assert!(transmits(&mut ep).is_empty(), "nowhere to send");
    let got = events(&mut ep);
    assert!(got.contains(&EndpointEvent {
        instance: id,
        kind: EventKind::RemoveVip(IpAddr::V4(VIP4[0]))
    }));
    // Nothing reaches it on the old interface; a link event there is not its own.
    receive(
        &mut ep,
        at(20),
        IF1,
        &advert_bytes(255, 100, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert_eq!(ep.unknown_vrid(), 1);
    ep.handle_link(at(20), IF1, true);
    assert_eq!(ep.router(id).unwrap().state(), State::Fault);
    // Back with a new id: it runs there (the owner takes over at once) and hears adverts.
    ep.bind(at(30), id, IF2, true).unwrap();
    assert_eq!(ep.interface(id), Some(IF2));
    assert_eq!(ep.router(id).unwrap().state(), State::Master);
    let sent = transmits(&mut ep);
    assert!(!sent.is_empty() && sent.iter().all(|(t, _)| t.interface == IF2));
    receive(
        &mut ep,
        at(40),
        IF2,
        &advert_bytes(255, 100, v4(9), group(v4(9)), 255),
        v4(9),
    );
    assert_eq!(ep.router(id).unwrap().counters().adverts_rcvd, 1);
}
