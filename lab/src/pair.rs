//! Two namespaces joined by one veth pair: the smallest lab, for socket and netlink tests.

use crate::{LabError, Netns};

/// Two namespaces `a` and `b`, each end of one veth pair up with an IPv4 and an IPv6
/// address, DAD off, `lo` up. Dropping it deletes both namespaces (and the pair).
///
/// ```text
///  STEM-PID-N (a)                      STEM-PID-M (b)
///  veth0 192.0.2.1/24, 2001:db8::1/64 — veth1 192.0.2.2/24, 2001:db8::2/64
/// ```
#[derive(Debug)]
pub struct Pair {
    /// Side A, holding [`Pair::A_IF`].
    pub a: Netns,
    /// Side B, holding [`Pair::B_IF`].
    pub b: Netns,
}

impl Pair {
    /// Side A's interface.
    pub const A_IF: &'static str = "veth0";
    /// Side B's interface.
    pub const B_IF: &'static str = "veth1";
    /// Side A's IPv4 address (/24).
    pub const A_V4: &'static str = "192.0.2.1";
    /// Side A's IPv6 address (/64).
    pub const A_V6: &'static str = "2001:db8::1";
    /// Side B's IPv4 address (/24).
    pub const B_V4: &'static str = "192.0.2.2";
    /// Side B's IPv6 address (/64).
    pub const B_V6: &'static str = "2001:db8::2";

    /// Build it with namespaces named `STEM-PID-N`; returns once both ends are up with
    /// carrier. On error, whatever was made is removed.
    pub fn new(stem: &str) -> Result<Pair, LabError> {
        let pair = Pair {
            a: Netns::unique(stem)?,
            b: Netns::unique(stem)?,
        };
        pair.a.no_dad()?;
        pair.b.no_dad()?;
        pair.a.veth(Pair::A_IF, &pair.b, Pair::B_IF)?;
        for (ns, dev, v4, v6) in [
            (&pair.a, Pair::A_IF, Pair::A_V4, Pair::A_V6),
            (&pair.b, Pair::B_IF, Pair::B_V4, Pair::B_V6),
        ] {
            ns.add_addr(dev, &format!("{v4}/24"))?;
            ns.add_addr(dev, &format!("{v6}/64"))?;
            ns.set_link(dev, true)?;
        }
        pair.a.wait_up(Pair::A_IF)?;
        pair.b.wait_up(Pair::B_IF)?;
        Ok(pair)
    }
}
