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

    /// Accept every waiting client and answer each with `answer(request)`.
    pub fn serve(&mut self, mut answer: impl FnMut(&str) -> String) {
        loop {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    warn!("control socket: accept: {e}");
                    return;
                }
            };
            if let Err(e) = serve_one(stream, &mut answer) {
                warn!("control socket: client: {e}");
            }
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn serve_one(
    stream: mio::net::UnixStream,
    answer: &mut impl FnMut(&str) -> String,
) -> io::Result<()> {
    let std_stream = StdStream::from(std::os::fd::OwnedFd::from(stream));
    std_stream.set_nonblocking(false)?;
    std_stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    std_stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut line = String::new();
    BufReader::new((&std_stream).take(MAX_REQUEST)).read_line(&mut line)?;
    let reply = answer(line.trim());
    (&std_stream).write_all(reply.as_bytes())?;
    (&std_stream).write_all(b"\n")
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
