//! The unix control socket: one request line per connection, one reply (requests in
//! [`super::commands`]). The daemon side is a mio listener whose clients are served by
//! [`super::conns`]; the client side, [`request`], is what `vrrpd status` runs.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream as StdStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mio::net::UnixListener;
use mio::{Interest, Registry, Token};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

/// Default socket path.
pub const DEFAULT_PATH: &str = "/run/vrrpd/vrrpd.sock";

/// The listening side.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ControlSocket {
    /// Bind `path` (refusing if another daemon answers there; a stale socket file from a
    /// crashed run is replaced) and register it with `registry` under `token`.
    pub fn bind(path: &Path, registry: &Registry, token: Token) -> io::Result<ControlSocket> {
        if path.exists() {
            if StdStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{}: another vrrpd is running", path.display()),
                ));
            }
            std::fs::remove_file(path)?;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut listener = UnixListener::bind(path)?;
        // Reading status needs no root: the socket is world-connectable, and it only
        // answers read-only requests.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
        registry.register(&mut listener, token, Interest::READABLE)?;
        Ok(ControlSocket {
            listener,
            path: path.to_owned(),
        })
    }

    /// Accept one waiting client (`None` when none waits), with its uid (SO_PEERCRED) when
    /// the kernel tells; the caller bounds how many per wakeup
    /// ([`super::conns::Conns::accept`]).
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
        let _ = std::fs::remove_file(&self.path);
    }
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
