//! The unix control socket: one request line per connection, one reply (requests in
//! `super::commands`). The daemon side is a mio listener whose clients are served by
//! `super::conns`; the client side, [`request`], is what `vrrpd status` runs.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener as StdListener, UnixStream as StdStream};
use std::path::Path;
use std::time::Duration;

use mio::net::UnixListener;
use mio::{Interest, Registry, Token};
use nix::sys::socket::{
    bind, getsockopt, socket, sockopt::PeerCredentials, AddressFamily, Backlog, SockFlag, SockType,
    UnixAddr,
};
use nix::sys::stat::{fchmod, umask, Mode, SFlag};

use super::files::{self, Dir};

/// Default socket path.
pub const DEFAULT_PATH: &str = "/run/vrrpd/vrrpd.sock";

/// The listening side.
pub struct ControlSocket {
    listener: UnixListener,
    dir: Dir,
    name: OsString,
    /// The socket file we bound (device, inode): only that is removed on drop.
    id: Option<(u64, u64)>,
}

impl ControlSocket {
    /// Bind `path` and register it with `registry` under `token`. Refused if another daemon
    /// answers there or if something other than a socket is there; a socket nobody answers
    /// on (left by a crashed run) is replaced. The directory is checked as every file the
    /// daemon writes ([`files`]).
    pub fn bind(path: &Path, registry: &Registry, token: Token) -> io::Result<ControlSocket> {
        let (dir, name) = Dir::of(path)?;
        if let Some(st) = dir.lstat(name)? {
            if !files::is(&st, SFlag::S_IFSOCK) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: is {}, not a socket; refusing to replace it",
                        path.display(),
                        files::kind(&st)
                    ),
                ));
            }
            if StdStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{}: another vrrpd is running", path.display()),
                ));
            }
            dir.unlink(name)?;
        }
        let mut listener = UnixListener::from_std(bind_world_connectable(path)?);
        let id = dir.lstat(name)?.map(|st| files::file_id(&st));
        registry.register(&mut listener, token, Interest::READABLE)?;
        Ok(ControlSocket {
            listener,
            dir,
            name: name.to_owned(),
            id,
        })
    }

    /// Accept one waiting client (`None` when none waits), with its uid (SO_PEERCRED) when
    /// the kernel tells; the caller bounds how many per wakeup
    /// (`Conns::accept`).
    pub fn accept(&mut self) -> io::Result<Option<(mio::net::UnixStream, Option<u32>)>> {
        match self.listener.accept() {
            Ok((s, _)) => {
                let uid = getsockopt(&s, PeerCredentials).ok().map(|c| c.uid());
                Ok(Some((s, uid)))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.dir.unlink_if(&self.name, id);
        }
    }
}

/// A listening unix socket bound at `path`, connectable by every user (reading status needs
/// no root; the socket answers only read-only requests to others).
///
/// Nothing is chmodded by path (a path can be swapped for a symlink between bind and chmod):
/// Linux gives the new socket file the socket inode's mode less the umask (`unix_bind`), so
/// the mode is set on the unbound socket (fchmod) and the umask cleared around bind. Measured:
/// fchmod alone under umask 022 gives 0644, which others cannot connect to. The daemon is
/// single-threaded while it binds, so the umask change reaches no other file.
fn bind_world_connectable(path: &Path) -> io::Result<StdListener> {
    let what = |e: nix::errno::Errno| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("{}: {e}", path.display()),
        )
    };
    let fd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    )
    .map_err(what)?;
    fchmod(&fd, Mode::from_bits_truncate(0o666)).map_err(what)?;
    let addr = UnixAddr::new(path).map_err(what)?;
    let old = umask(Mode::empty());
    let bound = bind(fd.as_raw_fd(), &addr);
    umask(old);
    bound.map_err(what)?;
    nix::sys::socket::listen(&fd, Backlog::MAXCONN).map_err(what)?;
    Ok(StdListener::from(fd))
}

/// True if a client with `uid` may change the daemon's state: root, or the daemon's user.
pub fn privileged(uid: Option<u32>) -> bool {
    uid.is_some_and(|u| u == 0 || u == nix::unistd::geteuid().as_raw())
}

/// Client: send `request`, return the reply.
pub fn request(path: &Path, request: &str) -> io::Result<String> {
    let mut s = StdStream::connect(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(request.as_bytes())?;
    s.write_all(b"\n")?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    Ok(reply)
}
