//! Clients of the control socket and of the metrics endpoint, served from the event loop
//! without ever blocking it: each connection is a mio source of its own, read until its
//! request is complete, answered by non-blocking writes, and dropped if it takes longer
//! than [`CLIENT_TIMEOUT`] or sends more than [`MAX_REQUEST`] bytes.
//!
//! Each server has its own pool ([`Conns`]) with its own [`Limits`], so a flood of one never
//! takes the other's slots. In the control pool some slots and some reply memory are kept for
//! privileged peers (root and the daemon's user, known from SO_PEERCRED at accept): an
//! unprivileged client that finds its share full is closed at once, and a privileged one that
//! finds the pool full drops the oldest unprivileged client, never the reverse (with only
//! privileged clients open, the oldest of them). Replies not yet
//! sent are held within a byte budget; a reply that would pass it is replaced by a short error.
//! Every refusal is counted, and the warnings about them are rate-limited.

use std::fmt;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use super::rate_limit::RateLimit;
use log::warn;
use mio::event::Source;
use mio::{Interest, Registry, Token};

use super::control::privileged;
use super::status::ClientCounters;

/// How long a client has to send its request and read the answer.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

/// Longest request accepted, bytes.
pub const MAX_REQUEST: usize = 8192;

/// Connections taken from a listener per wakeup; more wait in its backlog for the next turn
/// (see [`Conns::backlog`]), so a connect flood cannot hold the event loop in accept().
pub const ACCEPT_BATCH: usize = 32;

/// Warnings about refused, evicted or failing clients: at most this many per
/// [`LOG_WINDOW`] and pool, then one line saying how many were suppressed.
const LOG_BURST: u32 = 5;
const LOG_WINDOW: Duration = Duration::from_secs(10);

/// The bounds of one pool.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Clients open at once.
    pub slots: usize,
    /// Of those, slots only privileged clients may take.
    pub privileged_slots: usize,
    /// Bytes of replies not yet sent, all clients together.
    pub budget: usize,
    /// Of those, bytes only replies to privileged clients may use.
    pub privileged_budget: usize,
}

/// The control socket: 64 clients, 16 of the slots and 4 of the 8 MiB of reply memory kept
/// for root and the daemon's user (a `status` reply at 1000 instances is about 1 MB).
pub const CONTROL: Limits = Limits {
    slots: 64,
    privileged_slots: 16,
    budget: 8 << 20,
    privileged_budget: 4 << 20,
};

/// The metrics endpoint: 32 clients, 8 MiB of replies (a scrape at 1000 instances is about
/// 2.4 MB, so three slow scrapers at once); nobody is privileged there.
pub const METRICS: Limits = Limits {
    slots: 32,
    privileged_slots: 0,
    budget: 8 << 20,
    privileged_budget: 0,
};

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

    /// The short answer sent instead of a reply that would pass the budget.
    fn busy(self) -> Vec<u8> {
        const WHY: &str = "busy: too many replies waiting to be read";
        match self {
            Kind::Control => format!("{}\n", serde_json::json!({ "error": WHY })).into_bytes(),
            Kind::Metrics => {
                super::metrics::response("503 Service Unavailable", &format!("{WHY}\n"))
            }
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Control => "control socket",
            Kind::Metrics => "metrics",
        })
    }
}

enum State {
    Reading(Vec<u8>),
    Answering,
    Writing(Vec<u8>, usize),
}

struct Conn {
    stream: Box<dyn Stream>,
    privileged: bool,
    uid: Option<u32>,
    since: Instant,
    state: State,
}

/// A request ready for an answer ([`Conns::answer`]).
pub struct Request {
    /// The connection's slot in its pool.
    pub slot: usize,
    /// Which server.
    pub kind: Kind,
    /// The request bytes.
    pub bytes: Vec<u8>,
    /// Root or the daemon's user (control socket, SO_PEERCRED).
    pub privileged: bool,
}

/// Where a new client goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admit {
    /// A free slot.
    Slot(usize),
    /// The slot of an unprivileged client, dropped for a privileged one.
    Evict(usize),
    /// No room: closed at once.
    Refuse,
}

/// The open clients of one server.
pub struct Conns {
    kind: Kind,
    first: usize,
    limits: Limits,
    slots: Vec<Option<Conn>>,
    /// Unprivileged clients open.
    unprivileged: usize,
    /// Bytes held in unsent replies: all of them, and those to unprivileged clients.
    held: usize,
    held_unprivileged: usize,
    /// The last accept stopped at [`ACCEPT_BATCH`]: the listener may hold more.
    backlog: bool,
    counters: ClientCounters,
    log: RateLimit,
}

impl Conns {
    /// A pool for `kind`'s clients within `limits`, with mio tokens from `first`.
    pub fn new(kind: Kind, first: usize, limits: Limits) -> Conns {
        Conns {
            kind,
            first,
            limits,
            slots: (0..limits.slots).map(|_| None).collect(),
            unprivileged: 0,
            held: 0,
            held_unprivileged: 0,
            backlog: false,
            counters: ClientCounters::default(),
            log: RateLimit::new(LOG_BURST, LOG_WINDOW),
        }
    }

    /// True if `token` is one of ours.
    pub fn owns(&self, token: Token) -> bool {
        token.0 >= self.first && token.0 < self.first + self.slots.len()
    }

    /// Take up to [`ACCEPT_BATCH`] new clients from `next` (a listener's accept: `Ok(None)`
    /// when it has no more, with the peer's uid when known).
    pub fn accept<S: Stream + 'static>(
        &mut self,
        registry: &Registry,
        mut next: impl FnMut() -> io::Result<Option<(S, Option<u32>)>>,
    ) {
        self.backlog = false;
        for _ in 0..ACCEPT_BATCH {
            match next() {
                Ok(Some((stream, uid))) => self.add(registry, Box::new(stream), uid),
                Ok(None) => return,
                Err(e) => {
                    self.warn(format_args!("accept: {e}"));
                    return;
                }
            }
        }
        self.backlog = true;
    }

    /// True if the last [`Conns::accept`] left clients in the listener's backlog: accept
    /// again on the next turn (no new readiness event will say so).
    pub fn backlog(&self) -> bool {
        self.backlog
    }

    /// Take a new client, or refuse it (see the module doc).
    fn add(&mut self, registry: &Registry, mut stream: Box<dyn Stream>, uid: Option<u32>) {
        let privileged = privileged(uid);
        self.counters.accepted += 1;
        let slot = match self.admit(privileged) {
            Admit::Slot(slot) => slot,
            Admit::Evict(slot) => {
                self.counters.evicted += 1;
                let victim = show_uid(self.slots[slot].as_ref().and_then(|c| c.uid));
                let open = self.open();
                self.warn(format_args!(
                    "{open} clients open, the oldest (uid {victim}) dropped for privileged uid {}",
                    show_uid(uid)
                ));
                self.close(registry, slot);
                slot
            }
            Admit::Refuse => {
                self.counters.refused += 1;
                let (open, unprivileged) = (self.open(), self.unprivileged);
                match self.kind {
                    Kind::Control => self.warn(format_args!(
                        "{open} clients open, {unprivileged} unprivileged: a client (uid {}) \
                         refused",
                        show_uid(uid)
                    )),
                    Kind::Metrics => {
                        self.warn(format_args!("{open} clients open: a client refused"))
                    }
                }
                return; // dropping the stream closes it
            }
        };
        let token = Token(self.first + slot);
        if let Err(e) =
            registry.register(&mut *stream, token, Interest::READABLE | Interest::WRITABLE)
        {
            self.warn(format_args!("register client: {e}"));
            return;
        }
        if !privileged {
            self.unprivileged += 1;
        }
        self.slots[slot] = Some(Conn {
            stream,
            privileged,
            uid,
            since: Instant::now(),
            state: State::Reading(Vec::new()),
        });
    }

    /// The policy: an unprivileged client gets a free slot within its share or nothing; a
    /// privileged one gets a free slot, else the oldest unprivileged client's, else (only
    /// privileged clients open: root flooding itself) the oldest privileged client's.
    fn admit(&self, privileged: bool) -> Admit {
        let free = self.slots.iter().position(Option::is_none);
        if !privileged {
            let share = self.limits.slots - self.limits.privileged_slots;
            return match free {
                Some(slot) if self.unprivileged < share => Admit::Slot(slot),
                _ => Admit::Refuse,
            };
        }
        if let Some(slot) = free {
            return Admit::Slot(slot);
        }
        let oldest = |privileged: bool| {
            (0..self.slots.len())
                .filter(|&i| {
                    self.slots[i]
                        .as_ref()
                        .is_some_and(|c| c.privileged == privileged)
                })
                .min_by_key(|&i| self.slots[i].as_ref().map(|c| c.since))
        };
        oldest(false)
            .or_else(|| oldest(true))
            .map_or(Admit::Refuse, Admit::Evict)
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
                self.warn(format_args!("client: {e}"));
                self.close(registry, slot);
                return None;
            }
        };
        if self.kind.complete(buf) {
            let bytes = std::mem::take(buf);
            conn.state = State::Answering;
            return Some(Request {
                slot,
                kind: self.kind,
                bytes,
                privileged: conn.privileged,
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
    /// writable), then close. A reply that would pass the budget of unsent bytes is replaced
    /// by a short error (HTTP 503 for metrics), and counted.
    pub fn answer(&mut self, registry: &Registry, slot: usize, mut reply: Vec<u8>) {
        let Some(Some(conn)) = self.slots.get(slot) else {
            return;
        };
        let privileged = conn.privileged;
        reply.shrink_to_fit();
        if !self.fits(privileged, reply.capacity()) {
            self.counters.over_budget += 1;
            let (held, len) = (self.held, reply.len());
            self.warn(format_args!(
                "{held} bytes of replies wait to be sent; a {len}-byte reply would pass the \
                 budget: answered busy"
            ));
            reply = self.kind.busy();
            if !self.fits(privileged, reply.capacity()) {
                self.close(registry, slot);
                return;
            }
        }
        self.held += reply.capacity();
        if !privileged {
            self.held_unprivileged += reply.capacity();
        }
        if let Some(Some(conn)) = self.slots.get_mut(slot) {
            conn.state = State::Writing(reply, 0);
        }
        self.flush(registry, slot);
    }

    /// May a reply of `bytes` more be held for a client?
    fn fits(&self, privileged: bool, bytes: usize) -> bool {
        let all = self.held + bytes <= self.limits.budget;
        let share = self.limits.budget - self.limits.privileged_budget;
        all && (privileged || self.held_unprivileged + bytes <= share)
    }

    /// Drop clients older than [`CLIENT_TIMEOUT`].
    pub fn expire(&mut self, registry: &Registry, now: Instant) {
        for slot in 0..self.slots.len() {
            if self.slots[slot]
                .as_ref()
                .is_some_and(|c| now.duration_since(c.since) > CLIENT_TIMEOUT)
            {
                self.counters.timed_out += 1;
                self.close(registry, slot);
            }
        }
    }

    /// When the loop must come back: the oldest client's timeout, or now when clients wait
    /// in the listener's backlog.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.backlog {
            return Some(Instant::now());
        }
        self.slots
            .iter()
            .flatten()
            .map(|c| c.since + CLIENT_TIMEOUT)
            .min()
    }

    /// The counters, with the clients open and the reply bytes held now.
    pub fn counters(&self) -> ClientCounters {
        ClientCounters {
            open: self.open() as u64,
            reply_bytes: self.held as u64,
            ..self.counters
        }
    }

    /// A warning a client can cause: rate-limited, with the count of those suppressed.
    pub fn warn(&mut self, what: fmt::Arguments<'_>) {
        if let Some(suppressed) = self.log.allow(Instant::now()) {
            warn!("{}: {what}{suppressed}", self.kind);
        }
    }

    fn open(&self) -> usize {
        self.slots.iter().flatten().count()
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

    /// Close the client in `slot`, releasing its share of the counts.
    fn close(&mut self, registry: &Registry, slot: usize) {
        let Some(mut conn) = self.slots[slot].take() else {
            return;
        };
        let _ = registry.deregister(&mut *conn.stream);
        if let State::Writing(data, _) = &conn.state {
            self.held -= data.capacity();
            if !conn.privileged {
                self.held_unprivileged -= data.capacity();
            }
        }
        if !conn.privileged {
            self.unprivileged -= 1;
        }
    }
}

fn show_uid(uid: Option<u32>) -> String {
    uid.map_or_else(|| "unknown".to_owned(), |u| u.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream as StdStream;

    /// Root, whatever user runs the tests.
    const ROOT: Option<u32> = Some(0);
    /// A uid that is neither root nor (in any sane test run) the test's own user.
    const USER: Option<u32> = Some(u32::MAX - 7);

    const SMALL: Limits = Limits {
        slots: 4,
        privileged_slots: 2,
        budget: 8 << 20,
        privileged_budget: 4 << 20,
    };

    /// A connected pair: one end offered to `pool` as a client with `uid`, the other (the
    /// client's side, non-blocking) returned.
    fn connect(pool: &mut Conns, registry: &Registry, uid: Option<u32>) -> StdStream {
        let (ours, theirs) = StdStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        theirs.set_nonblocking(true).unwrap();
        let mut once = Some((mio::net::UnixStream::from_std(ours), uid));
        pool.accept(registry, || Ok(once.take()));
        // Distinct arrival times, so "oldest" is well defined.
        std::thread::sleep(Duration::from_millis(1));
        theirs
    }

    /// True if the daemon's side of `s` is closed (EOF or reset), false if it is open and
    /// quiet.
    fn closed(s: &mut StdStream) -> bool {
        let mut b = [0u8; 64];
        loop {
            match s.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
    }

    /// Everything the daemon sent on `s` until it closed.
    fn read_all(s: &mut StdStream) -> Vec<u8> {
        s.set_nonblocking(false).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    }

    /// Send a request on `s` and let the pool read it from `slot`.
    fn request(pool: &mut Conns, registry: &Registry, s: &mut StdStream, slot: usize) -> Request {
        s.write_all(b"status\n").unwrap();
        pool.on_event(registry, Token(pool.first + slot)).unwrap()
    }

    #[test]
    fn an_unprivileged_client_beyond_its_share_is_refused_and_evicts_nobody() {
        let poll = mio::Poll::new().unwrap();
        let r = poll.registry();
        let mut pool = Conns::new(Kind::Control, 100, SMALL);
        let mut a = connect(&mut pool, r, USER);
        let mut b = connect(&mut pool, r, USER);
        // The share (4 slots, 2 kept for privileged) is full: the third is closed at once.
        let mut c = connect(&mut pool, r, USER);
        assert!(closed(&mut c));
        assert!(!closed(&mut a) && !closed(&mut b), "nobody evicted");
        let n = pool.counters();
        assert_eq!((n.open, n.accepted, n.refused, n.evicted), (2, 3, 1, 0));
        // The slots kept for privileged peers are still free for root.
        let mut root = connect(&mut pool, r, ROOT);
        assert!(!closed(&mut root));
        assert_eq!(pool.counters().open, 3);
    }

    #[test]
    fn a_privileged_client_finding_the_pool_full_evicts_the_oldest_unprivileged_one() {
        let poll = mio::Poll::new().unwrap();
        let r = poll.registry();
        let mut pool = Conns::new(Kind::Control, 100, SMALL);
        let mut old = connect(&mut pool, r, USER);
        let mut young = connect(&mut pool, r, USER);
        let mut roots: Vec<StdStream> = (0..2).map(|_| connect(&mut pool, r, ROOT)).collect();
        assert_eq!(pool.counters().open, 4);
        // Full: a third privileged client takes the oldest unprivileged client's slot...
        roots.push(connect(&mut pool, r, ROOT));
        assert!(closed(&mut old));
        assert!(!closed(&mut young));
        // ...then the other's...
        roots.push(connect(&mut pool, r, ROOT));
        assert!(closed(&mut young));
        // An unprivileged client now finds no room and evicts nobody.
        let mut user = connect(&mut pool, r, USER);
        assert!(closed(&mut user));
        assert!(
            roots.iter_mut().all(|s| !closed(s)),
            "no privileged client evicted"
        );
        // With only privileged clients open (root flooding itself), the newest root wins.
        let mut late = connect(&mut pool, r, ROOT);
        assert!(!closed(&mut late));
        assert!(closed(&mut roots[0]));
        let n = pool.counters();
        assert_eq!((n.open, n.evicted, n.refused), (4, 3, 1));
    }

    #[test]
    fn the_metrics_pool_refuses_when_full() {
        let poll = mio::Poll::new().unwrap();
        let r = poll.registry();
        let limits = Limits {
            slots: 2,
            privileged_slots: 0,
            budget: 1 << 20,
            privileged_budget: 0,
        };
        let mut pool = Conns::new(Kind::Metrics, 100, limits);
        let mut open: Vec<StdStream> = (0..2).map(|_| connect(&mut pool, r, None)).collect();
        let mut third = connect(&mut pool, r, None);
        assert!(closed(&mut third));
        assert!(open.iter_mut().all(|s| !closed(s)));
        assert_eq!(pool.counters().refused, 1);
    }

    #[test]
    fn replies_past_the_budget_get_a_short_error_and_the_memory_comes_back() {
        let poll = mio::Poll::new().unwrap();
        let r = poll.registry();
        let mut pool = Conns::new(Kind::Control, 100, SMALL);
        // Clients that send a request and do not read: a 3 MB reply stays mostly unsent.
        let big = || vec![b'x'; 3 << 20];
        let mut a = connect(&mut pool, r, USER);
        let mut b = connect(&mut pool, r, USER);
        let ra = request(&mut pool, r, &mut a, 0);
        assert!(!ra.privileged);
        pool.answer(r, ra.slot, big());
        let held = pool.counters().reply_bytes;
        assert!(held > 2 << 20 && held <= 4 << 20, "{held}");
        // A second one would pass the unprivileged share (4 of the 8 MiB): busy instead.
        let rb = request(&mut pool, r, &mut b, 1);
        pool.answer(r, rb.slot, big());
        let busy = String::from_utf8(read_all(&mut b)).unwrap();
        assert!(
            busy.contains("\"error\"") && busy.contains("busy"),
            "{busy}"
        );
        assert_eq!(pool.counters().over_budget, 1);
        // Root's reply fits in what is kept for privileged peers...
        let mut root = connect(&mut pool, r, ROOT);
        let rr = request(&mut pool, r, &mut root, 1);
        assert!(rr.privileged);
        pool.answer(r, rr.slot, big());
        assert_eq!(pool.counters().over_budget, 1);
        // ...but not a second one past the whole budget.
        let mut root2 = connect(&mut pool, r, ROOT);
        let rr2 = request(&mut pool, r, &mut root2, 2);
        pool.answer(r, rr2.slot, big());
        assert_eq!(pool.counters().over_budget, 2);
        assert!(pool.counters().reply_bytes <= SMALL.budget as u64);
        // Timed out, the unread replies are dropped and their memory released.
        pool.expire(
            r,
            Instant::now() + CLIENT_TIMEOUT + Duration::from_millis(10),
        );
        let n = pool.counters();
        assert_eq!((n.open, n.reply_bytes, n.timed_out), (0, 0, 2));
        assert!(closed(&mut a) && closed(&mut root));
    }

    #[test]
    fn a_metrics_reply_past_the_budget_is_an_http_503() {
        let poll = mio::Poll::new().unwrap();
        let r = poll.registry();
        let limits = Limits {
            slots: 4,
            privileged_slots: 0,
            budget: 1 << 20,
            privileged_budget: 0,
        };
        let mut pool = Conns::new(Kind::Metrics, 100, limits);
        let mut s = connect(&mut pool, r, None);
        s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
        let req = pool.on_event(r, Token(100)).unwrap();
        pool.answer(r, req.slot, vec![b'x'; 2 << 20]);
        let reply = String::from_utf8(read_all(&mut s)).unwrap();
        assert!(reply.starts_with("HTTP/1.1 503 "), "{reply}");
        assert_eq!(pool.counters().over_budget, 1);
    }

    #[test]
    fn accept_takes_a_bounded_batch_and_asks_to_come_back() {
        let poll = mio::Poll::new().unwrap();
        let r = poll.registry();
        let mut pool = Conns::new(Kind::Control, 100, CONTROL);
        let mut calls = 0;
        // A listener that never runs dry (a flood faster than we accept).
        pool.accept(r, || {
            calls += 1;
            let (ours, _theirs) = StdStream::pair()?;
            ours.set_nonblocking(true)?;
            Ok(Some((mio::net::UnixStream::from_std(ours), USER)))
        });
        assert_eq!(calls, ACCEPT_BATCH);
        assert!(pool.backlog());
        assert!(pool.next_deadline().unwrap() <= Instant::now());
        // Drained: no backlog.
        let mut none = || Ok(None::<(mio::net::UnixStream, Option<u32>)>);
        pool.accept(r, &mut none);
        assert!(!pool.backlog());
    }
}
