//! Clients of the control socket and of the metrics endpoint, served from the event loop
//! without ever blocking it: each connection is a mio source of its own, read until its
//! request is complete, answered by non-blocking writes, and dropped if it takes longer
//! than [`CLIENT_TIMEOUT`] or sends more than [`MAX_REQUEST`] bytes. A client that connects
//! and says nothing costs a slot, not the protocol's time.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use log::warn;
use mio::event::Source;
use mio::{Interest, Registry, Token};

/// How long a client has to send its request and read the answer.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

/// Longest request accepted, bytes.
pub const MAX_REQUEST: usize = 8192;

/// A connected stream (unix or TCP).
pub trait Stream: Read + Write + Source {}
impl<T: Read + Write + Source> Stream for T {}

/// Which server a connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The control socket: a request line.
    Control,
    /// The metrics endpoint: an HTTP request head.
    Metrics,
}

impl Kind {
    fn complete(self, buf: &[u8]) -> bool {
        match self {
            Kind::Control => buf.contains(&b'\n'),
            Kind::Metrics => {
                buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n")
            }
        }
    }
}

enum State {
    Reading(Vec<u8>),
    Answering,
    Writing(Vec<u8>, usize),
}

struct Conn {
    stream: Box<dyn Stream>,
    kind: Kind,
    uid: Option<u32>,
    since: Instant,
    state: State,
}

/// A request ready for an answer ([`Conns::answer`]).
pub struct Request {
    /// The connection's slot.
    pub slot: usize,
    /// Which server.
    pub kind: Kind,
    /// The request bytes.
    pub bytes: Vec<u8>,
    /// The client's uid (control socket, SO_PEERCRED).
    pub uid: Option<u32>,
}

/// Every open client connection.
pub struct Conns {
    first: usize,
    slots: Vec<Option<Conn>>,
}

impl Conns {
    /// Room for `max` clients at once, with mio tokens from `first`.
    pub fn new(first: usize, max: usize) -> Conns {
        Conns {
            first,
            slots: (0..max).map(|_| None).collect(),
        }
    }

    /// True if `token` is one of ours.
    pub fn owns(&self, token: Token) -> bool {
        token.0 >= self.first && token.0 < self.first + self.slots.len()
    }

    /// Take a new client; when all slots are busy the oldest client is dropped for it.
    pub fn add(
        &mut self,
        registry: &Registry,
        mut stream: Box<dyn Stream>,
        kind: Kind,
        uid: Option<u32>,
    ) {
        let slot = match self.slots.iter().position(Option::is_none) {
            Some(slot) => slot,
            None => {
                let oldest = (0..self.slots.len())
                    .min_by_key(|&i| self.slots[i].as_ref().map(|c| c.since))
                    .unwrap_or(0);
                warn!(
                    "{kind:?}: {} clients open, the oldest dropped",
                    self.slots.len()
                );
                self.close(registry, oldest);
                oldest
            }
        };
        let token = Token(self.first + slot);
        if let Err(e) =
            registry.register(&mut *stream, token, Interest::READABLE | Interest::WRITABLE)
        {
            warn!("{kind:?}: register client: {e}");
            return;
        }
        self.slots[slot] = Some(Conn {
            stream,
            kind,
            uid,
            since: Instant::now(),
            state: State::Reading(Vec::new()),
        });
    }

    /// `token` is ready: read or write what can be without blocking. Returns the request
    /// once it is complete.
    pub fn on_event(&mut self, registry: &Registry, token: Token) -> Option<Request> {
        let slot = token.0.checked_sub(self.first)?;
        let conn = self.slots.get_mut(slot)?.as_mut()?;
        let State::Reading(buf) = &mut conn.state else {
            // Answering (the caller is about to answer) or writing (flushed below).
            self.flush(registry, slot);
            return None;
        };
        let open = match read_some(&mut *conn.stream, buf) {
            Ok(open) => open,
            Err(e) => {
                warn!("{:?}: client: {e}", conn.kind);
                self.close(registry, slot);
                return None;
            }
        };
        if conn.kind.complete(buf) {
            let bytes = std::mem::take(buf);
            conn.state = State::Answering;
            return Some(Request {
                slot,
                kind: conn.kind,
                bytes,
                uid: conn.uid,
            });
        }
        if !open || buf.len() > MAX_REQUEST {
            // Closed or too long before a complete request: nothing to answer.
            conn.state = State::Writing(Vec::new(), 0);
        }
        self.flush(registry, slot);
        None
    }

    /// Send `reply` to the client in `slot` (as far as possible now, the rest when it is
    /// writable), then close.
    pub fn answer(&mut self, registry: &Registry, slot: usize, reply: Vec<u8>) {
        if let Some(Some(conn)) = self.slots.get_mut(slot) {
            conn.state = State::Writing(reply, 0);
            self.flush(registry, slot);
        }
    }

    /// Drop clients older than [`CLIENT_TIMEOUT`].
    pub fn expire(&mut self, registry: &Registry, now: Instant) {
        for slot in 0..self.slots.len() {
            if self.slots[slot]
                .as_ref()
                .is_some_and(|c| now.duration_since(c.since) > CLIENT_TIMEOUT)
            {
                self.close(registry, slot);
            }
        }
    }

    /// When the oldest client times out.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.slots
            .iter()
            .flatten()
            .map(|c| c.since + CLIENT_TIMEOUT)
            .min()
    }

    /// Write what is pending; close when all is written (or the client is gone).
    fn flush(&mut self, registry: &Registry, slot: usize) {
        let Some(Some(conn)) = self.slots.get_mut(slot) else {
            return;
        };
        let State::Writing(data, off) = &mut conn.state else {
            return;
        };
        while *off < data.len() {
            match conn.stream.write(&data[*off..]) {
                Ok(0) => break,
                Ok(n) => *off += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.close(registry, slot);
    }

    fn close(&mut self, registry: &Registry, slot: usize) {
        if let Some(mut conn) = self.slots[slot].take() {
            let _ = registry.deregister(&mut *conn.stream);
        }
    }
}

/// Read until the stream would block; false if the peer closed its side.
fn read_some(stream: &mut dyn Stream, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut chunk = [0u8; 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > MAX_REQUEST {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
