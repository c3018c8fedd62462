//! VRRPv2 authentication (RFC 3768 §5.3.6, RFC 2338 §5.3.6 / §10).

/// The v2 "Auth Type" field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// 0: no authentication.
    None,
    /// 1: simple text password (RFC 2338), keepalived `auth_type PASS`.
    SimplePassword,
    /// 2: IP Authentication Header (RFC 2338), keepalived `auth_type AH`. Recognised,
    /// not supported.
    Ah,
}

/// Authentication carried by a VRRPv2 advert.
///
/// The password is the 8-byte field as on the wire: keepalived copies `auth_pass`
/// truncated to 8 bytes and pads with zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Type 0; the 8 authentication bytes are zero.
    None,
    /// Type 1 with its 8 bytes.
    SimplePassword([u8; 8]),
}

impl Auth {
    /// Build a type-1 password from configuration text the way keepalived does:
    /// at most 8 bytes, zero padded.
    pub fn password(text: &[u8]) -> Auth {
        let mut buf = [0u8; 8];
        let n = text.len().min(8);
        buf[..n].copy_from_slice(&text[..n]);
        Auth::SimplePassword(buf)
    }

    /// The wire auth type.
    pub const fn auth_type(&self) -> AuthType {
        match self {
            Auth::None => AuthType::None,
            Auth::SimplePassword(_) => AuthType::SimplePassword,
        }
    }
}

/// RFC 2338 §5.3.6: the auth type byte on the wire.
pub(crate) fn type_byte(t: AuthType) -> u8 {
    match t {
        AuthType::None => 0,
        AuthType::SimplePassword => 1,
        AuthType::Ah => 2,
    }
}

/// The 8 authentication data bytes to send.
pub(crate) fn data(auth: &Auth) -> [u8; 8] {
    match auth {
        Auth::None => [0; 8],
        Auth::SimplePassword(p) => *p,
    }
}

/// Read the auth type byte and data of a received v2 advert. Type 0 ignores the data
/// (RFC 2338 §5.3.6.1: "MUST be set to zero on transmit and ignored on receive").
pub(crate) fn from_wire(type_byte: u8, data: &[u8]) -> Result<Auth, crate::Error> {
    match type_byte {
        0 => Ok(Auth::None),
        // The length check has made `data` exactly 8 bytes; anything else is a typed error.
        1 => <[u8; 8]>::try_from(data)
            .map(Auth::SimplePassword)
            .map_err(|_| crate::Error::Truncated {
                needed: 8,
                got: data.len(),
            }),
        2 => Err(crate::Error::AuthAhUnsupported),
        other => Err(crate::Error::AuthTypeUnknown(other)),
    }
}
