//! Who should be master: the comparison rules of RFC 3768 / RFC 9568 and keepalived's
//! effective priority. Pure functions, one rule each.

use core::net::IpAddr;
use vrrp_proto::Priority;

/// RFC 9568 §6.4.3 (RFC 3768 §6.4.3): an advert beats the local master if its priority is
/// higher, or equal with a primary (source) address greater than the local one.
pub fn advert_beats_local(adv: Priority, src: IpAddr, local: Priority, local_addr: IpAddr) -> bool {
    adv > local || (adv == local && src > local_addr)
}

/// RFC 9568 §6.4.2: a Backup resets its Master_Down_Timer (accepts the sender as master)
/// if Preempt_Mode is False or the advert's priority is >= the local one.
pub fn backup_accepts(preempt: bool, adv: Priority, local: Priority) -> bool {
    !preempt || adv >= local
}

/// keepalived `track_script` / `track_interface` weights: effective priority is the base
/// plus the weights in force, clamped to 1..=254; the address owner (255) is never changed.
pub fn effective_priority(base: Priority, weight_sum: i32) -> Priority {
    if base == Priority::OWNER {
        return base;
    }
    let p = (i32::from(base.0) + weight_sum).clamp(1, 254);
    Priority(p as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn a(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    }

    #[test]
    fn equal_priority_tie_goes_to_higher_address() {
        assert!(advert_beats_local(Priority(100), a(2), Priority(100), a(1)));
        assert!(!advert_beats_local(
            Priority(100),
            a(1),
            Priority(100),
            a(2)
        ));
        assert!(!advert_beats_local(Priority(99), a(9), Priority(100), a(1)));
    }

    #[test]
    fn effective_priority_clamps_and_spares_owner() {
        assert_eq!(effective_priority(Priority(100), -200), Priority(1));
        assert_eq!(effective_priority(Priority(200), 100), Priority(254));
        assert_eq!(effective_priority(Priority(255), -50), Priority(255));
    }
}
