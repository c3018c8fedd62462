//! The demo's keepalived.conf: one template, two routers (written into the topology's dir).

use std::net::Ipv4Addr;
use std::time::Duration;

/// VRRP version the demo runs.
pub const VERSION: u8 = 3;
/// VRID of the one instance.
pub const VRID: u8 = 51;
/// The virtual address (a /24 in the routers' own subnet).
pub const VIP: &str = "192.0.2.100";
/// [`VIP`] as an address.
pub const VIP_ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
/// Its prefix length.
pub const VIP_PREFIX: u8 = 24;
/// Advertisement interval: 0.1 s (VRRPv3 allows centiseconds) instead of keepalived's
/// default 1 s, so that each takeover takes a fraction of a second.
pub const ADVERT_INT: Duration = Duration::from_millis(100);
/// Router A's priority (the preferred master).
pub const PRIORITY_A: u8 = 150;
/// Router B's priority.
pub const PRIORITY_B: u8 = 100;

/// keepalived.conf for one router. Both start as BACKUP and let priorities decide; the
/// higher one pre-empts (keepalived's default), which is what makes failback happen.
pub fn keepalived_conf(router_id: &str, interface: &str, priority: u8) -> String {
    let advert_int = ADVERT_INT.as_secs_f64();
    format!(
        "# vrrpd demo, router {router_id}: written by `vrrpd demo`, removed when it ends.\n\
         global_defs {{\n\
         \x20   router_id {router_id}\n\
         \x20   vrrp_version {VERSION}\n\
         }}\n\
         \n\
         vrrp_instance VI_1 {{\n\
         \x20   state BACKUP\n\
         \x20   interface {interface}\n\
         \x20   virtual_router_id {VRID}\n\
         \x20   priority {priority}\n\
         \x20   advert_int {advert_int}\n\
         \x20   virtual_ipaddress {{\n\
         \x20       {VIP}/{VIP_PREFIX}\n\
         \x20   }}\n\
         }}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_config_is_valid_and_says_what_the_demo_prints() {
        let text = keepalived_conf("demo_a", "veth0", PRIORITY_A);
        assert!(text.contains("advert_int 0.1\n"), "{text}");
        let dir = vrrp_lab::WorkDir::create(&format!("vrrpd-demo-conftest-{}", std::process::id()))
            .expect("temp dir");
        let path = dir.write("a.conf", &text).unwrap();
        let built = crate::config::load(&path).expect("the embedded config loads");
        assert!(built.warnings.is_empty(), "{:?}", built.warnings);
        let c = &built.config;
        assert_eq!(c.instances.len(), 1);
        let i = &c.instances[0];
        assert_eq!(i.name, "VI_1");
        assert_eq!(i.interface, "veth0");
        assert_eq!(i.router.vrid().get(), VRID);
        assert_eq!(i.router.priority().0, PRIORITY_A);
        assert_eq!(i.router.advert_interval(), ADVERT_INT);
        assert_eq!(i.router.version().number(), VERSION);
    }
}
