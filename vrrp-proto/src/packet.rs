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
    fn accessors_read_the_right_bytes() {
        // v3, type 1, vrid 51, prio 100, count 1, rsvd 0xf + 100 cs, checksum 0xabcd
        let b = [0x31, 51, 100, 1, 0xf0, 0x64, 0xab, 0xcd, 192, 0, 2, 1];
        let p = VrrpPacket::new_checked(&b[..]).unwrap();
        assert_eq!((p.version(), p.msg_type(), p.vrid()), (3, 1, 51));
        assert_eq!((p.priority(), p.count(), p.interval_v3()), (100, 1, 100));
        assert_eq!(p.checksum(), 0xabcd);
        assert_eq!(p.payload(), &[192, 0, 2, 1]);
        assert_eq!(p.expected_len(Family::V4), 12);
    }
}
