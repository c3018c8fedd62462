//! keepalived `vrrp_startup_delay` (`Router::hold_startup_until`): a held router enters
//! Backup at startup, as keepalived does, but its Master_Down_Timer counts from the end of
//! the hold (`vrrp_init_instance_sands`); an owner, silent meanwhile, takes over when the
//! hold ends. Adverts
//! heard during the hold keep it Backup as usual; once past, nothing is held.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use vrrp_fsm::{Config, Instant, Router, State, Vips};
use vrrp_proto::{Priority, Vrid};

fn router(priority: u8) -> Router {
    let me = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let vip = Ipv4Addr::new(192, 0, 2, 10);
    let cfg = Config::builder(Vrid::new(51).unwrap(), me, Vips::V4(vec![vip]))
        .priority(Priority(priority))
        .build()
        .unwrap();
    Router::new(cfg, Instant::ZERO)
}

fn at(secs: f64) -> Instant {
    Instant::ZERO + Duration::from_secs_f64(secs)
}

/// Run the router's timers up to `until`; the time it became Master, if it did.
fn run_until(r: &mut Router, until: Instant) -> Option<Instant> {
    while let Some(t) = r.poll_timeout().filter(|&t| t <= until) {
        r.handle_timeout(t);
        while r.poll_output().is_some() {}
        if r.state() == State::Master {
            return Some(t);
        }
    }
    None
}

#[test]
fn held_backup_takes_over_a_master_down_interval_after_the_hold() {
    let mut r = router(150);
    let down = r.master_down_interval();
    r.hold_startup_until(at(5.0));
    r.handle_startup(Instant::ZERO);
    assert_eq!(r.state(), State::Backup, "Backup at once, as keepalived");
    let became = run_until(&mut r, at(60.0)).expect("master");
    assert_eq!(became, at(5.0) + down);

    // Unheld, the same router takes over after Master_Down_Interval.
    let mut r = router(150);
    r.handle_startup(Instant::ZERO);
    assert_eq!(run_until(&mut r, at(60.0)), Some(Instant::ZERO + down));
}

#[test]
fn held_owner_waits_in_backup_for_the_end_of_the_hold() {
    let mut r = router(255);
    r.hold_startup_until(at(2.5));
    r.handle_startup(Instant::ZERO);
    // keepalived announces no state for it meanwhile (a silent Backup).
    assert_eq!(r.state(), State::Initialize);
    assert!(r.poll_output().is_none());
    assert_eq!(run_until(&mut r, at(60.0)), Some(at(2.5)));

    // Stopped while held: it never starts.
    let mut r = router(255);
    r.hold_startup_until(at(2.5));
    r.handle_startup(Instant::ZERO);
    r.handle_shutdown(at(1.0));
    assert_eq!(r.poll_timeout(), None);

    // Drained while held: it still starts when the hold ends, as a drained Backup.
    let mut r = router(255);
    r.hold_startup_until(at(2.5));
    r.handle_startup(Instant::ZERO);
    r.handle_drain(at(1.0), true);
    assert_eq!(run_until(&mut r, at(60.0)), None);
    assert_eq!(r.state(), State::Backup);
    r.handle_drain(at(70.0), false);
    assert!(run_until(&mut r, at(80.0)).is_some());

    // A hold already past does nothing: the owner is Master at once.
    let mut r = router(255);
    r.hold_startup_until(at(1.0));
    r.handle_startup(at(1.0));
    assert_eq!(r.state(), State::Master);
}

#[test]
fn a_timer_armed_after_the_hold_is_not_held() {
    let mut r = router(150);
    let down = r.master_down_interval();
    r.hold_startup_until(at(1.0));
    // Link down before the start, up after the hold: Fault, then Backup from then.
    r.handle_link(Instant::ZERO, false);
    r.handle_startup(Instant::ZERO);
    assert_eq!(r.state(), State::Fault);
    r.handle_link(at(10.0), true);
    assert_eq!(r.state(), State::Backup);
    assert_eq!(run_until(&mut r, at(60.0)), Some(at(10.0) + down));
}
