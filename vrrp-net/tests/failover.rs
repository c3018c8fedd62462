//! Two `vrrp-one` processes (vrrp-net + vrrp-fsm) on a bridged LAN of network namespaces:
//! the higher priority becomes master and holds the VIP; its link goes down and the other
//! takes the VIP over; the link comes back and the VIP is preempted back; SIGTERM releases it.
//! Assertions look at the addresses the kernel has configured in each namespace.

mod lan;

use std::thread::sleep;
use std::time::Duration;

use lan::{has_addr, ip, is_root, wait_for, LanExt};

/// A /24 VIP (keepalived `192.0.2.100/24`): adding and removing it must use the configured
/// prefix, or the kernel keeps it.
const VIP: &str = "192.0.2.100/24";

#[test]
fn two_routers_elect_fail_over_on_link_loss_and_preempt_back() {
    if !is_root() {
        eprintln!("SKIP two_routers_elect_fail_over_on_link_loss_and_preempt_back: needs root");
        return;
    }
    let mut lan = lan::new("fo");
    let (a, b) = (lan.a.name().to_owned(), lan.b.name().to_owned());
    let limit = Duration::from_secs(10);
    let args = |prio| {
        [
            "--priority",
            prio,
            "--vip",
            "192.0.2.100/24",
            "--advert-cs",
            "20",
        ]
    };
    // A crashed earlier run left the VIP on the node that will be backup.
    ip(&["-n", &b, "addr", "add", VIP, "dev", "b0"]);
    assert!(has_addr(&b, "b0", VIP));
    let ra = lan.start_vrrp_one(&a, "a0", &args("150"));
    let rb = lan.start_vrrp_one(&b, "b0", &args("100"));

    wait_for(limit, "VIP on the priority-150 router", || {
        has_addr(&a, "a0", VIP)
    });
    // Both start at once: whichever process started first may be master for a moment
    // (RFC 9568 §6.4.2: a Backup that hears nobody takes over). Then the higher priority
    // wins and the VIP stays on one node only, for many advert intervals.
    wait_for(limit, "VIP released by priority 100", || {
        !has_addr(&b, "b0", VIP)
    });
    for _ in 0..40 {
        assert!(!has_addr(&b, "b0", VIP), "VIP on both nodes");
        sleep(Duration::from_millis(20));
    }

    ip(&["-n", &a, "link", "set", "a0", "down"]);
    wait_for(limit, "VIP moved to the backup after link loss", || {
        has_addr(&b, "b0", VIP)
    });
    wait_for(limit, "VIP released by the faulted router", || {
        !has_addr(&a, "a0", VIP)
    });

    ip(&["-n", &a, "link", "set", "a0", "up"]);
    wait_for(limit, "VIP preempted back by priority 150", || {
        has_addr(&a, "a0", VIP)
    });
    wait_for(limit, "VIP released by priority 100", || {
        !has_addr(&b, "b0", VIP)
    });

    // SIGTERM: both exit 0 and release the VIP; the logs say what keepalived's would.
    assert!(lan.stop(ra) && lan.stop(rb));
    assert!(!has_addr(&a, "a0", VIP) && !has_addr(&b, "b0", VIP));
    let log_a = lan.log("vrrp-one-a0.log");
    assert!(log_a.contains("(a0) Entering MASTER STATE"), "{log_a}");
    assert!(log_a.contains("(a0) Entering FAULT STATE"), "{log_a}");
    let log_b = lan.log("vrrp-one-b0.log");
    assert!(
        log_b.contains("removed 192.0.2.100, left behind by an earlier run"),
        "{log_b}"
    );
}
