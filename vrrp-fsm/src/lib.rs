//! Pure, deterministic VRRP state machine: RFC 3768 (v2), RFC 9568 (v3) and the keepalived
//! extensions people rely on (`nopreempt`, `preempt_delay`, `state MASTER`, FAULT, tracked
//! weights, GARP timers, sync groups).
//!
//! Time is an input and outputs are values: nothing here reads a clock, a socket or a random
//! source. Two levels, in the style of quinn-proto and str0m:
//!
//! * [`Endpoint`]: many virtual routers behind one sans-IO interface. Raw datagrams in
//!   ([`Endpoint::handle_datagram`]: IP checks, decode, demux by (interface, family, VRID),
//!   unicast peer filter, counters), link and tracking changes in, the clock in
//!   ([`Endpoint::handle_timeout`]); encoded adverts ([`Endpoint::poll_transmit`]), events
//!   ([`Endpoint::poll_event`]: state changes, VIPs to add or remove, GARP/NA, dual master,
//!   master changed) and the next deadline ([`Endpoint::poll_timeout`]) out. Sync groups and
//!   the timer heap live inside. This is what an I/O driver (vrrp-net's mio runner, a tokio
//!   task, the simulator in [`sim`]) holds; `examples/two_endpoints.rs` runs two of them on
//!   an in-memory LAN.
//! * [`Router`]: one virtual router, the per-router machine inside the endpoint. Each
//!   `handle_*` takes `now`; drain [`Router::poll_output`] after it, and call
//!   [`Router::handle_timeout`] when [`Router::poll_timeout`] is reached.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use std::time::Duration;
//! use vrrp_fsm::{Config, Instant, Output, Router, State, Vips};
//! use vrrp_proto::{Priority, Vrid};
//!
//! let vip = Ipv4Addr::new(192, 0, 2, 10);
//! let me = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
//! let cfg = Config::builder(Vrid::new(51).unwrap(), me, Vips::V4(vec![vip]))
//!     .priority(Priority(150))
//!     .build()
//!     .unwrap();
//! let mut now = Instant::ZERO;
//! let mut router = Router::new(cfg, now);
//! router.handle_startup(now);
//!
//! // The I/O loop: sleep until poll_timeout (or a packet), feed the event, drain outputs.
//! let mut sent = 0;
//! while now < Instant::ZERO + Duration::from_secs(10) {
//!     now = router.poll_timeout().unwrap();
//!     router.handle_timeout(now);
//!     while let Some(out) = router.poll_output() {
//!         match out {
//!             Output::SendAdvert { priority } => {
//!                 let advert = router.advert(priority); // built from current state
//!                 assert_eq!(advert.priority, Priority(150));
//!                 sent += 1;
//!             }
//!             Output::AddVip(a) => assert_eq!(a, IpAddr::V4(vip)),
//!             _ => {}
//!         }
//!     }
//! }
//! // Nobody else on the segment: Master after Master_Down_Interval (3 s + skew),
//! // then one advert a second.
//! assert_eq!(router.state(), State::Master);
//! assert!(sent >= 6);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod counter_table;
pub mod counters;
pub mod demux;
pub mod election;
pub mod endpoint;
pub mod ids;
pub mod output;
pub mod router;
pub mod sim;
pub mod slots;
pub mod sync_group;
pub mod time;
pub mod timer_heap;
pub mod timers;
pub mod track;

pub use config::{
    check_garp_repeat, check_priority, Config, ConfigBuilder, ConfigError, InitialState, Track,
    UnicastChecksum, Vips, MAX_GARP_REPEAT, MAX_PREEMPT_DELAY, MAX_WEIGHT,
};
pub use counter_table::{CounterInfo, CounterTable};
pub use counters::{GlobalCounters, RouterCounters};
pub use demux::{Demux, DemuxKey, PeerFilter};
pub use endpoint::{
    advert_slack, Datagram, Endpoint, EndpointError, EndpointEvent, EndpointStats, EventKind,
    InstanceSpec, Transmit,
};
pub use ids::{InstanceId, InterfaceId};
pub use output::{Event, Output, Reason, State};
pub use router::{Discard, Router};
pub use slots::{Slab, Slot, SlotAlloc};
pub use sync_group::{RouterSet, SyncGroup};
pub use time::Instant;
pub use timer_heap::{TimerId, Timers};
pub use track::{Contribution, TrackStatus};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
