//! Validation of the IP layer of a received VRRP packet (RFC 9568 §7.1, first checks), and
//! the IPv4 header of a packet we send.
//!
//! IPv4: a raw socket hands us the whole datagram, IP header included, so we parse it (any
//! IHL, options skipped). IPv6: the kernel strips the header, so the caller passes what
//! ancillary data told it (source, destination, hop limit); [`parse_ipv6`] is there for
//! whole packets (captures, packet sockets).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::{checksum, EmitError, Error, IPPROTO_VRRP, REQUIRED_TTL};

/// Bytes of an IPv4 header without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// Bytes of the fixed IPv6 header.
pub const IPV6_HEADER_LEN: usize = 40;
/// Type of service keepalived (and RFC 791 "internetwork control") uses for adverts.
pub const TOS_INTERNETWORK_CONTROL: u8 = 0xc0;

/// RFC 791 Don't Fragment flag, in the high byte of the flags/offset field.
const DONT_FRAGMENT: u8 = 0x40;

/// A received VRRP message with the addresses it came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// IP source address.
    pub src: IpAddr,
    /// IP destination address (multicast group or our unicast address).
    pub dst: IpAddr,
    /// The VRRP message.
    pub payload: &'a [u8],
}

/// RFC 9568 §7.1: "MUST verify that the IP TTL / Hop Limit is 255".
fn check_ttl(ttl: u8) -> Result<(), Error> {
    if ttl == REQUIRED_TTL {
        Ok(())
    } else {
        Err(Error::TtlNot255(ttl))
    }
}

/// The fixed header is all there and carries the expected IP version.
fn check_fixed_header(bytes: &[u8], header_len: usize, version: u8) -> Result<(), Error> {
    if bytes.len() < header_len {
        return Err(Error::Truncated {
            needed: header_len,
            got: bytes.len(),
        });
    }
    let got = bytes[0] >> 4;
    if got != version {
        return Err(Error::IpVersion(got));
    }
    Ok(())
}

/// Validate a whole IPv4 datagram carrying VRRP: version 4, IHL, total length, not a
/// fragment, protocol 112, TTL 255. Bytes beyond the total length (link padding) are ignored.
pub fn parse_ipv4(bytes: &[u8]) -> Result<Received<'_>, Error> {
    let (received, ttl) = parse_ipv4_any_ttl(bytes)?;
    check_ttl(ttl)?;
    Ok(received)
}

/// [`parse_ipv4`] without the TTL check, the TTL returned: for an advert sent to a unicast
/// address, whose TTL keepalived does not require to be 255 (its `unicast_ttl`).
pub fn parse_ipv4_any_ttl(bytes: &[u8]) -> Result<(Received<'_>, u8), Error> {
    check_fixed_header(bytes, IPV4_HEADER_LEN, 4)?;
    let ihl = bytes[0] & 0x0f;
    let header_len = usize::from(ihl) * 4;
    if ihl < 5 || header_len > bytes.len() {
        return Err(Error::IpHeaderLength(ihl));
    }
    let declared = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    if declared < header_len || declared > bytes.len() {
        return Err(Error::IpTotalLength {
            declared,
            got: bytes.len(),
        });
    }
    let frag = u16::from_be_bytes([bytes[6], bytes[7]]);
    // More-fragments flag or a non-zero offset.
    if frag & 0x3fff != 0 {
        return Err(Error::IpFragment);
    }
    if bytes[9] != IPPROTO_VRRP {
        return Err(Error::NotVrrp(bytes[9]));
    }
    let src = Ipv4Addr::new(bytes[12], bytes[13], bytes[14], bytes[15]);
    let dst = Ipv4Addr::new(bytes[16], bytes[17], bytes[18], bytes[19]);
    let received = Received {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        payload: &bytes[header_len..declared],
    };
    Ok((received, bytes[8]))
}

/// Validate a VRRP message received on an IPv6 raw socket, with the source, destination
/// and hop limit the kernel reported in ancillary data.
pub fn check_ipv6(
    payload: &[u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
) -> Result<Received<'_>, Error> {
    check_ttl(hop_limit)?;
    Ok(Received {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        payload,
    })
}

/// Validate a whole IPv6 packet (fixed header, next header 112 directly: adverts carry no
/// extension headers), for captures and packet sockets.
pub fn parse_ipv6(bytes: &[u8]) -> Result<Received<'_>, Error> {
    check_fixed_header(bytes, IPV6_HEADER_LEN, 6)?;
    let payload_len = usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
    let end = IPV6_HEADER_LEN + payload_len;
    if end > bytes.len() {
        return Err(Error::IpTotalLength {
            declared: end,
            got: bytes.len(),
        });
    }
    if bytes[6] != IPPROTO_VRRP {
        return Err(Error::NotVrrp(bytes[6]));
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&bytes[8..24]);
    dst.copy_from_slice(&bytes[24..40]);
    check_ipv6(
        &bytes[IPV6_HEADER_LEN..end],
        Ipv6Addr::from(src),
        Ipv6Addr::from(dst),
        bytes[7],
    )
}

/// Write a 20-byte IPv4 header for a VRRP message of `payload_len` bytes: TOS 0xc0, the
/// given identification, no fragmentation flags (as keepalived 2.2.7 sends: flags and
/// offset 0), TTL 255, protocol 112, header checksum.
pub fn emit_ipv4_header(
    buf: &mut [u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    payload_len: usize,
    ident: u16,
) -> Result<usize, EmitError> {
    emit_ipv4_header_with_df(buf, src, dst, payload_len, ident, false)
}

/// [`emit_ipv4_header`] with the Don't Fragment flag (RFC 791) set if `dont_fragment`.
pub fn emit_ipv4_header_with_df(
    buf: &mut [u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    payload_len: usize,
    ident: u16,
    dont_fragment: bool,
) -> Result<usize, EmitError> {
    if buf.len() < IPV4_HEADER_LEN {
        return Err(EmitError::BufferTooSmall {
            needed: IPV4_HEADER_LEN,
            got: buf.len(),
        });
    }
    let total = IPV4_HEADER_LEN + payload_len;
    let h = &mut buf[..IPV4_HEADER_LEN];
    h[0] = 0x45;
    h[1] = TOS_INTERNETWORK_CONTROL;
    h[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    h[4..6].copy_from_slice(&ident.to_be_bytes());
    h[6] = if dont_fragment { DONT_FRAGMENT } else { 0 };
    h[7] = 0;
    h[8] = REQUIRED_TTL;
    h[9] = IPPROTO_VRRP;
    h[10..12].fill(0);
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    let sum = checksum::compute(0, h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    Ok(IPV4_HEADER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A VRRPv2 datagram written out by hand, IP header checksum left zero (not checked on
    /// receive: the kernel has already verified it).
    fn datagram() -> [u8; 40] {
        [
            0x45, 0xc0, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0xff, 0x70, 0x00, 0x00, 192, 0, 2, 1,
            224, 0, 0, 18, // IPv4 header
            0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0x00, 0x00, 192, 0, 2, 100, 0, 0, 0, 0, 0, 0, 0,
            0, // VRRP
        ]
    }

    #[test]
    fn ipv4_header_checksum_matches_hand_computation() {
        // Expected bytes from scapy:
        // raw(IP(src='192.0.2.1', dst='224.0.0.18', tos=0xc0, ttl=255, proto=112, id=0,
        //        flags=0, len=40))[:20] = 45c0002800000000ff701892c0000201e0000012
        let mut buf = [0u8; 20];
        emit_ipv4_header(
            &mut buf,
            Ipv4Addr::new(192, 0, 2, 1),
            Ipv4Addr::new(224, 0, 0, 18),
            20,
            0,
        )
        .unwrap();
        assert_eq!(&buf[10..12], &[0x18, 0x92]);
        let mut expected = datagram();
        expected[10] = 0x18;
        expected[11] = 0x92;
        assert_eq!(&buf[..], &expected[..20]);
    }

    #[test]
    fn ipv4_header_with_dont_fragment() {
        // scapy: raw(IP(src='192.0.2.1', dst='224.0.0.18', tos=0xc0, ttl=255, proto=112,
        //               id=0, flags='DF', len=40))[:20]
        //        = 45c0002800004000ff70d891c0000201e0000012
        let mut buf = [0u8; 20];
        let (s, d) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(224, 0, 0, 18));
        emit_ipv4_header_with_df(&mut buf, s, d, 20, 0, true).unwrap();
        assert_eq!(&buf[6..8], &[0x40, 0x00]);
        assert_eq!(&buf[10..12], &[0xd8, 0x91]);
        let mut whole = datagram();
        whole[..20].copy_from_slice(&buf);
        assert_eq!(
            parse_ipv4(&whole).unwrap().payload.len(),
            20,
            "DF is not a fragment"
        );
        assert_eq!(
            emit_ipv4_header_with_df(&mut buf[..19], s, d, 20, 0, true),
            Err(EmitError::BufferTooSmall {
                needed: 20,
                got: 19
            })
        );
    }

    #[test]
    fn ipv4_checks_each_field() {
        let ok = datagram();
        let r = parse_ipv4(&ok).unwrap();
        assert_eq!(r.src, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(r.dst, IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)));
        assert_eq!(r.payload.len(), 20);

        let mut b = ok;
        b[8] = 64;
        assert_eq!(parse_ipv4(&b), Err(Error::TtlNot255(64)));
        let (r, ttl) = parse_ipv4_any_ttl(&b).unwrap();
        assert_eq!((r.payload.len(), ttl), (20, 64));
        let mut b = ok;
        b[9] = 17;
        assert_eq!(parse_ipv4(&b), Err(Error::NotVrrp(17)));
        let mut b = ok;
        b[0] = 0x65;
        assert_eq!(parse_ipv4(&b), Err(Error::IpVersion(6)));
        let mut b = ok;
        b[0] = 0x44;
        assert_eq!(parse_ipv4(&b), Err(Error::IpHeaderLength(4)));
        let mut b = ok;
        b[0] = 0x4f; // 60-byte header in a 40-byte packet
        assert_eq!(parse_ipv4(&b), Err(Error::IpHeaderLength(15)));
        let mut b = ok;
        b[3] = 0x29;
        assert_eq!(
            parse_ipv4(&b),
            Err(Error::IpTotalLength {
                declared: 41,
                got: 40
            })
        );
        let mut b = ok;
        b[6] = 0x20; // more fragments
        assert_eq!(parse_ipv4(&b), Err(Error::IpFragment));
    }

    #[test]
    fn ipv4_with_options_skips_them() {
        let ok = datagram();
        let mut b = [0u8; 44];
        b[..20].copy_from_slice(&ok[..20]);
        b[0] = 0x46;
        b[3] = 44;
        b[20..24].copy_from_slice(&[0x94, 0x04, 0, 0]); // router alert option
        b[24..].copy_from_slice(&ok[20..]);
        assert_eq!(parse_ipv4(&b).unwrap().payload, &ok[20..]);
    }

    #[test]
    fn ipv4_truncation_never_panics() {
        let ok = datagram();
        for n in 0..ok.len() {
            assert!(parse_ipv4(&ok[..n]).is_err(), "length {n}");
        }
    }

    #[test]
    fn ipv6_hop_limit() {
        let a: Ipv6Addr = "fe80::1".parse().unwrap();
        assert_eq!(check_ipv6(&[], a, a, 254), Err(Error::TtlNot255(254)));
        assert!(check_ipv6(&[], a, a, 255).is_ok());
    }
}
