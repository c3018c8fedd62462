//! A pidfd (`pidfd_open(2)`, Linux 5.3): a file descriptor that polls readable once its
//! process has exited, so a tracked process's death is seen at once, in the daemon's poll,
//! without a thread or a signal. It refers to that process only: a pid reused later is not
//! mistaken for it.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

/// An open pidfd.
#[derive(Debug)]
pub struct PidFd(OwnedFd);

impl PidFd {
    /// Open a pidfd for process `pid` (ESRCH: it is gone; ENOSYS: a kernel before 5.3).
    pub fn open(pid: i32) -> io::Result<PidFd> {
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1; no
        // memory is passed.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this descriptor, owned by nobody else.
        Ok(PidFd(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
    }

    /// Watch it in `registry` under `token` (readable: the process has exited).
    pub fn register(&self, registry: &Registry, token: Token) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(registry, token, Interest::READABLE)
    }

    /// Stop watching it (before it is closed).
    pub fn deregister(&self, registry: &Registry) {
        let _ = SourceFd(&self.0.as_raw_fd()).deregister(registry);
    }
}
