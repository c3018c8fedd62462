//! Sans-IO VRRP wire codec: VRRPv2 ([RFC 3768]) and VRRPv3 ([RFC 9568]), IPv4 and IPv6.
//!
//! No I/O, no clock, no allocation. Two layers, in the style of smoltcp's `wire` module:
//!
//! * [`VrrpPacket`] — a zero-copy view over a byte slice, length-checked once by
//!   [`VrrpPacket::new_checked`]; after that no accessor panics.
//! * [`Advertisement`] — the owned representation of the fixed fields, borrowing the
//!   virtual-address list. [`Advertisement::parse`] reads it from a view;
//!   [`Advertisement::emit`] writes it into a caller-provided buffer.
//!
//! Receiving a packet from the network goes through [`ip`], which validates the IP layer
//! (TTL / hop limit 255, protocol 112, lengths), then [`decode`] checks everything else.
//! Every reason to drop a packet is its own [`Error`] variant, and [`Error::counter`] names
//! the RFC 6527 / RFC 8347 statistic it increments.
//!
//! ```
//! use core::net::{IpAddr, Ipv4Addr};
//! use vrrp_proto::{
//!     decode, Addresses, Advertisement, Centiseconds, ChecksumForm, ChecksumPolicy, Priority,
//!     VersionFields, Vrid, MULTICAST_V4,
//! };
//!
//! // What a VRRPv3 master sends every second for 192.0.2.10.
//! let vips = [Ipv4Addr::new(192, 0, 2, 10)];
//! let advert = Advertisement {
//!     vrid: Vrid::new(51).unwrap(),
//!     priority: Priority(150),
//!     fields: VersionFields::V3 { interval: Centiseconds::new(100).unwrap() },
//!     addresses: Addresses::V4(&vips),
//! };
//! let (src, dst) = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), IpAddr::V4(MULTICAST_V4));
//! let mut buf = [0u8; 64];
//! let n = advert.emit(&mut buf, src, dst, ChecksumForm::PseudoHeader).unwrap();
//!
//! // A receiver accepts either v3/IPv4 checksum form and says which one it saw.
//! let got = decode(&buf[..n], src, dst, ChecksumPolicy::Either).unwrap();
//! assert_eq!(got.advert, advert);
//! assert_eq!(got.checksum_form, ChecksumForm::PseudoHeader);
//!
//! // Every drop reason names its counter.
//! buf[1] = 0; // VRID 0 ...
//! let err = decode(&buf[..n], src, dst, ChecksumPolicy::Either).unwrap_err();
//! assert_eq!(err, vrrp_proto::Error::Checksum); // ... fails the checksum first (RFC 9568 §7.1 order)
//! assert_eq!(err.counter(), vrrp_proto::Counter::Global(vrrp_proto::GlobalCounter::ChecksumErrors));
//! ```
//!
//! [RFC 3768]: https://www.rfc-editor.org/rfc/rfc3768
//! [RFC 9568]: https://www.rfc-editor.org/rfc/rfc9568
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

mod advert;
mod announce;
mod auth;
mod checksum;
mod error;
mod field;
pub mod ip;
mod packet;
mod types;

pub use advert::{decode, Addresses, AddressesIter, Advertisement, Decoded, VersionFields};
pub use announce::{gratuitous_arp, unsolicited_na, virtual_mac, ARP_FRAME_LEN, NA_FRAME_LEN};
pub use auth::{Auth, AuthType};
pub use checksum::{verify_checksum, ChecksumForm, ChecksumPolicy};
pub use error::{Counter, EmitError, Error, GlobalCounter, RouterCounter};
pub use packet::VrrpPacket;
pub use types::{Centiseconds, Family, MessageType, Priority, Seconds, Version, Vrid};

/// IP protocol number assigned to VRRP (RFC 5798 §5.2.4 / RFC 9568 §5.1.1.3).
pub const IPPROTO_VRRP: u8 = 112;
/// IPv4 multicast group for VRRP adverts, 224.0.0.18 (RFC 9568 §5.1.1.2).
pub const MULTICAST_V4: core::net::Ipv4Addr = core::net::Ipv4Addr::new(224, 0, 0, 18);
/// IPv6 multicast group for VRRP adverts, ff02::12 (RFC 9568 §5.1.2.2).
pub const MULTICAST_V6: core::net::Ipv6Addr =
    core::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// TTL / hop limit every VRRP packet is sent with and must arrive with (RFC 9568 §5.1.1.3).
pub const REQUIRED_TTL: u8 = 255;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
