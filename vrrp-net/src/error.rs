//! One error type for the crate; every OS error carries the interface or address it was about.

use std::io;
use std::net::IpAddr;

/// An I/O failure with its context.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A socket call failed.
    #[error("{op} on {ifname}: {source}")]
    Socket {
        /// What was attempted (e.g. "join 224.0.0.18").
        op: &'static str,
        /// Interface name the socket serves.
        ifname: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Sending to one address failed.
    #[error("send to {dst} on {ifname}: {source}")]
    Send {
        /// Destination address.
        dst: IpAddr,
        /// Interface name.
        ifname: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A netlink request failed (socket error or kernel NACK).
    #[error("netlink {op}: {source}")]
    Netlink {
        /// What was asked (e.g. "add 192.0.2.10/32 on ifindex 3").
        op: String,
        /// The OS error (a NACK's errno).
        #[source]
        source: io::Error,
    },
    /// The address to add is already on the interface (EEXIST).
    #[error("address {addr} already on ifindex {ifindex}")]
    AddressExists {
        /// The address.
        addr: IpAddr,
        /// The interface.
        ifindex: u32,
    },
    /// The address to remove is not on the interface (EADDRNOTAVAIL).
    #[error("address {addr} not on ifindex {ifindex}")]
    AddressMissing {
        /// The address.
        addr: IpAddr,
        /// The interface.
        ifindex: u32,
    },
    /// A netlink reply could not be decoded.
    #[error("netlink {op}: undecodable reply: {detail}")]
    NetlinkDecode {
        /// What was asked.
        op: String,
        /// Decoder message.
        detail: String,
    },
    /// No interface with that name or index.
    #[error("no interface {0}")]
    NoInterface(String),
    /// A frame could not be built (buffer too small: a bug, reported rather than panicking).
    #[error("build {what}: {detail}")]
    Build {
        /// What frame.
        what: &'static str,
        /// Why.
        detail: String,
    },
}

impl NetError {
    /// The interface is not there (ENODEV / ENXIO): it was deleted under us.
    pub fn is_no_device(&self) -> bool {
        let source = match self {
            NetError::Socket { source, .. }
            | NetError::Send { source, .. }
            | NetError::Netlink { source, .. } => source,
            _ => return false,
        };
        matches!(source.raw_os_error(), Some(libc::ENODEV | libc::ENXIO))
    }

    /// The route or rule to remove is not there (ESRCH / ENOENT), or the interface it
    /// names is gone (ENODEV): nothing left to remove.
    pub fn is_not_found(&self) -> bool {
        match self {
            NetError::Netlink { source, .. } => matches!(
                source.raw_os_error(),
                Some(libc::ESRCH | libc::ENOENT | libc::ENODEV)
            ),
            NetError::NoInterface(_) => true,
            _ => false,
        }
    }

    /// The route, rule or address to add is already there (EEXIST).
    pub fn is_exists(&self) -> bool {
        match self {
            NetError::Netlink { source, .. } => source.raw_os_error() == Some(libc::EEXIST),
            NetError::AddressExists { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn socket(op: &'static str, ifname: &str, source: io::Error) -> Self {
        NetError::Socket {
            op,
            ifname: ifname.to_owned(),
            source,
        }
    }
}
