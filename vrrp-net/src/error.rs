//! One error type for the crate; every OS error carries what was attempted and the
//! interface or address it was about, as values a caller can match on.

use std::fmt;
use std::io;
use std::net::IpAddr;

/// An I/O failure with its context.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A socket (or epoll, timerfd) call failed.
    #[error("{op}{}: {source}", on(interface))]
    Socket {
        /// The call or option (e.g. "SO_BINDTODEVICE", "recvmmsg").
        op: &'static str,
        /// The interface the socket serves (None: the event loop's own descriptors).
        interface: Option<Interface>,
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
        /// What was asked.
        op: NetlinkOp,
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
        op: NetlinkOp,
        /// The decoder's message.
        detail: String,
    },
    /// No such interface.
    #[error("no interface {0}")]
    NoInterface(Interface),
    /// A per-interface setting under /proc/sys/net/ipv4/conf could not be written.
    #[error("write {value} to /proc/sys/net/ipv4/conf/{ifname}/{key}: {source}")]
    Sysctl {
        /// Interface name.
        ifname: String,
        /// The setting (e.g. "arp_ignore").
        key: &'static str,
        /// The value written.
        value: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A frame could not be built (buffer too small: a bug, reported rather than panicking).
    #[error("build {what}: {detail}")]
    Build {
        /// What frame.
        what: &'static str,
        /// Why.
        detail: String,
    },
}

/// An interface, as the caller named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    /// By name.
    Name(String),
    /// By index.
    Index(u32),
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interface::Name(n) => f.write_str(n),
            Interface::Index(i) => write!(f, "ifindex {i}"),
        }
    }
}

/// " on IFACE", or nothing.
fn on(interface: &Option<Interface>) -> String {
    interface
        .as_ref()
        .map_or_else(String::new, |i| format!(" on {i}"))
}

/// What a netlink request (or the link monitor) was doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetlinkOp {
    /// Opening the request socket.
    Open,
    /// Subscribing to link events (RTMGRP_LINK).
    SubscribeLinks,
    /// Reading link events.
    ReadLinkEvents,
    /// Setting the link monitor's receive buffer.
    SetMonitorBuffer {
        /// Bytes asked for.
        bytes: usize,
    },
    /// Adding an address.
    AddAddress {
        /// The address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
        /// The interface.
        ifindex: u32,
    },
    /// Removing an address.
    DelAddress {
        /// The address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
        /// The interface.
        ifindex: u32,
    },
    /// Listing an interface's addresses.
    ListAddresses {
        /// The interface.
        ifindex: u32,
    },
    /// Listing the interfaces.
    ListLinks,
    /// Looking one interface up (by name or index).
    GetLink,
    /// Creating a VMAC (macvlan) interface.
    AddMacvlan {
        /// Its name.
        name: String,
        /// The interface it sits on.
        parent: u32,
    },
    /// Turning IPv6 address generation off on an interface.
    NoAddrGen {
        /// The interface.
        name: String,
    },
    /// Setting an interface up or down.
    SetLinkUp {
        /// The interface.
        ifindex: u32,
        /// Up (true) or down.
        up: bool,
    },
    /// Deleting an interface.
    DelLink {
        /// The interface.
        ifindex: u32,
    },
    /// Adding a route.
    AddRoute(Box<crate::Route>),
    /// Removing a route.
    DelRoute(Box<crate::Route>),
    /// Adding a rule.
    AddRule(Box<crate::Rule>),
    /// Removing a rule.
    DelRule(Box<crate::Rule>),
    /// Subscribing to route and rule changes.
    SubscribeRoutes,
    /// Reading route and rule changes.
    ReadRouteEvents,
}

impl fmt::Display for NetlinkOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetlinkOp::Open => f.write_str("open"),
            NetlinkOp::SubscribeLinks => f.write_str("subscribe RTMGRP_LINK"),
            NetlinkOp::ReadLinkEvents => f.write_str("read link events"),
            NetlinkOp::SetMonitorBuffer { bytes } => {
                write!(f, "set the link monitor's receive buffer to {bytes} bytes")
            }
            NetlinkOp::AddAddress {
                addr,
                prefix_len,
                ifindex,
            } => write!(f, "add {addr}/{prefix_len} on ifindex {ifindex}"),
            NetlinkOp::DelAddress {
                addr,
                prefix_len,
                ifindex,
            } => write!(f, "del {addr}/{prefix_len} on ifindex {ifindex}"),
            NetlinkOp::ListAddresses { ifindex } => {
                write!(f, "list addresses on ifindex {ifindex}")
            }
            NetlinkOp::ListLinks => f.write_str("list links"),
            NetlinkOp::GetLink => f.write_str("look up a link"),
            NetlinkOp::AddMacvlan { name, parent } => {
                write!(f, "add macvlan {name} on ifindex {parent}")
            }
            NetlinkOp::AddRoute(r) => write!(f, "add route {r}"),
            NetlinkOp::DelRoute(r) => write!(f, "del route {r}"),
            NetlinkOp::AddRule(r) => write!(f, "add rule {r}"),
            NetlinkOp::DelRule(r) => write!(f, "del rule {r}"),
            NetlinkOp::SubscribeRoutes => f.write_str("subscribe to route and rule changes"),
            NetlinkOp::ReadRouteEvents => f.write_str("read route and rule changes"),
            NetlinkOp::NoAddrGen { name } => write!(f, "set addrgenmode none on {name}"),
            NetlinkOp::SetLinkUp { ifindex, up } => {
                write!(
                    f,
                    "set ifindex {ifindex} {}",
                    if *up { "up" } else { "down" }
                )
            }
            NetlinkOp::DelLink { ifindex } => write!(f, "delete ifindex {ifindex}"),
        }
    }
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

    /// A socket call on the socket serving `ifname` failed.
    pub(crate) fn socket(op: &'static str, ifname: &str, source: io::Error) -> Self {
        NetError::Socket {
            op,
            interface: Some(Interface::Name(ifname.to_owned())),
            source,
        }
    }

    /// A call on one of the event loop's own descriptors (epoll, timerfd) failed.
    pub(crate) fn event_loop(op: &'static str, source: io::Error) -> Self {
        NetError::Socket {
            op,
            interface: None,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words stay what they were; the context is values.
    #[test]
    fn context_is_typed_and_the_words_unchanged() {
        let e = NetError::Netlink {
            op: NetlinkOp::AddAddress {
                addr: IpAddr::from([192, 0, 2, 10]),
                prefix_len: 32,
                ifindex: 3,
            },
            source: io::Error::from_raw_os_error(libc::EPERM),
        };
        assert!(matches!(
            &e,
            NetError::Netlink {
                op: NetlinkOp::AddAddress { ifindex: 3, .. },
                ..
            }
        ));
        assert!(e
            .to_string()
            .starts_with("netlink add 192.0.2.10/32 on ifindex 3: "));
        let e = NetError::socket("SO_BINDTODEVICE", "eth0", io::Error::from_raw_os_error(19));
        assert!(e.is_no_device());
        assert!(e.to_string().starts_with("SO_BINDTODEVICE on eth0: "));
        let e = NetError::event_loop("epoll_wait", io::Error::from_raw_os_error(libc::EINTR));
        assert!(e.to_string().starts_with("epoll_wait: "));
        assert_eq!(
            NetError::NoInterface(Interface::Index(7)).to_string(),
            "no interface ifindex 7"
        );
    }
}
