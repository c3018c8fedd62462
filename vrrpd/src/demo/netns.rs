//! Named network namespaces, made the way `ip netns add` makes them (a new namespace
//! bind-mounted on `/run/netns/NAME`), so `ip netns exec NAME ...` works on them while the
//! demo runs. Work inside one happens on a short-lived thread that has `setns`ed into it
//! (setns changes only the calling thread); sockets opened there stay in that namespace.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use vrrp_net::Netlink;

use super::error::DemoError;

/// Where `ip netns` keeps its namespaces.
pub const RUN_DIR: &str = "/run/netns";

/// A named network namespace we created; dropping it removes it (see [`NetNs::remove`]).
#[derive(Debug)]
pub struct NetNs {
    name: String,
    path: PathBuf,
    /// Open handle on the namespace (kept so it can be entered; closed on removal).
    file: Option<File>,
}

impl NetNs {
    /// Create namespace `name`. Fails if one of that name exists (it is someone else's).
    pub fn create(name: &str) -> Result<NetNs, DemoError> {
        let what = || format!("create namespace {name}");
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(DemoError::io(
                what(),
                io::Error::new(ErrorKind::InvalidInput, "bad namespace name"),
            ));
        }
        prepare_run_dir().map_err(|e| DemoError::io(what(), e))?;
        let path = Path::new(RUN_DIR).join(name);
        // The mount point, as ip makes it: an empty file, created exclusively.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o000)
            .open(&path)
            .map_err(|e| DemoError::io(what(), e))?;
        // From here on `ns` owns the path: an early return removes it again.
        let mut ns = NetNs {
            name: name.to_owned(),
            path,
            file: None,
        };
        let target = ns.path.clone();
        let bound = std::thread::scope(|s| {
            s.spawn(move || -> Result<(), Errno> {
                unshare(CloneFlags::CLONE_NEWNET)?;
                // thread-self, not self: only this thread is in the new namespace.
                mount(
                    Some("/proc/thread-self/ns/net"),
                    &target,
                    None::<&str>,
                    MsFlags::MS_BIND,
                    None::<&str>,
                )
            })
            .join()
        });
        match bound {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(DemoError::io(what(), e.into())),
            Err(_) => return Err(DemoError::Thread(what())),
        }
        ns.file = Some(File::open(&ns.path).map_err(|e| DemoError::io(what(), e))?);
        Ok(ns)
    }

    /// The namespace's name (as `ip netns list` shows it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `/run/netns/NAME`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The namespace's inode number (what `/proc/PID/ns/net` links to as `net:[INODE]`),
    /// or `None` once removed.
    pub fn inode(&self) -> Option<u64> {
        self.file.as_ref()?.metadata().ok().map(|m| m.ino())
    }

    /// A handle on the namespace, for IFLA_NET_NS_FD.
    pub fn fd(&self) -> Result<BorrowedFd<'_>, DemoError> {
        self.file()
            .map(|f| f.as_fd())
            .map_err(|e| DemoError::io(format!("use namespace {}", self.name), e))
    }

    /// A separate handle on the namespace (close-on-exec), e.g. for a child's `setns`.
    pub fn clone_fd(&self) -> Result<File, DemoError> {
        self.file()
            .and_then(File::try_clone)
            .map_err(|e| DemoError::io(format!("use namespace {}", self.name), e))
    }

    fn file(&self) -> io::Result<&File> {
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::new(ErrorKind::NotFound, "namespace removed"))
    }

    /// Run `f` on a fresh thread that has entered this namespace, and return its result.
    pub fn run<T: Send>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<T, DemoError> + Send,
    ) -> Result<T, DemoError> {
        let file = self.file().map_err(|e| DemoError::io(what, e))?;
        std::thread::scope(|s| {
            s.spawn(|| {
                setns(file, CloneFlags::CLONE_NEWNET)
                    .map_err(|e| DemoError::io(format!("{what}: enter {}", self.name), e.into()))?;
                f()
            })
            .join()
        })
        .unwrap_or_else(|_| Err(DemoError::Thread(what.to_owned())))
    }

    /// A netlink socket that works on this namespace (from any thread).
    pub fn netlink(&self) -> Result<Netlink, DemoError> {
        let what = format!("open netlink in {}", self.name);
        self.run(&what, || {
            Netlink::open().map_err(|e| DemoError::net(&what, e))
        })
    }

    /// Write `value` to `/proc/sys/KEY` inside this namespace (e.g.
    /// `net/ipv6/conf/all/accept_dad`).
    pub fn sysctl(&self, key: &str, value: &str) -> Result<(), DemoError> {
        let what = format!("set {key}={value} in {}", self.name);
        self.run(&what, || {
            fs::write(Path::new("/proc/sys").join(key), value).map_err(|e| DemoError::io(&what, e))
        })
    }

    /// Unmount and delete `/run/netns/NAME` and close our handle, as `ip netns del` does;
    /// the kernel frees the namespace (and its interfaces) once no process is left in it.
    /// Idempotent; returns what could not be done.
    pub fn remove(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        self.file = None;
        if self.path.as_os_str().is_empty() {
            return problems;
        }
        match umount2(&self.path, MntFlags::MNT_DETACH) {
            // EINVAL: not a mount point (already unmounted, or the bind never happened).
            Ok(()) | Err(Errno::EINVAL) | Err(Errno::ENOENT) => {}
            Err(e) => problems.push(format!("unmount {}: {e}", self.path.display())),
        }
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => problems.push(format!("remove {}: {e}", self.path.display())),
        }
        if problems.is_empty() {
            self.path = PathBuf::new();
        }
        problems
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        for p in self.remove() {
            say_err!("vrrpd demo: cleanup: {p}");
        }
    }
}

/// `/run/netns` exists and is a shared mount, so namespaces mounted there show up in other
/// mount namespaces too (what `ip netns add` arranges).
fn prepare_run_dir() -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(RUN_DIR)?;
    let shared = || {
        mount(
            Some(""),
            RUN_DIR,
            Some("none"),
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    match shared() {
        Ok(()) => Ok(()),
        // Not a mount point yet: bind it onto itself, then make that shared.
        Err(Errno::EINVAL) => {
            mount(
                Some(RUN_DIR),
                RUN_DIR,
                Some("none"),
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )?;
            shared().map_err(io::Error::from)
        }
        Err(e) => Err(e.into()),
    }
}

/// Remove namespaces named `STEM-PID-...` in `/run/netns` whose process PID is gone: what a
/// demo or test killed with SIGKILL left behind. Namespaces of live processes are not
/// touched. Returns the names removed.
pub fn sweep_stale(stem: &str) -> Vec<String> {
    let mut removed = Vec::new();
    let Ok(dir) = fs::read_dir(RUN_DIR) else {
        return removed;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !owner_is_gone(&name, stem) {
            continue;
        }
        let mut stale = NetNs {
            name: name.clone(),
            path: entry.path(),
            file: None,
        };
        if stale.remove().is_empty() {
            removed.push(name);
        }
    }
    removed
}

/// Whether `name` is `STEM-PID` or `STEM-PID-...` and process PID no longer exists.
pub(super) fn owner_is_gone(name: &str, stem: &str) -> bool {
    let pid = name
        .strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.split('-').next())
        .and_then(|pid| pid.parse::<u32>().ok());
    match pid {
        Some(pid) => !Path::new("/proc").join(pid.to_string()).exists(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::owner_is_gone;

    #[test]
    fn only_names_of_dead_processes_are_stale() {
        let me = std::process::id();
        assert!(!owner_is_gone(&format!("vrrpdemo-{me}-a"), "vrrpdemo"));
        assert!(!owner_is_gone(&format!("vrrpdemo-{me}"), "vrrpdemo"));
        assert!(!owner_is_gone("vrrpdemo-x-a", "vrrpdemo"));
        assert!(!owner_is_gone("other-1-a", "vrrpdemo"));
        assert!(!owner_is_gone("vrrpdemox-1-a", "vrrpdemo"));
        // Above the kernel's PID_MAX_LIMIT (4194304): no such process can exist.
        assert!(owner_is_gone("vrrpdemo-99999999-a", "vrrpdemo"));
    }
}
