//! Per-interface IPv4 settings under /proc/sys/net/ipv4/conf, for `use_vmac` (keepalived
//! sets the same ones so that only the VMAC interface answers ARP for the VIPs).

use std::io;

use crate::error::NetError;

/// Write `value` to net.ipv4.conf.`ifname`.`key` in the calling thread's namespace.
pub fn set_ipv4_conf(ifname: &str, key: &str, value: &str) -> Result<(), NetError> {
    if ifname.contains('/') || ifname.starts_with('.') || key.contains('/') {
        return Err(NetError::NoInterface(ifname.to_owned()));
    }
    let path = format!("/proc/sys/net/ipv4/conf/{ifname}/{key}");
    std::fs::write(&path, value).map_err(|e| NetError::Netlink {
        op: format!("write {value} to {path}"),
        source: io::Error::new(e.kind(), e),
    })
}
