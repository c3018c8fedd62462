//! Default paths of a daemon named by `-s` / `net_namespace`, `instance` and `-i`, so that
//! several vrrpd on one host never share a pid file or control socket by default.
//!
//! keepalived 2.2.7 (core/main.c, core/pidfile.c, core/namespaces.c) puts its pid files in
//! /run/keepalived/ when it has an `instance` name or a network namespace, names them
//! `keepalived_INSTANCE.pid`, and in a namespace NS bind-mounts /run/keepalived/NS over
//! /run/keepalived, so that from outside they are `/run/keepalived/NS/keepalived[_INSTANCE].pid`.
//! vrrpd does the same in its own directory without a mount namespace:
//! `/run/vrrpd[/NS]/vrrpd[_INSTANCE][@ID].pid` and `.sock`, and the dump
//! `/run/vrrpd[/NS]/keepalived[_INSTANCE][@ID].data`. The `@ID` part (the `-i` config id,
//! when given) is vrrpd's: keepalived does not name files after `-i`, so two keepalived
//! started with different `-i` and nothing else collide; two vrrpd do not.

use crate::config::naming::valid_name;
use std::path::PathBuf;

use super::files::RUNTIME_DIR;

/// What names a daemon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaemonNames {
    /// The network namespace it runs in (`-s`, else `net_namespace`).
    pub namespace: Option<String>,
    /// `instance` of the configuration.
    pub instance: Option<String>,
    /// `-i`, when given.
    pub config_id: Option<String>,
}

impl DaemonNames {
    fn check(&self) -> Result<(), String> {
        for (what, v) in [
            ("namespace", &self.namespace),
            ("instance", &self.instance),
            ("config id", &self.config_id),
        ] {
            if let Some(v) = v {
                if !valid_name(v) {
                    return Err(format!(
                        "cannot name default files after {what} '{v}' (letters, digits, '.', '_', '-'); give -p and --control"
                    ));
                }
            }
        }
        Ok(())
    }

    fn path(&self, stem: &str, ext: &str) -> Result<PathBuf, String> {
        self.check()?;
        let mut dir = PathBuf::from(RUNTIME_DIR);
        if let Some(ns) = &self.namespace {
            dir.push(ns);
        }
        let mut name = stem.to_string();
        if let Some(i) = &self.instance {
            name.push('_');
            name.push_str(i);
        }
        if let Some(id) = &self.config_id {
            name.push('@');
            name.push_str(id);
        }
        name.push_str(ext);
        Ok(dir.join(name))
    }

    /// The default pid file.
    pub fn pid_file(&self) -> Result<PathBuf, String> {
        self.path("vrrpd", ".pid")
    }

    /// The default control socket.
    pub fn control(&self) -> Result<PathBuf, String> {
        self.path("vrrpd", ".sock")
    }

    /// The default SIGUSR1 dump.
    pub fn dump_file(&self) -> Result<PathBuf, String> {
        self.path("keepalived", ".data")
    }
}

/// Enter network namespace `name` (`/run/netns/NAME`, as `ip netns` and keepalived's
/// `set_namespaces()` name them) for the rest of the process. Call it while the process
/// has one thread.
pub fn enter_namespace(name: &str) -> Result<(), String> {
    use nix::sched::{setns, CloneFlags};
    let path = format!("/run/netns/{name}");
    let file =
        std::fs::File::open(&path).map_err(|e| format!("network namespace {name}: {path}: {e}"))?;
    setns(&file, CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("network namespace {name}: setns: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_namespace_instance_and_id() {
        let n = |ns: Option<&str>, inst: Option<&str>, id: Option<&str>| DaemonNames {
            namespace: ns.map(Into::into),
            instance: inst.map(Into::into),
            config_id: id.map(Into::into),
        };
        let none = n(None, None, None);
        assert_eq!(
            none.pid_file().unwrap(),
            PathBuf::from(super::super::files::DEFAULT_PID_FILE)
        );
        assert_eq!(
            none.control().unwrap(),
            PathBuf::from(super::super::control::DEFAULT_PATH)
        );
        assert_eq!(
            none.dump_file().unwrap(),
            PathBuf::from(super::super::files::DEFAULT_DUMP_FILE)
        );
        let all = n(Some("blue"), Some("one"), Some("high"));
        assert_eq!(
            all.pid_file().unwrap(),
            PathBuf::from("/run/vrrpd/blue/vrrpd_one@high.pid")
        );
        assert_eq!(
            all.control().unwrap(),
            PathBuf::from("/run/vrrpd/blue/vrrpd_one@high.sock")
        );
        assert_eq!(
            n(Some("b"), None, None).pid_file().unwrap(),
            PathBuf::from("/run/vrrpd/b/vrrpd.pid")
        );
        assert_eq!(
            n(None, Some("x"), None).dump_file().unwrap(),
            PathBuf::from("/run/vrrpd/keepalived_x.data")
        );
        assert!(n(None, None, Some("a/b")).control().is_err());
        assert!(n(Some(".."), None, None).pid_file().is_err());
    }
}
