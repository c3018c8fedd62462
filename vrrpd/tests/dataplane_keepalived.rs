//! keepalived 2.2.7 and vrrpd, differentially (issue 15): the same keepalived.conf runs on
//! a pair of nodes with two interfaces each (`tests/dataplane/mod.rs`), once under each
//! daemon, and each node's addresses, routes of every table and rules are snapshotted
//! after start, after the master stops, after it is back and after both stop. keepalived
//! is the reference: the test first checks that its run shows what the configuration asks
//! for (so the harness sees what it should), then that vrrpd's run is the same, phase by
//! phase, printing the differences.
//!
//! 1. `virtual_ipaddress` options (prefix, `brd`, `scope`, `label`, `dev` on the other
//!    interface, `-nodad`, `noprefixroute`, `preferred_lft`, IPv6) and
//!    `virtual_ipaddress_excluded` of both families (`dataplane/vips.conf`).
//! 2. `virtual_routes` and `virtual_rules` (`dataplane/routes.conf`).
//! 3. `static_ipaddress`, `static_routes`, `static_rules` (`dataplane/static.conf`).
//! 4. An instance without VIPs, an IPv6 VIP without `version 3` (`dataplane/novip.conf`).
//! 5. kill -9 of a master, then a restart: nothing of the old run stays.
//!
//! Needs root and keepalived (else SKIP). The tests run one at a time (each runs both
//! daemons at once, on two pairs of nodes).

mod dataplane;

use std::sync::Mutex;

use dataplane::{
    assert_same, both, can_run, standard_sequence, template, Expect, Node, MASTER_BACKUP,
};

/// One test at a time: four daemons with 1 s adverts are enough for a shared machine.
static SERIAL: Mutex<()> = Mutex::new(());

const ONE: Node = Node::One;
const TWO: Node = Node::Two;

/// 1. VIP options and excluded VIPs.
#[test]
fn vip_options_and_excluded_vips_match_keepalived() {
    let test = "vip_options_and_excluded_vips_match_keepalived";
    if !can_run(test) {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let conf = template("vips.conf");
    let (k, v) = both(
        "dpv",
        &conf,
        MASTER_BACKUP,
        &["VI_1", "VI_6"],
        standard_sequence,
    );
    // keepalived sets IFA_F_NODAD on IPv6 VIPs unless `-nodad` is given (its `-nodad`
    // means "do DAD"), and preferred_lft 0 (deprecated) on /128s unless told otherwise.
    let expect = [
        &["addr eth0 inet 192.0.2.100/24 "][..],
        &["addr eth0 inet 192.0.2.101/32 broadcast=192.0.2.255 label=eth0:vip1 "],
        &["addr eth0 inet 192.0.2.102/24 broadcast=192.0.2.255 "],
        &["addr eth0 inet 192.0.2.103/32 ", "scope=link"],
        &["addr eth1 inet 198.51.100.100/25 label=eth1:vip "],
        &["addr eth1 inet 198.51.100.101/25 ", "noprefixroute"],
        &["addr eth0 inet 192.0.2.110/24 ", "label=eth0:ex"],
        &["addr eth1 inet 198.51.100.110/32 ", "scope=host"],
        &["addr eth0 inet6 2001:db8::110/64 preferred_lft=forever"],
        &["addr eth1 inet6 2001:db8:1::110/64 nodad noprefixroute "],
        &["addr eth1 inet6 2001:db8:1::100/64 preferred_lft=forever"],
        &["addr eth1 inet6 2001:db8:1::101/128 deprecated nodad preferred_lft=0 "],
        &["addr eth1 inet6 2001:db8:1::102/128 nodad preferred_lft=forever "],
        &["addr eth0 inet6 2001:db8::101/64 nodad noprefixroute "],
    ]
    .into_iter()
    .flat_map(with_mastership)
    .collect::<Vec<_>>();
    assert_same(test, &k, &v, &expect);
}

/// `words` on node1 after start, on node2 after the master stops, on node1 after it is
/// back, and nowhere else (phases of [`standard_sequence`]).
fn with_mastership<'a>(words: &'a [&'a str]) -> Vec<Expect<'a>> {
    let mut e = Vec::new();
    for (phase, master) in [(0, Some(ONE)), (1, Some(TWO)), (2, Some(ONE)), (3, None)] {
        for n in Node::BOTH {
            e.push((phase, n, words, master == Some(n)));
        }
    }
    e
}
