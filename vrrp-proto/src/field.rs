//! Field offsets of the VRRP header (RFC 3768 §5.1, RFC 9568 §5.1). The only place that
//! knows byte positions.
//!
//! ```text
//!  0                   1                   2                   3
//! |Version| Type  | Virtual Rtr ID|   Priority    | Count IPvX Addr|
//! v2: | Auth Type |  Adver Int  |          Checksum               |
//! v3: |(rsvd)|     Max Adver Int |          Checksum               |
//! |                    IPvX Address(es) ...                        |
//! v2: |             Authentication Data (8 bytes)                  |
//! ```

use core::ops::Range;

/// Version (high nibble) and type (low nibble).
pub const VER_TYPE: usize = 0;
/// Virtual router identifier.
pub const VRID: usize = 1;
/// Priority.
pub const PRIORITY: usize = 2;
/// Count of addresses.
pub const COUNT: usize = 3;
/// v2: authentication type.
pub const AUTH_TYPE: usize = 4;
/// v2: advertisement interval, seconds.
pub const ADVER_INT_V2: usize = 5;
/// v3: 4 reserved bits then the 12-bit Max Adver Int, big endian.
pub const ADVER_INT_V3: Range<usize> = 4..6;
/// Checksum, big endian.
pub const CHECKSUM: Range<usize> = 6..8;
/// Length of the fixed header; addresses start here.
pub const HEADER_LEN: usize = 8;
/// v2: length of the authentication data trailer.
pub const AUTH_DATA_LEN: usize = 8;
/// v3: mask of the Max Adver Int bits in the 16-bit field.
pub const ADVER_INT_V3_MASK: u16 = 0x0fff;
