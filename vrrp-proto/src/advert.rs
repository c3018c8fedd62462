//! [`Advertisement`]: the owned representation of a VRRP advert, parse and emit.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::{
    Auth, Centiseconds, ChecksumForm, ChecksumPolicy, EmitError, Error, Family, Priority,
    Seconds, Version, Vrid, VrrpPacket,
};

/// The version-specific fields. Invalid combinations (a v3 advert with a password, a v2
/// advert with a centisecond interval) cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionFields {
    /// VRRPv2 (RFC 3768): interval in seconds, authentication.
    V2 {
        /// Advertisement interval.
        interval: Seconds,
        /// Authentication type and data.
        auth: Auth,
    },
    /// VRRPv3 (RFC 9568): interval in centiseconds.
    V3 {
        /// Max Adver Int.
        interval: Centiseconds,
    },
}

/// The virtual-address list: either the wire bytes of a parsed advert (zero-copy) or a
/// caller's slice of addresses to emit. Compare with `==` by value, whatever the storage.
#[derive(Debug, Clone, Copy)]
pub enum Addresses<'a> {
    /// Raw list from a received packet: `family.addr_len()` bytes per address.
    Wire {
        /// Family of the addresses.
        family: Family,
        /// The bytes, a whole number of addresses.
        bytes: &'a [u8],
    },
    /// IPv4 addresses to emit.
    V4(&'a [Ipv4Addr]),
    /// IPv6 addresses to emit.
    V6(&'a [Ipv6Addr]),
}

/// Iterator over an [`Addresses`] list.
#[derive(Debug, Clone)]
pub struct AddressesIter<'a> {
    list: Addresses<'a>,
    index: usize,
}

/// A VRRP advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advertisement<'a> {
    /// Virtual router identifier.
    pub vrid: Vrid,
    /// Sender's priority.
    pub priority: Priority,
    /// Version, interval and (v2) authentication.
    pub fields: VersionFields,
    /// The virtual addresses.
    pub addresses: Addresses<'a>,
}

/// The result of [`decode`]: an advert, and the checksum form that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The advert.
    pub advert: Advertisement<'a>,
    /// Which checksum form the packet carried.
    pub checksum_form: ChecksumForm,
}

/// Check and parse a received VRRP message whose IP layer has been validated
/// ([`crate::ip`]): length, version, type, VRID, count vs length, checksum per `policy`
/// (using `src`/`dst` for the pseudo-header), v2 auth type.
///
/// Authentication *data* is not compared here: the expected password is configuration,
/// see [`Advertisement::check_auth`].
pub fn decode<'a>(
    _payload: &'a [u8],
    _src: IpAddr,
    _dst: IpAddr,
    _policy: ChecksumPolicy,
) -> Result<Decoded<'a>, Error> {
    todo!()
}

impl<'a> Advertisement<'a> {
    /// Protocol version.
    pub fn version(&self) -> Version {
        match self.fields {
            VersionFields::V2 { .. } => Version::V2,
            VersionFields::V3 { .. } => Version::V3,
        }
    }

    /// Read the fields of a checked view. Does not verify the checksum.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        _packet: &'a VrrpPacket<T>,
        _family: Family,
    ) -> Result<Advertisement<'a>, Error> {
        todo!()
    }

    /// Bytes [`Advertisement::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        todo!()
    }

    /// Write the advert, checksum included, into `buf`; returns the bytes written.
    /// `src`/`dst` are the IP addresses it will be sent with (for the v3 pseudo-header);
    /// `form` chooses the v3/IPv4 checksum form (ignored where the form is fixed).
    pub fn emit(
        &self,
        _buf: &mut [u8],
        _src: IpAddr,
        _dst: IpAddr,
        _form: ChecksumForm,
    ) -> Result<usize, EmitError> {
        todo!()
    }

    /// Compare v2 authentication with the configured one (RFC 2338 §7.1 / keepalived).
    pub fn check_auth(&self, _expected: &Auth) -> Result<(), Error> {
        todo!()
    }
}

impl<'a> Addresses<'a> {
    /// Address family.
    pub fn family(&self) -> Family {
        match self {
            Addresses::Wire { family, .. } => *family,
            Addresses::V4(_) => Family::V4,
            Addresses::V6(_) => Family::V6,
        }
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        match self {
            Addresses::Wire { family, bytes } => bytes.len() / family.addr_len(),
            Addresses::V4(a) => a.len(),
            Addresses::V6(a) => a.len(),
        }
    }

    /// True if the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The address at `index`, if any.
    pub fn get(&self, index: usize) -> Option<IpAddr> {
        match self {
            Addresses::Wire { family, bytes } => {
                let n = family.addr_len();
                let chunk = bytes.get(index * n..(index + 1) * n)?;
                Some(match family {
                    Family::V4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(chunk).ok()?)),
                    Family::V6 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(chunk).ok()?)),
                })
            }
            Addresses::V4(a) => a.get(index).copied().map(IpAddr::V4),
            Addresses::V6(a) => a.get(index).copied().map(IpAddr::V6),
        }
    }

    /// Iterate over the addresses, in wire order.
    pub fn iter(&self) -> AddressesIter<'a> {
        AddressesIter {
            list: *self,
            index: 0,
        }
    }
}

impl Iterator for AddressesIter<'_> {
    type Item = IpAddr;
    fn next(&mut self) -> Option<IpAddr> {
        let a = self.list.get(self.index)?;
        self.index += 1;
        Some(a)
    }
}

impl PartialEq for Addresses<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.family() == other.family()
            && self.len() == other.len()
            && self.iter().eq(other.iter())
    }
}

impl Eq for Addresses<'_> {}
