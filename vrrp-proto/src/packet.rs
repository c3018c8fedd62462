//! [`VrrpPacket`]: zero-copy view over a VRRP message.

use crate::{field, Error, Family};

/// A view over the bytes of a VRRP message (the IP payload). Construct with
/// [`VrrpPacket::new_checked`]; accessors never panic afterwards.
#[derive(Debug, Clone)]
pub struct VrrpPacket<T: AsRef<[u8]> + ?Sized> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VrrpPacket<T> {
    /// Wrap without checking. Accessors panic on a buffer shorter than the fixed header;
    /// prefer [`VrrpPacket::new_checked`].
    pub const fn new_unchecked(buffer: T) -> VrrpPacket<T> {
        VrrpPacket { buffer }
    }

    /// Wrap, checking the buffer holds at least the fixed header.
    pub fn new_checked(buffer: T) -> Result<VrrpPacket<T>, Error> {
        let got = buffer.as_ref().len();
        if got < field::HEADER_LEN {
            return Err(Error::Truncated {
                needed: field::HEADER_LEN,
                got,
            });
        }
        Ok(VrrpPacket { buffer })
    }

    /// The underlying bytes.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Whole message length.
    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    /// Never true for a checked packet.
    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// The 4-bit version field.
    pub fn version(&self) -> u8 {
        self.bytes()[field::VER_TYPE] >> 4
    }

    /// The 4-bit type field.
    pub fn msg_type(&self) -> u8 {
        self.bytes()[field::VER_TYPE] & 0x0f
    }

    /// Virtual router identifier (raw; 0 is invalid).
    pub fn vrid(&self) -> u8 {
        self.bytes()[field::VRID]
    }

    /// Priority.
    pub fn priority(&self) -> u8 {
        self.bytes()[field::PRIORITY]
    }

    /// Count of addresses.
    pub fn count(&self) -> u8 {
        self.bytes()[field::COUNT]
    }

    /// v2 auth type byte (meaningless for v3, where it is the reserved nibble and the top
    /// of the interval).
    pub fn auth_type(&self) -> u8 {
        self.bytes()[field::AUTH_TYPE]
    }

    /// v2 advertisement interval, seconds.
    pub fn interval_v2(&self) -> u8 {
        self.bytes()[field::ADVER_INT_V2]
    }

    /// v3 Max Adver Int, centiseconds (the 4 reserved bits masked off).
    pub fn interval_v3(&self) -> u16 {
        let b = &self.bytes()[field::ADVER_INT_V3];
        u16::from_be_bytes([b[0], b[1]]) & field::ADVER_INT_V3_MASK
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        let b = &self.bytes()[field::CHECKSUM];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Bytes after the fixed header (addresses, then for v2 the auth data).
    pub fn payload(&self) -> &[u8] {
        &self.bytes()[field::HEADER_LEN..]
    }

    /// The address list for `family` as the count field declares it: `count` ×
    /// `family.addr_len()` bytes after the header, cut short at the end of the buffer if
    /// the message is shorter (the length check in [`crate::decode`] rejects that).
    pub fn address_bytes(&self, family: Family) -> &[u8] {
        address_bytes(self.bytes(), family)
    }

    /// v2 authentication data: the 8 bytes after the IPv4 address list, cut short at the
    /// end of the buffer (so fewer than 8, possibly none, for a truncated message).
    pub fn auth_data(&self) -> &[u8] {
        auth_data(self.bytes())
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes()
    }

    /// The length the message must have for its version, count and `family`:
    /// header + count × address length (+ 8 auth bytes for v2).
    pub fn expected_len(&self, family: Family) -> usize {
        let trailer = if self.version() == 2 {
            field::AUTH_DATA_LEN
        } else {
            0
        };
        field::HEADER_LEN + usize::from(self.count()) * family.addr_len() + trailer
    }
}

/// [`VrrpPacket::address_bytes`] over raw bytes, borrowing them rather than the view.
pub(crate) fn address_bytes(bytes: &[u8], family: Family) -> &[u8] {
    let count = bytes.get(field::COUNT).copied().unwrap_or(0);
    let end = field::HEADER_LEN + usize::from(count) * family.addr_len();
    clamped(bytes, field::HEADER_LEN, end)
}

/// [`VrrpPacket::auth_data`] over raw bytes, borrowing them rather than the view.
pub(crate) fn auth_data(bytes: &[u8]) -> &[u8] {
    let count = bytes.get(field::COUNT).copied().unwrap_or(0);
    let start = field::HEADER_LEN + usize::from(count) * Family::V4.addr_len();
    clamped(bytes, start, start + field::AUTH_DATA_LEN)
}

/// `bytes[start..end]` clamped to the buffer (empty if `start` is beyond it).
fn clamped(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    bytes.get(start..end.min(bytes.len())).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_buffer_is_truncated_not_a_panic() {
        for n in 0..field::HEADER_LEN {
            let buf = [0u8; field::HEADER_LEN];
            assert_eq!(
                VrrpPacket::new_checked(&buf[..n]).unwrap_err(),
                Error::Truncated {
                    needed: field::HEADER_LEN,
                    got: n
                }
            );
        }
    }

    #[test]
    fn v2_auth_data_follows_the_addresses() {
        // v2, type 1, vrid 1, prio 100, count 1, auth 1, 1 s, checksum, addr, "secret\0\0"
        let b = [
            0x21, 1, 100, 1, 1, 1, 0, 0, 192, 0, 2, 1, b's', b'e', b'c', b'r', b'e', b't', 0, 0,
        ];
        let p = VrrpPacket::new_checked(&b[..]).unwrap();
        assert_eq!(p.auth_data(), b"secret\0\0");
        assert_eq!(p.expected_len(Family::V4), 20);
        let short = VrrpPacket::new_checked(&b[..15]).unwrap();
        assert_eq!(short.auth_data(), b"sec");
    }

    #[test]
    fn accessors_read_the_right_bytes() {
        // v3, type 1, vrid 51, prio 100, count 1, rsvd 0xf + 100 cs, checksum 0xabcd
        let b = [0x31, 51, 100, 1, 0xf0, 0x64, 0xab, 0xcd, 192, 0, 2, 1];
        let p = VrrpPacket::new_checked(&b[..]).unwrap();
        assert_eq!((p.version(), p.msg_type(), p.vrid()), (3, 1, 51));
        assert_eq!((p.priority(), p.count(), p.interval_v3()), (100, 1, 100));
        assert_eq!(p.checksum(), 0xabcd);
        assert_eq!(p.payload(), &[192, 0, 2, 1]);
        assert_eq!(p.address_bytes(Family::V4), &[192, 0, 2, 1]);
        // Declared 1 IPv6 address, 4 bytes present: cut short, no panic.
        assert_eq!(p.address_bytes(Family::V6), &[192, 0, 2, 1]);
        assert_eq!(p.auth_data(), &[] as &[u8]);
        assert_eq!(p.expected_len(Family::V4), 12);
    }
}
