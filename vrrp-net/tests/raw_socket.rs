//! Raw VRRP sockets across a veth pair: multicast v4/v6, unicast to a peer list, peer filter,
//! batched sending (sendmmsg) and receiving (recvmmsg).
mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::*;
use mio::{Interest, Poll, Token};
use vrrp_fsm::PeerFilter;
use vrrp_net::{Netlink, RecvBatch, RecvMeta, SendQueue, VrrpSocket};
use vrrp_proto::{
    decode, ip, Addresses, Advertisement, Centiseconds, ChecksumForm, ChecksumPolicy, Family,
    Priority, VersionFields, Vrid, MULTICAST_V4, MULTICAST_V6,
};

const RX: Token = Token(1);

fn open(ifname: &str, family: Family) -> VrrpSocket {
    let idx = Netlink::open()
        .unwrap()
        .link_by_name(ifname)
        .unwrap()
        .ifindex;
    VrrpSocket::open(ifname, idx, family).unwrap()
}

fn advert_v4<'a>(vrid: u8, vips: &'a [Ipv4Addr]) -> Advertisement<'a> {
    Advertisement {
        vrid: Vrid::new(vrid).unwrap(),
        priority: Priority(150),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(100).unwrap(),
        },
        addresses: Addresses::V4(vips),
    }
}

/// Receive one datagram, waiting (bounded) for it.
fn recv_one(sock: &mut VrrpSocket, poll: &mut Poll, buf: &mut [u8]) -> RecvMeta {
    loop {
        if let Some(meta) = sock.recv(buf).unwrap() {
            return meta;
        }
        assert!(wait_readable(poll, RX), "no datagram within {WAIT:?}");
    }
}

fn poll_for(sock: &mut VrrpSocket) -> Poll {
    let poll = Poll::new().unwrap();
    poll.registry()
        .register(sock, RX, Interest::READABLE)
        .unwrap();
    poll
}

/// Vrid of a received IPv4 datagram after the full IP + VRRP checks.
fn decode_v4(buf: &[u8]) -> (IpAddr, IpAddr, u8) {
    let r = ip::parse_ipv4(buf).unwrap();
    let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
    (r.src, r.dst, d.advert.vrid.get())
}

#[test]
fn ipv4_multicast_reaches_peer_with_ttl_255_and_is_not_looped_back() {
    let Some(lab) = lab("raw4") else { return };
    let src: IpAddr = A_V4.parse().unwrap();
    let group = IpAddr::V4(MULTICAST_V4);
    let mut rx = in_ns(&lab.b, || open(B_IF, Family::V4));
    let b_idx = rx.ifindex();
    let mut tx = in_ns(&lab.a, || open(A_IF, Family::V4));
    let mut rx_poll = poll_for(&mut rx);
    let mut tx_poll = poll_for(&mut tx);
    let vips = [Ipv4Addr::new(192, 0, 2, 10)];
    let mut buf = [0u8; 1500];
    tx.send_advert(
        &advert_v4(51, &vips),
        ChecksumForm::PseudoHeader,
        src,
        &[group],
        &mut buf,
    )
    .unwrap();

    let meta = recv_one(&mut rx, &mut rx_poll, &mut buf);
    assert_eq!(meta.src, src);
    assert_eq!(meta.dst, group);
    assert_eq!(meta.ttl, 255);
    assert_eq!(meta.ifindex, b_idx);
    assert_eq!(decode_v4(&buf[..meta.len]), (src, group, 51));
    // TOS 0xc0 like keepalived.
    assert_eq!(buf[1], 0xc0);

    // B answers; A's first datagram must be B's answer, not its own advert looped back.
    let b_src: IpAddr = B_V4.parse().unwrap();
    rx.send_advert(
        &advert_v4(52, &vips),
        ChecksumForm::PseudoHeader,
        b_src,
        &[group],
        &mut buf,
    )
    .unwrap();
    let meta = recv_one(&mut tx, &mut tx_poll, &mut buf);
    assert_eq!(meta.src, b_src, "own multicast looped back to the sender");
    assert_eq!(decode_v4(&buf[..meta.len]).2, 52);
}

#[test]
fn ipv6_multicast_reaches_peer_with_hop_limit_255_from_cmsg() {
    let Some(lab) = lab("raw6") else { return };
    let src = IpAddr::V6(A_V6.parse::<Ipv6Addr>().unwrap());
    let group = IpAddr::V6(MULTICAST_V6);
    let mut rx = in_ns(&lab.b, || open(B_IF, Family::V6));
    let b_idx = rx.ifindex();
    let mut tx = in_ns(&lab.a, || open(A_IF, Family::V6));
    let mut rx_poll = poll_for(&mut rx);
    let mut tx_poll = poll_for(&mut tx);
    let vips = [Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10)];
    let advert = |vrid| Advertisement {
        vrid: Vrid::new(vrid).unwrap(),
        priority: Priority(100),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(100).unwrap(),
        },
        addresses: Addresses::V6(&vips),
    };
    let mut buf = [0u8; 1500];
    tx.send_advert(
        &advert(7),
        ChecksumForm::PseudoHeader,
        src,
        &[group],
        &mut buf,
    )
    .unwrap();

    let meta = recv_one(&mut rx, &mut rx_poll, &mut buf);
    assert_eq!(meta.src, src);
    assert_eq!(meta.dst, group);
    assert_eq!(meta.ttl, 255);
    assert_eq!(meta.ifindex, b_idx);
    let (IpAddr::V6(s), IpAddr::V6(d)) = (meta.src, meta.dst) else {
        panic!("not v6")
    };
    let r = ip::check_ipv6(&buf[..meta.len], s, d, meta.ttl).unwrap();
    let got = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
    assert_eq!(got.advert, advert(7));

    let b_src = IpAddr::V6(B_V6.parse::<Ipv6Addr>().unwrap());
    rx.send_advert(
        &advert(8),
        ChecksumForm::PseudoHeader,
        b_src,
        &[group],
        &mut buf,
    )
    .unwrap();
    let meta = recv_one(&mut tx, &mut tx_poll, &mut buf);
    assert_eq!(meta.src, b_src, "own multicast looped back to the sender");
}

#[test]
fn unicast_goes_to_every_peer_and_filter_drops_a_stranger() {
    let Some(lab) = lab("uni") else { return };
    let b2 = "192.0.2.3";
    let stranger = "192.0.2.9";
    ip(&[
        "-n",
        lab.b.name(),
        "addr",
        "add",
        &format!("{b2}/24"),
        "dev",
        B_IF,
    ]);
    ip(&[
        "-n",
        lab.a.name(),
        "addr",
        "add",
        &format!("{stranger}/24"),
        "dev",
        A_IF,
    ]);
    let mut rx = in_ns(&lab.b, || open(B_IF, Family::V4));
    let tx = in_ns(&lab.a, || open(A_IF, Family::V4));
    let mut poll = poll_for(&mut rx);
    let a: IpAddr = A_V4.parse().unwrap();
    let peers: Vec<IpAddr> = vec![B_V4.parse().unwrap(), b2.parse().unwrap()];
    let vips = [Ipv4Addr::new(192, 0, 2, 10)];
    let mut buf = [0u8; 1500];
    tx.send_advert(
        &advert_v4(9, &vips),
        ChecksumForm::PseudoHeader,
        a,
        &peers,
        &mut buf,
    )
    .unwrap();
    tx.send_advert(
        &advert_v4(9, &vips),
        ChecksumForm::PseudoHeader,
        stranger.parse().unwrap(),
        &peers[..1],
        &mut buf,
    )
    .unwrap();

    let mut filter = PeerFilter::new(vec![a]);
    let mut accepted_dsts = Vec::new();
    for _ in 0..3 {
        let meta = recv_one(&mut rx, &mut poll, &mut buf);
        assert_eq!(meta.ttl, 255);
        let (src, dst, vrid) = decode_v4(&buf[..meta.len]);
        assert_eq!((src, dst), (meta.src, meta.dst));
        assert_eq!(vrid, 9);
        if filter.accept(meta.src) {
            accepted_dsts.push(meta.dst);
        }
    }
    accepted_dsts.sort();
    assert_eq!(accepted_dsts, peers, "each peer got its own copy");
    assert_eq!(filter.dropped(), 1, "the stranger was dropped and counted");
}

#[test]
fn a_queue_of_adverts_goes_out_in_one_sendmmsg_and_comes_in_by_batches() {
    let Some(lab) = lab("rawb") else { return };
    let src: IpAddr = A_V4.parse().unwrap();
    let group = IpAddr::V4(MULTICAST_V4);
    let mut rx = in_ns(&lab.b, || open(B_IF, Family::V4));
    let tx = in_ns(&lab.a, || open(A_IF, Family::V4));
    let mut rx_poll = poll_for(&mut rx);
    let vips = [Ipv4Addr::new(192, 0, 2, 10)];
    // 40 adverts, VRIDs 1..=40, queued then flushed (fewer than one 64-datagram sendmmsg).
    let mut queue = SendQueue::new();
    for vrid in 1..=40u8 {
        queue
            .push(
                0,
                usize::from(vrid),
                &advert_v4(vrid, &vips),
                ChecksumForm::PseudoHeader,
                src,
                &[group],
            )
            .unwrap();
    }
    assert!(!queue.is_empty());
    let mut failed = Vec::new();
    queue.flush(|_| &tx, |tag, e| failed.push((tag, e.to_string())));
    assert!(failed.is_empty(), "send errors: {failed:?}");
    assert!(queue.is_empty(), "flush leaves nothing queued");

    // All 40 are queued at B before it reads: batches of 16, 16, then 8 (less than full:
    // the queue is drained), in the order sent, each whole and with TTL 255.
    assert!(wait_readable(&mut rx_poll, RX), "nothing arrived");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut batch = RecvBatch::new();
    let mut sizes = Vec::new();
    let mut vrids = Vec::new();
    loop {
        let n = rx.recv_batch(&mut batch).unwrap();
        assert_eq!(n, batch.len());
        sizes.push(n);
        for k in 0..n {
            let (bytes, meta) = batch.get(k).unwrap();
            let meta = meta.expect("ancillary data");
            assert_eq!((meta.src, meta.dst, meta.ttl), (src, group, 255));
            let (s, d, vrid) = decode_v4(bytes);
            assert_eq!((s, d), (src, group));
            vrids.push(vrid);
        }
        if n < 16 {
            break;
        }
    }
    assert_eq!(sizes, vec![16, 16, 8]);
    assert_eq!(vrids, (1..=40).collect::<Vec<u8>>());
    assert!(
        batch.get(8).is_none(),
        "only the last batch's datagrams are there"
    );
    assert_eq!(
        rx.recv_batch(&mut batch).unwrap(),
        0,
        "nothing left: 0, not an error"
    );
}

/// The runner reads every socket into one [`RecvBatch`]. The kernel shrinks a header's
/// address and ancillary lengths to what a datagram carried; a batch that kept them would
/// cut an IPv6 datagram's source and cmsgs after an IPv4 read (every IPv6 advert then a
/// receive error, the IPv6 backup a second master).
#[test]
fn one_batch_reads_ipv4_then_ipv6_with_whole_metadata() {
    let Some(lab) = lab("rawm") else { return };
    let src4: IpAddr = A_V4.parse().unwrap();
    let src6 = IpAddr::V6(A_V6.parse::<Ipv6Addr>().unwrap());
    let mut rx4 = in_ns(&lab.b, || open(B_IF, Family::V4));
    let mut rx6 = in_ns(&lab.b, || open(B_IF, Family::V6));
    let tx4 = in_ns(&lab.a, || open(A_IF, Family::V4));
    let tx6 = in_ns(&lab.a, || open(A_IF, Family::V6));
    let mut poll4 = poll_for(&mut rx4);
    let mut poll6 = poll_for(&mut rx6);
    let vips4 = [Ipv4Addr::new(192, 0, 2, 10)];
    let vips6 = [Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10)];
    let advert6 = Advertisement {
        vrid: Vrid::new(9).unwrap(),
        priority: Priority(100),
        fields: VersionFields::V3 {
            interval: Centiseconds::new(100).unwrap(),
        },
        addresses: Addresses::V6(&vips6),
    };
    let mut buf = [0u8; 1500];
    let mut batch = RecvBatch::new();
    for round in 0..3 {
        tx4.send_advert(
            &advert_v4(8, &vips4),
            ChecksumForm::PseudoHeader,
            src4,
            &[IpAddr::V4(MULTICAST_V4)],
            &mut buf,
        )
        .unwrap();
        assert!(
            wait_readable(&mut poll4, RX),
            "round {round}: no IPv4 advert"
        );
        assert_eq!(rx4.recv_batch(&mut batch).unwrap(), 1);
        let meta = batch.get(0).unwrap().1.expect("IPv4 ancillary data");
        assert_eq!((meta.src, meta.ttl), (src4, 255));

        tx6.send_advert(
            &advert6,
            ChecksumForm::PseudoHeader,
            src6,
            &[IpAddr::V6(MULTICAST_V6)],
            &mut buf,
        )
        .unwrap();
        assert!(
            wait_readable(&mut poll6, RX),
            "round {round}: no IPv6 advert"
        );
        assert_eq!(rx6.recv_batch(&mut batch).unwrap(), 1);
        let meta = batch
            .get(0)
            .unwrap()
            .1
            .unwrap_or_else(|| panic!("round {round}: IPv6 ancillary data cut after IPv4"));
        assert_eq!(
            (meta.src, meta.dst, meta.ttl),
            (src6, IpAddr::V6(MULTICAST_V6), 255)
        );
    }
}
