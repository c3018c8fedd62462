//! The unix control socket: one request line per connection, one reply. Requests:
//! `status` (the JSON of [`super::status::Status`]). The daemon side is a mio listener served
//! from the event loop; the client side is what `vrrpd status` runs.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream as StdStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use log::warn;
use mio::net::UnixListener;
use mio::{Interest, Registry, Token};

/// Default socket path.
pub const DEFAULT_PATH: &str = "/run/vrrpd/vrrpd.sock";

/// Longest request accepted, bytes.
const MAX_REQUEST: u64 = 4096;

/// How long one client may take to send its request before it is dropped.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(200);

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

    /// Accept every waiting client and read its request line (a client that sends nothing
    /// within a short time is dropped). Answer each with [`Request::reply`].
    pub fn accept(&mut self) -> Vec<Request> {
        let mut out = Vec::new();
        loop {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return out,
                Err(e) => {
                    warn!("control socket: accept: {e}");
                    return out;
                }
            };
            match read_request(stream) {
                Ok(r) => out.push(r),
                Err(e) => warn!("control socket: client: {e}"),
            }
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One client's request.
pub struct Request {
    stream: StdStream,
    /// The request line, trimmed.
    pub line: String,
    /// The client's uid (SO_PEERCRED), if the kernel told.
    pub uid: Option<u32>,
}

impl Request {
    /// True if the client may change the daemon's state: root, or the daemon's own user.
    pub fn privileged(&self) -> bool {
        self.uid
            .is_some_and(|u| u == 0 || u == nix::unistd::geteuid().as_raw())
    }

    /// Send the reply and close.
    pub fn reply(self, text: &str) {
        let mut s = &self.stream;
        if let Err(e) = s
            .write_all(text.as_bytes())
            .and_then(|()| s.write_all(b"\n"))
        {
            warn!("control socket: reply: {e}");
        }
    }
}

fn read_request(stream: mio::net::UnixStream) -> io::Result<Request> {
    let stream = StdStream::from(std::os::fd::OwnedFd::from(stream));
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let uid = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
        .ok()
        .map(|c| c.uid());
    let mut line = String::new();
    BufReader::new((&stream).take(MAX_REQUEST)).read_line(&mut line)?;
    Ok(Request {
        stream,
        line: line.trim().to_owned(),
        uid,
    })
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
