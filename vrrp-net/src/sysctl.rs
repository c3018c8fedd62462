//! Per-interface IPv4 settings under /proc/sys/net/ipv4/conf, for `use_vmac` (keepalived
//! sets the same ones so that only the VMAC interface answers ARP for the VIPs).

use crate::error::{Interface, NetError};

/// Write `value` to net.ipv4.conf.`ifname`.`key` in the calling thread's namespace.
pub fn set_ipv4_conf(ifname: &str, key: &'static str, value: &'static str) -> Result<(), NetError> {
    if ifname.contains('/') || ifname.starts_with('.') || key.contains('/') {
        return Err(NetError::NoInterface(Interface::Name(ifname.to_owned())));
    }
    let path = format!("/proc/sys/net/ipv4/conf/{ifname}/{key}");
    std::fs::write(&path, value).map_err(|source| NetError::Sysctl {
        ifname: ifname.to_owned(),
        key,
        value,
        source,
    })
}
