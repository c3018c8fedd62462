//! [`Advertisement`]: the owned representation of a VRRP advert, parse and emit.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::{
    auth, checksum, field, packet, Auth, Centiseconds, ChecksumForm, ChecksumPolicy, EmitError,
    Error, Family, Priority, Seconds, Version, Vrid, VrrpPacket,
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
/// ([`crate::ip`]): length, version, checksum per `policy` (using `src`/`dst` for the
/// pseudo-header), type, VRID, count, interval, v2 auth type — in the order of RFC 9568
/// §7.1 where it gives one (version, complete packet, checksum, VRID, count).
///
/// Authentication *data* is not compared here: the expected password is configuration,
/// see [`Advertisement::check_auth`].
pub fn decode<'a>(
    payload: &'a [u8],
    src: IpAddr,
    dst: IpAddr,
    policy: ChecksumPolicy,
) -> Result<Decoded<'a>, Error> {
    let packet = VrrpPacket::new_checked(payload)?;
    let family = family_of(src);
    let version = version_of(&packet, family)?;
    check_length(&packet, family)?;
    let checksum_form = verify_checksum(payload, version, src, dst, policy)?;
    let advert = parse_fields(payload, version, family)?;
    Ok(Decoded {
        advert,
        checksum_form,
    })
}

fn family_of(addr: IpAddr) -> Family {
    match addr {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}

/// RFC 9568 §7.1: "MUST verify that the VRRP version ..."; RFC 3768 §5.1: v2 is IPv4 only.
fn version_of<T: AsRef<[u8]>>(packet: &VrrpPacket<T>, family: Family) -> Result<Version, Error> {
    match (packet.version(), family) {
        (2, Family::V4) => Ok(Version::V2),
        (2, Family::V6) => Err(Error::V2OverIpv6),
        (3, _) => Ok(Version::V3),
        (v, _) => Err(Error::Version(v)),
    }
}

/// The forms to try for `version` over the family of `src`, under `policy`:
/// RFC 3768 §5.3.8 v2 is message-only; RFC 9568 §5.2.8 v3/IPv6 always has the
/// pseudo-header; v3/IPv4 is any of the forms seen in the field, as configured.
fn forms(version: Version, src: IpAddr, policy: ChecksumPolicy) -> &'static [ChecksumForm] {
    use ChecksumForm::{MessageOnly, OldUnicast, PseudoHeader};
    match (version, src, policy) {
        (Version::V2, _, _) => &[MessageOnly],
        (Version::V3, IpAddr::V6(_), _) => &[PseudoHeader],
        (Version::V3, IpAddr::V4(_), ChecksumPolicy::Only(MessageOnly)) => &[MessageOnly],
        (Version::V3, IpAddr::V4(_), ChecksumPolicy::Only(PseudoHeader)) => &[PseudoHeader],
        (Version::V3, IpAddr::V4(_), ChecksumPolicy::Only(OldUnicast)) => &[OldUnicast],
        (Version::V3, IpAddr::V4(_), ChecksumPolicy::Either) => {
            &[PseudoHeader, MessageOnly, OldUnicast]
        }
    }
}

/// RFC 9568 §7.1: "MUST verify the VRRP checksum". The message is summed once; each
/// accepted form only changes the pseudo-header added to it.
fn verify_checksum(
    bytes: &[u8],
    version: Version,
    src: IpAddr,
    dst: IpAddr,
    policy: ChecksumPolicy,
) -> Result<ChecksumForm, Error> {
    let message_sum = checksum::sum16(0, bytes);
    forms(version, src, policy)
        .iter()
        .copied()
        .find(|&form| {
            checksum::initial_sum(form, src, dst, bytes.len())
                .is_some_and(|initial| checksum::sums_to_ones(initial, message_sum))
        })
        .ok_or(Error::Checksum)
}

/// RFC 9568 §7.1: "MUST verify that the received packet contains the complete VRRP
/// packet (including fixed fields, and IPvX address(es))" — before the checksum, so a
/// truncated or padded message is a length error, not a checksum error.
fn check_length<T: AsRef<[u8]>>(packet: &VrrpPacket<T>, family: Family) -> Result<(), Error> {
    if packet.len() == packet.expected_len(family) {
        Ok(())
    } else {
        Err(Error::Length {
            count: packet.count(),
            len: packet.len(),
            family,
        })
    }
}

/// Field checks after the checksum: type, VRID, count, interval, v2 auth type.
/// `bytes` has passed [`VrrpPacket::new_checked`] and [`check_length`].
#[inline(always)]
fn parse_fields(
    bytes: &[u8],
    version: Version,
    family: Family,
) -> Result<Advertisement<'_>, Error> {
    let packet = VrrpPacket::new_unchecked(bytes);
    // RFC 9568 §5.2.2: only type 1 is defined.
    if packet.msg_type() != 1 {
        return Err(Error::Type(packet.msg_type()));
    }
    // RFC 9568 §5.2.3: VRID 1..=255.
    let vrid = Vrid::new(packet.vrid()).ok_or(Error::VridZero)?;
    // RFC 9568 §5.2.5 (and §7.1, erratum 8299): at least one address. keepalived sends
    // VRRPv2 adverts without any from an instance without VIPs: v2 accepts them.
    if packet.count() == 0 && version == Version::V3 {
        return Err(Error::NoAddresses);
    }
    let fields = match version {
        Version::V2 => {
            // RFC 3768 §5.3.7: whole seconds; 0 would make every timer fire at once.
            if packet.interval_v2() == 0 {
                return Err(Error::IntervalZero);
            }
            VersionFields::V2 {
                interval: Seconds(packet.interval_v2()),
                auth: auth::from_wire(packet.auth_type(), packet::auth_data(bytes))?,
            }
        }
        Version::V3 => VersionFields::V3 {
            interval: Centiseconds::new(packet.interval_v3())
                .filter(|cs| cs.get() != 0)
                .ok_or(Error::IntervalZero)?,
        },
    };
    Ok(Advertisement {
        vrid,
        priority: Priority(packet.priority()),
        fields,
        addresses: Addresses::Wire {
            family,
            bytes: packet::address_bytes(bytes, family),
        },
    })
}

impl<'a> Advertisement<'a> {
    /// Protocol version.
    pub fn version(&self) -> Version {
        match self.fields {
            VersionFields::V2 { .. } => Version::V2,
            VersionFields::V3 { .. } => Version::V3,
        }
    }

    /// Read the fields of a checked view. Does not verify the checksum (see [`decode`]).
    pub fn parse<T: AsRef<[u8]>>(
        packet: &'a VrrpPacket<T>,
        family: Family,
    ) -> Result<Advertisement<'a>, Error> {
        let version = version_of(packet, family)?;
        check_length(packet, family)?;
        parse_fields(packet.as_bytes(), version, family)
    }

    /// Bytes [`Advertisement::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let trailer = match self.fields {
            VersionFields::V2 { .. } => field::AUTH_DATA_LEN,
            VersionFields::V3 { .. } => 0,
        };
        field::HEADER_LEN + self.addresses.len() * self.addresses.family().addr_len() + trailer
    }

    /// Write the advert, checksum included, into `buf`; returns the bytes written.
    /// `src`/`dst` are the IP addresses it will be sent with (for the v3 pseudo-header);
    /// `form` chooses the v3/IPv4 checksum form (ignored where the form is fixed).
    pub fn emit(
        &self,
        buf: &mut [u8],
        src: IpAddr,
        dst: IpAddr,
        form: ChecksumForm,
    ) -> Result<usize, EmitError> {
        let family = self.addresses.family();
        for ip in [family_of(src), family_of(dst)] {
            if ip != family {
                return Err(EmitError::FamilyMismatch { list: family, ip });
            }
        }
        if family == Family::V6 && self.version() == Version::V2 {
            return Err(EmitError::V2OverIpv6);
        }
        let count = self.addresses.len();
        // v2 without addresses: what keepalived sends from an instance without VIPs.
        let least = usize::from(self.version() == Version::V3);
        if !(least..=255).contains(&count) {
            return Err(EmitError::AddressCount(count));
        }
        let len = self.buffer_len();
        if buf.len() < len {
            return Err(EmitError::BufferTooSmall {
                needed: len,
                got: buf.len(),
            });
        }
        let out = &mut buf[..len];
        out[field::VER_TYPE] = (self.version().number() << 4) | 1;
        out[field::VRID] = self.vrid.get();
        out[field::PRIORITY] = self.priority.0;
        out[field::COUNT] = count as u8;
        match self.fields {
            VersionFields::V2 { interval, auth } => {
                out[field::AUTH_TYPE] = auth::type_byte(auth.auth_type());
                out[field::ADVER_INT_V2] = interval.0;
                let trailer = len - field::AUTH_DATA_LEN;
                out[trailer..].copy_from_slice(&auth::data(&auth));
            }
            VersionFields::V3 { interval } => {
                out[field::ADVER_INT_V3].copy_from_slice(&interval.get().to_be_bytes());
            }
        }
        out[field::CHECKSUM].fill(0);
        let addr_len = family.addr_len();
        for (i, addr) in self.addresses.iter().enumerate() {
            let at = field::HEADER_LEN + i * addr_len;
            match addr {
                IpAddr::V4(a) => out[at..at + 4].copy_from_slice(&a.octets()),
                IpAddr::V6(a) => out[at..at + 16].copy_from_slice(&a.octets()),
            }
        }
        let form = match self.version() {
            Version::V2 => ChecksumForm::MessageOnly,
            Version::V3 if family == Family::V6 => ChecksumForm::PseudoHeader,
            Version::V3 => form,
        };
        // Families were checked above, so the pseudo-header sum exists.
        let initial = checksum::initial_sum(form, src, dst, len).unwrap_or(0);
        let sum = checksum::compute(initial, out);
        out[field::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
        Ok(len)
    }

    /// Compare v2 authentication with the configured one (RFC 2338 §7.1, keepalived):
    /// a different type is [`Error::AuthTypeMismatch`], a different password
    /// [`Error::AuthFailure`]. VRRPv3 has no authentication (RFC 9568 §9): always Ok.
    pub fn check_auth(&self, expected: &Auth) -> Result<(), Error> {
        let VersionFields::V2 { auth, .. } = self.fields else {
            return Ok(());
        };
        match (auth, expected) {
            (Auth::None, Auth::None) => Ok(()),
            (Auth::SimplePassword(got), Auth::SimplePassword(want)) => {
                if got == *want {
                    Ok(())
                } else {
                    Err(Error::AuthFailure)
                }
            }
            (got, want) => Err(Error::AuthTypeMismatch {
                got: got.auth_type(),
                expected: want.auth_type(),
            }),
        }
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
        self.family() == other.family() && self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Addresses<'_> {}
