//! Small value types that carry their unit or range in the type.

use core::fmt;
use core::time::Duration;

/// VRRP protocol version on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// VRRPv2, RFC 3768: IPv4 only, interval in seconds, optional simple authentication.
    V2,
    /// VRRPv3, RFC 9568: IPv4 and IPv6, interval in centiseconds, no authentication.
    V3,
}

impl Version {
    /// The 4-bit value in the version field.
    pub const fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// Address family of a virtual router and of its adverts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4: 4-byte addresses.
    V4,
    /// IPv6: 16-byte addresses.
    V6,
}

impl Family {
    /// Bytes per address in the advert's address list.
    pub const fn addr_len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }
}

/// VRRP message type (4 bits). Only `Advertisement` (1) is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Type 1, the only type RFC 3768 / RFC 9568 define.
    Advertisement,
}

/// Virtual Router Identifier, 1..=255 (0 is invalid on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vrid(u8);

impl Vrid {
    /// `None` for 0, which no virtual router may use.
    pub const fn new(v: u8) -> Option<Vrid> {
        if v == 0 {
            None
        } else {
            Some(Vrid(v))
        }
    }
    /// The raw value, 1..=255.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Vrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Router priority. 255 = address owner, 0 = master is leaving (RFC 9568 §5.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(pub u8);

impl Priority {
    /// Priority 0: "stop participating", triggers a fast takeover.
    pub const SHUTDOWN: Priority = Priority(0);
    /// Priority 255: the router owns the virtual addresses.
    pub const OWNER: Priority = Priority(255);
    /// Default backup priority, 100.
    pub const DEFAULT: Priority = Priority(100);
}

/// A VRRPv2 advertisement interval, whole seconds (8 bits, RFC 3768 §5.3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seconds(pub u8);

impl Seconds {
    /// As a duration.
    pub const fn as_duration(self) -> Duration {
        Duration::from_secs(self.0 as u64)
    }
}

/// A VRRPv3 advertisement interval in centiseconds: 12 bits, 0..=4095 (RFC 9568 §5.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Centiseconds(u16);

impl Centiseconds {
    /// Largest value the 12-bit field holds, 40.95 s.
    pub const MAX: Centiseconds = Centiseconds(0x0fff);

    /// `None` if `cs` does not fit in 12 bits.
    pub const fn new(cs: u16) -> Option<Centiseconds> {
        if cs > 0x0fff {
            None
        } else {
            Some(Centiseconds(cs))
        }
    }
    /// The raw count of centiseconds.
    pub const fn get(self) -> u16 {
        self.0
    }
    /// As a duration.
    pub const fn as_duration(self) -> Duration {
        Duration::from_millis(self.0 as u64 * 10)
    }
}
