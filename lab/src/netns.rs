//! Named network namespaces, made the way `ip netns add` makes them (a new namespace
//! bind-mounted on `/run/netns/NAME`), so `ip netns exec NAME ...` works on them. Work
//! inside one from Rust happens on a short-lived thread that has `setns`ed into it (setns
//! changes only the calling thread); sockets opened there stay in that namespace.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

use crate::{in_netns, ip, run, Cidr, LabError, LINK_WAIT};

/// Where `ip netns` keeps its namespaces.
pub const RUN_DIR: &str = "/run/netns";

/// Per-process counter for [`Netns::unique`].
static NEXT: AtomicU32 = AtomicU32::new(0);

/// `STEM-PID-N`, N counting up within this process: a name no other lab uses, that
/// [`sweep_stale`] and [`crate::sweep_stale_dirs`] recognise once PID is gone.
pub fn unique_name(stem: &str) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{stem}-{}-{n}", std::process::id())
}

/// A named network namespace we created; dropping it removes it (see [`Netns::remove`]).
#[derive(Debug)]
pub struct Netns {
    name: String,
    path: PathBuf,
    /// Open handle on the namespace (kept so it can be entered; closed on removal).
    file: Option<File>,
}

impl Netns {
    /// Create namespace `STEM-PID-N`, N counting up within this process: unique among
    /// the tests of one binary and across processes. [`sweep_stale`] recognises it.
    pub fn unique(stem: &str) -> Result<Netns, LabError> {
        Netns::create(&unique_name(stem))
    }

    /// Create namespace `name`. Fails if one of that name exists (it is someone else's).
    pub fn create(name: &str) -> Result<Netns, LabError> {
        let what = || format!("create namespace {name}");
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(LabError::io(
                what(),
                io::Error::new(ErrorKind::InvalidInput, "bad namespace name"),
            ));
        }
        prepare_run_dir().map_err(|e| LabError::io(what(), e))?;
        let path = Path::new(RUN_DIR).join(name);
        // The mount point, as ip makes it: an empty file, created exclusively.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o000)
            .open(&path)
            .map_err(|e| LabError::io(what(), e))?;
        // From here on `ns` owns the path: an early return removes it again.
        let mut ns = Netns {
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
            Ok(Err(e)) => return Err(LabError::io(what(), e.into())),
            Err(_) => return Err(LabError::Thread(what())),
        }
        ns.file = Some(File::open(&ns.path).map_err(|e| LabError::io(what(), e))?);
        ns.ip(&["link", "set", "lo", "up"])?;
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

    /// A separate handle on the namespace (close-on-exec), e.g. for a child's `setns`.
    pub fn clone_fd(&self) -> Result<File, LabError> {
        self.file()
            .and_then(File::try_clone)
            .map_err(|e| LabError::io(format!("use namespace {}", self.name), e))
    }

    fn file(&self) -> io::Result<&File> {
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::new(ErrorKind::NotFound, "namespace removed"))
    }

    /// Run `f` on a fresh thread that has entered this namespace, and return its result.
    /// A panic in `f` is passed on to the caller.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, LabError> {
        let what = format!("enter {}", self.name);
        let file = self.file().map_err(|e| LabError::io(&what, e))?;
        std::thread::scope(|s| {
            s.spawn(|| {
                setns(file, CloneFlags::CLONE_NEWNET).map_err(|e| LabError::io(&what, e.into()))?;
                Ok(f())
            })
            .join()
        })
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    }

    /// `ip -n NAME ARGS`; its stdout.
    pub fn ip(&self, args: &[&str]) -> Result<String, LabError> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// A [`Command`] that runs `program` inside this namespace (see [`in_netns`]).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        in_netns(&self.name, program)
    }

    /// `ip netns exec NAME ARGV...` to completion; its stdout.
    pub fn exec(&self, argv: &[&str]) -> Result<String, LabError> {
        let mut all = vec!["ip", "netns", "exec", self.name.as_str()];
        all.extend_from_slice(argv);
        run(&all)
    }

    /// Write `value` to `/proc/sys/KEY` inside this namespace (e.g.
    /// `net/ipv6/conf/all/accept_dad`).
    pub fn sysctl(&self, key: &str, value: &str) -> Result<(), LabError> {
        let what = format!("set {key}={value} in {}", self.name);
        self.run(|| fs::write(Path::new("/proc/sys").join(key), value))?
            .map_err(|e| LabError::io(what, e))
    }

    /// IPv6 duplicate address detection off for interfaces made from now on (and for
    /// all): addresses are usable at once.
    pub fn no_dad(&self) -> Result<(), LabError> {
        for key in ["all", "default"] {
            self.sysctl(&format!("net/ipv6/conf/{key}/accept_dad"), "0")?;
        }
        Ok(())
    }

    /// Create veth pair `name` (here) — `peer_name` (in namespace `peer`), both down.
    pub fn veth(&self, name: &str, peer: &Netns, peer_name: &str) -> Result<(), LabError> {
        self.ip(&[
            "link", "add", name, "type", "veth", "peer", "name", peer_name, "netns", &peer.name,
        ])
        .map(drop)
    }

    /// Create veth pair `name` — `peer_name`, both ends here, both down.
    pub fn veth_local(&self, name: &str, peer_name: &str) -> Result<(), LabError> {
        self.ip(&[
            "link", "add", name, "type", "veth", "peer", "name", peer_name,
        ])
        .map(drop)
    }

    /// Create bridge `name` (no STP: ports forward at once), down.
    pub fn bridge(&self, name: &str) -> Result<(), LabError> {
        self.ip(&["link", "add", name, "type", "bridge"]).map(drop)
    }

    /// Make `port` a port of bridge `bridge`.
    pub fn set_master(&self, port: &str, bridge: &str) -> Result<(), LabError> {
        self.ip(&["link", "set", port, "master", bridge]).map(drop)
    }

    /// Set link `dev` administratively up or down.
    pub fn set_link(&self, dev: &str, up: bool) -> Result<(), LabError> {
        let state = if up { "up" } else { "down" };
        self.ip(&["link", "set", dev, state]).map(drop)
    }

    /// Add `cidr` (documentation ranges only) to `dev`; IPv6 without DAD.
    pub fn add_addr(&self, dev: &str, cidr: &str) -> Result<(), LabError> {
        let c: Cidr = cidr.parse()?;
        let c = c.to_string();
        let mut args = vec!["addr", "add", c.as_str(), "dev", dev];
        if cidr.contains(':') {
            args.push("nodad");
        }
        self.ip(&args).map(drop)
    }

    /// Whether `dev` has address `cidr` (as `ip` writes it, e.g. `192.0.2.100/24`). A
    /// missing device has none.
    pub fn has_addr(&self, dev: &str, cidr: &str) -> bool {
        has_addr(&self.name, dev, cidr)
    }

    /// Whether link `dev` reports operstate UP (up with carrier).
    pub fn link_up(&self, dev: &str) -> Result<bool, LabError> {
        Ok(self
            .ip(&["-o", "link", "show", "dev", dev])?
            .contains("state UP"))
    }

    /// Wait (at most [`LINK_WAIT`]) until `dev` is up with carrier: packets sent before
    /// the kernel activates the link are dropped.
    pub fn wait_up(&self, dev: &str) -> Result<(), LabError> {
        let end = Instant::now() + LINK_WAIT;
        while !self.link_up(dev)? {
            if Instant::now() > end {
                return Err(LabError::Timeout {
                    what: format!("{dev} in {}", self.name),
                    secs: LINK_WAIT.as_secs_f64(),
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Ok(())
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

impl Drop for Netns {
    fn drop(&mut self) {
        for p in self.remove() {
            // Not eprintln!: it panics when stderr is gone, and this runs during cleanup.
            let _ = writeln!(std::io::stderr(), "vrrp-lab: cleanup: {p}");
        }
    }
}

/// Whether `dev` in namespace `ns` (by name) has address `cidr`. A missing device or
/// namespace has none.
pub fn has_addr(ns: &str, dev: &str, cidr: &str) -> bool {
    ip(&["-n", ns, "-o", "addr", "show", "dev", dev])
        .is_ok_and(|out| out.split_whitespace().any(|w| w == cidr))
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
        let mut stale = Netns {
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
pub fn owner_is_gone(name: &str, stem: &str) -> bool {
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
    use super::{owner_is_gone, Netns};
    use crate::Skip;

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

    #[test]
    fn bad_names_are_refused() {
        for bad in ["", "a/b", ".", ".."] {
            assert!(Netns::create(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn unique_names_differ_and_are_removed_on_drop() {
        if !Skip::check("unique_names_differ_and_are_removed_on_drop")
            .root("network namespaces")
            .ok()
        {
            return;
        }
        let x = Netns::unique("vrrplabu").unwrap();
        let y = Netns::unique("vrrplabu").unwrap();
        assert_ne!(x.name(), y.name());
        assert!(x
            .name()
            .starts_with(&format!("vrrplabu-{}-", std::process::id())));
        assert_ne!(x.inode(), y.inode());
        let path = x.path().to_owned();
        assert!(path.exists());
        drop(x);
        assert!(!path.exists(), "{} left behind", path.display());
        // Outside the documentation ranges: refused before anything is run.
        assert!(y.add_addr("lo", "10.0.0.1/8").is_err());
    }
}
