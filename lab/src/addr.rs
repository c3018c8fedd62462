//! Addresses the lab hands out: only the documentation ranges (RFC 5737, RFC 3849), so a
//! lab can never collide with a real network.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::LabError;

/// An interface address with its prefix length (`192.0.2.1/24`, `2001:db8::1/64`), in
/// 192.0.2.0/24, 198.51.100.0/24 or 2001:db8::/32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix_len: u8,
}

impl Cidr {
    /// Whether `addr` lies in one of the documentation ranges.
    pub fn is_documentation(addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => {
                let o = a.octets();
                matches!(o[..3], [192, 0, 2] | [198, 51, 100])
            }
            IpAddr::V6(a) => a.segments()[..2] == [0x2001, 0x0db8],
        }
    }
}

impl FromStr for Cidr {
    type Err = LabError;

    fn from_str(s: &str) -> Result<Cidr, LabError> {
        let bad = || LabError::Address(s.to_owned());
        let (addr, len) = s.split_once('/').ok_or_else(bad)?;
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix_len: u8 = len.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix_len > max || !Cidr::is_documentation(addr) {
            return Err(bad());
        }
        Ok(Cidr { addr, prefix_len })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

#[cfg(test)]
mod tests {
    use super::Cidr;

    #[test]
    fn only_documentation_ranges_are_accepted() {
        for ok in [
            "192.0.2.1/24",
            "198.51.100.254/32",
            "2001:db8::1/64",
            "2001:db8:ffff::2/128",
        ] {
            let c: Cidr = ok.parse().unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(c.to_string(), ok);
        }
        for bad in [
            "10.0.0.1/24",
            "192.0.3.1/24",
            "198.51.101.1/24",
            "2001:db9::1/64",
            "fe80::1/64",
            "192.0.2.1",
            "192.0.2.1/33",
            "2001:db8::1/129",
            "x/24",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad} accepted");
        }
    }
}
