//! rtnetlink: VIPs added, listed (by us and by `ip`), removed; link lookups; link monitor.
mod common;

use std::net::IpAddr;

use common::*;
use mio::{Interest, Poll, Token};
use vrrp_net::AddressScope;
use vrrp_net::{LinkEvent, LinkMonitor, NetError, Netlink, Vip};
use vrrp_proto::Family;

#[test]
fn vip_add_list_remove_v4_with_label_and_v6_nodad() {
    let Some(lab) = lab("vip") else { return };
    in_ns(&lab.a, || {
        let mut nl = Netlink::open().unwrap();
        let idx = nl.link_by_name(A_IF).unwrap().ifindex;
        let v4 = Vip {
            label: Some(format!("{A_IF}:vip")),
            ..Vip::host("192.0.2.100".parse().unwrap())
        };
        let v6 = Vip::host("2001:db8::100".parse().unwrap());
        nl.add_address(idx, &v4).unwrap();
        nl.add_address(idx, &v6).unwrap();

        let listed = nl.list_addresses(idx).unwrap();
        let e4 = listed
            .iter()
            .find(|e| e.addr == v4.addr)
            .expect("v4 VIP listed");
        assert_eq!(e4.prefix_len, 32);
        assert_eq!(e4.label.as_deref(), Some("veth0:vip"));
        assert_eq!(e4.scope, AddressScope::Universe);
        let e6 = listed
            .iter()
            .find(|e| e.addr == v6.addr)
            .expect("v6 VIP listed");
        assert_eq!(e6.prefix_len, 128);
        assert!(e6.nodad, "IPv6 VIP carries IFA_F_NODAD");

        let shown = ip(&["-o", "addr", "show", "dev", A_IF]);
        assert!(shown.contains("inet 192.0.2.100/32"), "{shown}");
        assert!(shown.contains("veth0:vip"), "{shown}");
        assert!(shown.contains("inet6 2001:db8::100/128"), "{shown}");
        assert!(shown.contains("nodad"), "{shown}");
        // ip -o addr: the v6 VIP is not tentative, i.e. usable at once.
        let v6_line = shown
            .lines()
            .find(|l| l.contains("2001:db8::100/128"))
            .unwrap();
        assert!(!v6_line.contains("tentative"), "{v6_line}");

        assert!(matches!(
            nl.add_address(idx, &v4),
            Err(NetError::AddressExists { ifindex, .. }) if ifindex == idx
        ));

        nl.del_address(idx, &v4).unwrap();
        nl.del_address(idx, &v6).unwrap();
        let listed = nl.list_addresses(idx).unwrap();
        assert!(!listed
            .iter()
            .any(|e| e.addr == v4.addr || e.addr == v6.addr));
        let shown = ip(&["-o", "addr", "show", "dev", A_IF]);
        assert!(
            !shown.contains("192.0.2.100") && !shown.contains("2001:db8::100"),
            "{shown}"
        );
        // The interface's own addresses are untouched.
        assert!(shown.contains("inet 192.0.2.1/24"), "{shown}");

        // Documented behaviour: removal is not idempotent, a missing VIP is a typed error.
        for vip in [&v4, &v6] {
            match nl.del_address(idx, vip) {
                Err(NetError::AddressMissing { addr, ifindex }) => {
                    assert_eq!((addr, ifindex), (vip.addr, idx))
                }
                other => panic!("removing a missing {}: {other:?}", vip.addr),
            }
        }
    });
}

#[test]
fn link_lookups_name_index_mac_primary_address() {
    let Some(lab) = lab("lnk") else { return };
    in_ns(&lab.a, || {
        let mut nl = Netlink::open().unwrap();
        let by_name = nl.link_by_name(A_IF).unwrap();
        let by_index = nl.link_by_index(by_name.ifindex).unwrap();
        assert_eq!(by_name, by_index);
        assert!(by_name.up);
        let shown = ip(&["-o", "link", "show", "dev", A_IF]);
        let mac: Vec<String> = by_name.mac.iter().map(|b| format!("{b:02x}")).collect();
        assert!(
            shown.contains(&format!("link/ether {}", mac.join(":"))),
            "{shown}"
        );
        assert!(
            shown.starts_with(&format!("{}: ", by_name.ifindex)),
            "{shown}"
        );
        assert!(matches!(
            nl.link_by_name("nosuch0"),
            Err(NetError::NoInterface(_))
        ));
        assert!(matches!(
            nl.link_by_name("a-name-longer-than-ifnamsiz"),
            Err(NetError::NoInterface(_))
        ));
        assert!(matches!(
            nl.link_by_index(by_name.ifindex + 1000),
            Err(NetError::NoInterface(_))
        ));
        // Lookups answer for that link only, whatever else the namespace holds.
        assert_eq!(nl.link_by_name("lo").unwrap().ifindex, 1);

        // A secondary in the same subnet does not become the primary.
        ip(&["addr", "add", "192.0.2.50/24", "dev", A_IF]);
        let p4 = nl.primary_address(by_name.ifindex, Family::V4).unwrap();
        assert_eq!(p4, Some(A_V4.parse().unwrap()));
        let Some(IpAddr::V6(p6)) = nl.primary_address(by_name.ifindex, Family::V6).unwrap() else {
            panic!("no IPv6 link-local address")
        };
        assert_eq!(p6.segments()[0], 0xfe80, "{p6}");
        assert!(ip(&["-o", "-6", "addr", "show", "dev", A_IF]).contains(&p6.to_string()));
    });
}

#[test]
fn link_monitor_reports_down_then_up() {
    let Some(lab) = lab("mon") else { return };
    in_ns(&lab.a, || {
        const LINK: Token = Token(7);
        let mut nl = Netlink::open().unwrap();
        let mut mon = LinkMonitor::open().unwrap();
        for l in nl.links().unwrap() {
            mon.seed(&l);
        }
        let idx = nl.link_by_name(A_IF).unwrap().ifindex;
        let mut poll = Poll::new().unwrap();
        poll.registry()
            .register(&mut mon, LINK, Interest::READABLE)
            .unwrap();

        let mut wait_for = |want: LinkEvent| {
            let mut events = Vec::new();
            loop {
                mon.read_events(&mut events).unwrap();
                if events.contains(&want) {
                    return events;
                }
                assert!(
                    wait_readable(&mut poll, LINK),
                    "no {want:?} within {WAIT:?}: {events:?}"
                );
            }
        };
        ip(&["link", "set", A_IF, "down"]);
        let seen = wait_for(LinkEvent::LinkDown(idx));
        assert!(!seen.contains(&LinkEvent::LinkUp(idx)), "{seen:?}");
        ip(&["link", "set", A_IF, "up"]);
        wait_for(LinkEvent::LinkUp(idx));
    });
}

#[test]
fn vmac_macvlan_created_up_and_deleted() {
    let Some(lab) = lab("vmac") else { return };
    in_ns(&lab.a, || {
        let mut nl = Netlink::open().unwrap();
        let parent = nl.link_by_name(A_IF).unwrap().ifindex;
        let vmac = vrrp_proto::virtual_mac(Family::V4, vrrp_proto::Vrid::new(51).unwrap());
        let link = nl.add_vmac(parent, "vrrp.51", vmac).unwrap();
        assert_eq!(link.mac, vmac.to_vec());
        assert!(!link.up);
        nl.set_link_up(link.ifindex, true).unwrap();
        let shown = ip(&["-d", "-o", "link", "show", "dev", "vrrp.51"]);
        assert!(shown.contains("vrrp.51@veth0"), "{shown}");
        assert!(shown.contains("macvlan mode private"), "{shown}");
        assert!(shown.contains("link/ether 00:00:5e:00:01:33"), "{shown}");
        assert!(
            shown.contains("<BROADCAST,MULTICAST,UP,LOWER_UP>"),
            "{shown}"
        );
        assert!(
            nl.add_vmac(parent, "vrrp.51", vmac).is_err(),
            "EXCL: exists already"
        );
        nl.del_link(link.ifindex).unwrap();
        assert!(matches!(
            nl.link_by_name("vrrp.51"),
            Err(NetError::NoInterface(_))
        ));
    });
}
