//! The demo's keepalived.conf (one template, two routers) and the temp dir it goes in.

use std::fs;
use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::DemoError;

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

/// A private directory for configs, sockets and logs; removed by [`WorkDir::remove`] or
/// on drop.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Create `$TMPDIR/NAME` (mode 0700). Fails if it exists.
    pub fn create(name: &str) -> Result<WorkDir, DemoError> {
        let path = std::env::temp_dir().join(name);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| DemoError::io(format!("create {}", path.display()), e))?;
        Ok(WorkDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write `text` to `NAME` inside it; returns the full path.
    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf, DemoError> {
        let p = self.path.join(name);
        fs::write(&p, text).map_err(|e| DemoError::io(format!("write {}", p.display()), e))?;
        Ok(p)
    }

    /// Delete it with everything in it. Idempotent; returns what could not be done.
    pub fn remove(&mut self) -> Vec<String> {
        if self.path.as_os_str().is_empty() {
            return Vec::new();
        }
        match fs::remove_dir_all(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return vec![format!("remove {}: {e}", self.path.display())],
        }
        self.path = PathBuf::new();
        Vec::new()
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        for p in self.remove() {
            say_err!("vrrpd demo: cleanup: {p}");
        }
    }
}

/// Remove `$TMPDIR/STEM-PID` directories whose process PID is gone (left by a demo killed
/// with SIGKILL). Returns the paths removed.
pub fn sweep_stale_dirs(stem: &str) -> Vec<PathBuf> {
    let tmp = std::env::temp_dir();
    let Ok(dir) = fs::read_dir(&tmp) else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| super::netns::owner_is_gone(&e.file_name().to_string_lossy(), stem))
        .map(|e| e.path())
        .filter(|p| fs::remove_dir_all(p).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_config_is_valid_and_says_what_the_demo_prints() {
        let text = keepalived_conf("demo_a", "veth0", PRIORITY_A);
        assert!(text.contains("advert_int 0.1\n"), "{text}");
        let dir = WorkDir::create(&format!("vrrpd-demo-conftest-{}", std::process::id()))
            .expect("temp dir");
        let path = dir.write("a.conf", &text).unwrap();
        let built = crate::config::load(&path).expect("the embedded config loads");
        assert!(built.warnings.is_empty(), "{:?}", built.warnings);
        let c = &built.config;
        assert_eq!(c.instances.len(), 1);
        let i = &c.instances[0];
        assert_eq!(i.name, "VI_1");
        assert_eq!(i.interface, "veth0");
        assert_eq!(i.vrid, VRID);
        assert_eq!(i.priority, PRIORITY_A);
        assert_eq!(i.advert_int, ADVERT_INT);
        assert_eq!(i.version, VERSION);
    }

    #[test]
    fn work_dir_is_removed_with_its_files() {
        let mut dir = WorkDir::create(&format!("vrrpd-demo-dirtest-{}", std::process::id()))
            .expect("temp dir");
        let p = dir.path().to_owned();
        dir.write("x", "y").unwrap();
        assert!(dir.remove().is_empty());
        assert!(!p.exists());
        assert!(dir.remove().is_empty(), "second remove is a no-op");
    }
}
