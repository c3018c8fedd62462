//! `Event::PriorityChanged`: a tracked object's weight that changes the effective priority
//! is reported once, with the old and new priority (keepalived writes it to its notify
//! FIFOs with `notify_priority_changes`), in any state; a change that leaves the priority
//! as it was (an owner, a weightless track) is not.

mod common;

use common::*;
use vrrp_fsm::{Event, Output, State, Track};
use vrrp_proto::Priority;

fn changes(out: &[Output]) -> Vec<(u8, u8)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::PriorityChanged { old, new }) => Some((old.0, new.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn weights_report_each_change_once_in_any_state() {
    let cfg = base(1, 100)
        .track(Track::new(-20))
        .track(Track::new(10))
        .build()
        .unwrap();
    let mut r = started(cfg, at(0));
    drain(&mut r);
    assert_eq!(r.state(), State::Backup);
    r.handle_track(at(1), 0, false);
    assert_eq!(changes(&drain(&mut r)), [(110, 90)], "a Backup reports it");
    r.handle_track(at(2), 0, false);
    assert_eq!(changes(&drain(&mut r)), [], "no change, no event");
    r.handle_track(at(3), 1, false);
    assert_eq!(changes(&drain(&mut r)), [(90, 80)]);
    r.handle_track(at(4), 0, true);
    r.handle_track(at(5), 1, true);
    assert_eq!(changes(&drain(&mut r)), [(80, 100), (100, 110)]);
    assert_eq!(r.priority(), Priority(110));
}

#[test]
fn an_owner_and_a_weightless_track_report_none() {
    let mut owner = started(base(1, 255).track(Track::new(-50)).build().unwrap(), at(0));
    drain(&mut owner);
    owner.handle_track(at(1), 0, false);
    assert_eq!(changes(&drain(&mut owner)), []);
    let mut b = started(base(1, 100).track(Track::new(0)).build().unwrap(), at(0));
    drain(&mut b);
    b.handle_track(at(1), 0, false);
    let out = drain(&mut b);
    assert_eq!(b.state(), State::Fault);
    assert_eq!(changes(&out), [], "FAULT is not a priority change");
}
