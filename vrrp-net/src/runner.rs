//! The event loop joining vrrp-fsm routers to one interface: one raw socket, the link
//! monitor and the signals in one `mio::Poll`; routers' deadlines as the poll timeout;
//! outputs carried out through the socket, rtnetlink and AF_PACKET.
//!
//! One [`Runner`] serves one (interface, family); its routers are told apart by VRID
//! ([`Demux`]). Time for the state machines is the monotonic clock since the runner started.

use std::net::IpAddr;
use std::time::Duration;

use log::{info, warn};
use mio::{Events, Interest, Poll, Token};
use vrrp_fsm::{GlobalCounters, Instant, Output, Router, State};
use vrrp_proto::{decode, ip, ChecksumForm, ChecksumPolicy, Family, MULTICAST_V4, MULTICAST_V6};

use crate::{
    Announcer, Demux, DemuxKey, LinkEvent, LinkMonitor, NetError, Netlink, PeerFilter, Signal,
    Signals, Vip, VrrpSocket,
};

const SOCKET: Token = Token(0);
const LINK: Token = Token(1);
const SIGNALS: Token = Token(2);

/// One virtual router and how it talks: its name (keepalived instance name), the source
/// address, where adverts go (the multicast group, or the unicast peers) and which sources
/// are accepted.
#[derive(Debug)]
pub struct Instance {
    /// Instance name, for log lines (`(VI_1) Entering MASTER STATE`).
    pub name: String,
    /// The state machine.
    pub router: Router,
    /// Source address of our adverts.
    pub src: IpAddr,
    /// Destinations: the VRRP group, or keepalived's `unicast_peer` list.
    pub dsts: Vec<IpAddr>,
    /// Accepted sources (empty: all, multicast mode).
    pub peers: PeerFilter,
    /// How each VIP is configured (prefix, label, scope: keepalived's `virtual_ipaddress`
    /// options). An address the router asks for that is not listed is a host address.
    pub vips: Vec<Vip>,
}

impl Instance {
    /// The configured form of `addr`.
    fn vip(&self, addr: IpAddr) -> Vip {
        self.vips
            .iter()
            .find(|v| v.addr == addr)
            .cloned()
            .unwrap_or_else(|| Vip::host(addr))
    }
}

/// What the caller is told after each state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Index of the instance (order of [`Runner::add`]).
    pub instance: usize,
    /// New state.
    pub to: State,
}

/// The event loop for one interface and family.
pub struct Runner {
    poll: Poll,
    sock: VrrpSocket,
    link: LinkMonitor,
    signals: Signals,
    netlink: Netlink,
    announcer: Announcer,
    ifindex: u32,
    mac: [u8; 6],
    family: Family,
    form: ChecksumForm,
    instances: Vec<Instance>,
    demux: Demux<usize>,
    counters: GlobalCounters,
    started: std::time::Instant,
    buf: Vec<u8>,
}

impl Runner {
    /// Open everything on `ifname` for `family`; v3/IPv4 adverts are sent with checksum
    /// `form` (keepalived's default is [`ChecksumForm::PseudoHeader`]).
    pub fn open(ifname: &str, family: Family, form: ChecksumForm) -> Result<Runner, NetError> {
        let mut netlink = Netlink::open()?;
        let link = netlink.link_by_name(ifname)?;
        let mut mac = [0u8; 6];
        if link.mac.len() == 6 {
            mac.copy_from_slice(&link.mac);
        }
        let mut sock = VrrpSocket::open(ifname, link.ifindex, family)?;
        let mut monitor = LinkMonitor::open()?;
        monitor.seed(link.ifindex, link.up);
        let mut signals = Signals::open()?;
        let poll = Poll::new().map_err(|e| NetError::socket("epoll_create", ifname, e))?;
        let reg = |e| NetError::socket("epoll_ctl", ifname, e);
        poll.registry()
            .register(&mut sock, SOCKET, Interest::READABLE)
            .map_err(reg)?;
        poll.registry()
            .register(&mut monitor, LINK, Interest::READABLE)
            .map_err(reg)?;
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)
            .map_err(reg)?;
        Ok(Runner {
            poll,
            sock,
            link: monitor,
            signals,
            netlink,
            announcer: Announcer::open(ifname, link.ifindex)?,
            ifindex: link.ifindex,
            mac,
            family,
            form,
            instances: Vec::new(),
            demux: Demux::new(),
            counters: GlobalCounters::default(),
            started: std::time::Instant::now(),
            buf: vec![0u8; 65_536],
        })
    }

    /// The address VRRP sends from on this interface (first IPv4 address / IPv6 link-local).
    pub fn primary_address(&mut self) -> Result<Option<IpAddr>, NetError> {
        self.netlink.primary_address(self.ifindex, self.family)
    }

    /// The VRRP multicast group of this family.
    pub fn group(&self) -> IpAddr {
        match self.family {
            Family::V4 => IpAddr::V4(MULTICAST_V4),
            Family::V6 => IpAddr::V6(MULTICAST_V6),
        }
    }

    /// Add an instance; returns its index.
    pub fn add(&mut self, instance: Instance) -> usize {
        let index = self.instances.len();
        let key: DemuxKey = (self.ifindex, self.family, instance.router.config().vrid());
        self.demux.insert(key, index);
        self.instances.push(instance);
        index
    }

    /// The instances, for status.
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// Drops counted router-wide (checksum, version, VRID, TTL, IP header errors).
    pub fn counters(&self) -> &GlobalCounters {
        &self.counters
    }

    fn now(&self) -> Instant {
        Instant::from_micros(self.started.elapsed().as_micros() as u64)
    }

    /// Start every instance and run until SIGTERM or SIGINT; then stop every instance
    /// (priority-0 advert, VIPs removed) and return. `on_change` sees each state change.
    pub fn run(
        &mut self,
        mut on_change: impl FnMut(&Instance, Transition),
    ) -> Result<(), NetError> {
        self.remove_stale_vips();
        let now = self.now();
        for i in 0..self.instances.len() {
            self.instances[i].router.handle_startup(now);
            self.drain(i, &mut on_change);
        }
        let mut events = Events::with_capacity(64);
        let mut links = Vec::new();
        let mut signals = Vec::new();
        loop {
            let timeout = self.next_timeout();
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(NetError::socket("epoll_wait", self.sock.ifname(), e));
                }
            }
            for event in events.iter() {
                match event.token() {
                    SOCKET => self.read_adverts(&mut on_change),
                    LINK => {
                        if let Err(e) = self.link.read_events(&mut links) {
                            warn!("{}: link monitor: {e}", self.sock.ifname());
                        }
                    }
                    _ => self.signals.pending(&mut signals),
                }
            }
            for ev in links.drain(..) {
                let (ifindex, up) = match ev {
                    LinkEvent::LinkUp(i) => (i, true),
                    LinkEvent::LinkDown(i) => (i, false),
                };
                if ifindex == self.ifindex {
                    let now = self.now();
                    for i in 0..self.instances.len() {
                        self.instances[i].router.handle_link(now, up);
                        self.drain(i, &mut on_change);
                    }
                }
            }
            if signals
                .drain(..)
                .any(|s| matches!(s, Signal::Term | Signal::Int))
            {
                let now = self.now();
                for i in 0..self.instances.len() {
                    self.instances[i].router.handle_shutdown(now);
                    self.drain(i, &mut on_change);
                }
                return Ok(());
            }
            let now = self.now();
            for i in 0..self.instances.len() {
                if self.instances[i]
                    .router
                    .poll_timeout()
                    .is_some_and(|t| t <= now)
                {
                    self.instances[i].router.handle_timeout(now);
                    self.drain(i, &mut on_change);
                }
            }
        }
    }

    /// A crashed run may have left our VIPs configured: remove them before the first advert
    /// so that a backup never answers for an address it does not own.
    fn remove_stale_vips(&mut self) {
        for inst in &self.instances {
            for addr in inst.router.config().vips().as_addresses().iter() {
                match self.netlink.del_address(self.ifindex, &inst.vip(addr)) {
                    Ok(()) => info!(
                        "({}) removed {addr}, left behind by an earlier run",
                        inst.name
                    ),
                    Err(NetError::AddressMissing { .. }) => {}
                    Err(e) => warn!("({}) removing stale {addr}: {e}", inst.name),
                }
            }
        }
    }

    /// Time until the earliest router deadline (None: wait for an event).
    fn next_timeout(&self) -> Option<Duration> {
        let now = self.now();
        self.instances
            .iter()
            .filter_map(|i| i.router.poll_timeout())
            .min()
            .map(|t| t.saturating_duration_since(now))
    }

    /// Read every waiting datagram (mio is edge-triggered) and hand each advert to its router.
    fn read_adverts(&mut self, on_change: &mut impl FnMut(&Instance, Transition)) {
        loop {
            let meta = match self.sock.recv(&mut self.buf) {
                Ok(Some(m)) => m,
                Ok(None) => return,
                Err(e) => {
                    warn!("{}: {e}", self.sock.ifname());
                    return;
                }
            };
            let bytes = &self.buf[..meta.len];
            let received = match (meta.src, meta.dst) {
                (IpAddr::V6(s), IpAddr::V6(d)) => ip::check_ipv6(bytes, s, d, meta.ttl),
                _ => ip::parse_ipv4(bytes),
            };
            let decoded = received.and_then(|r| {
                decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).map(|d| (r.src, d))
            });
            let (src, d) = match decoded {
                Ok(x) => x,
                Err(e) => {
                    self.counters.count(&e, None);
                    continue;
                }
            };
            let key: DemuxKey = (meta.ifindex, self.family, d.advert.vrid);
            let Some(index) = self.demux.lookup(key).map(|i| *i) else {
                continue;
            };
            let inst = &mut self.instances[index];
            if !inst.peers.accept(src) {
                continue;
            }
            let now = Instant::from_micros(self.started.elapsed().as_micros() as u64);
            // Discards are counted by the router; nothing else to do with them here.
            let _ = inst.router.handle_advert(now, src, &d.advert);
            self.drain(index, on_change);
        }
    }

    /// Carry out everything instance `i` asked for.
    fn drain(&mut self, i: usize, on_change: &mut impl FnMut(&Instance, Transition)) {
        while let Some(out) = self.instances[i].router.poll_output() {
            let inst = &self.instances[i];
            match out {
                Output::SendAdvert { priority } => {
                    let advert = inst.router.advert(priority);
                    if let Err(e) = self.sock.send_advert(
                        &advert,
                        self.form,
                        inst.src,
                        &inst.dsts,
                        &mut self.buf,
                    ) {
                        warn!("({}) sending advert: {e}", inst.name);
                    }
                }
                Output::AddVip(addr) => {
                    match self.netlink.add_address(self.ifindex, &inst.vip(addr)) {
                        Ok(()) | Err(NetError::AddressExists { .. }) => {}
                        Err(e) => warn!("({}) adding {addr}: {e}", inst.name),
                    }
                }
                Output::RemoveVip(addr) => {
                    match self.netlink.del_address(self.ifindex, &inst.vip(addr)) {
                        Ok(()) | Err(NetError::AddressMissing { .. }) => {}
                        Err(e) => warn!("({}) removing {addr}: {e}", inst.name),
                    }
                }
                Output::Announce { addr, count } => {
                    for _ in 0..count {
                        let res = match addr {
                            IpAddr::V4(a) => self.announcer.gratuitous_arp(self.mac, a),
                            IpAddr::V6(a) => self.announcer.unsolicited_na(self.mac, a),
                        };
                        if let Err(e) = res {
                            warn!("({}) announcing {addr}: {e}", inst.name);
                            break;
                        }
                    }
                }
                Output::StateChange { to, reason, .. } => {
                    info!(
                        "({}) Entering {} STATE ({reason:?})",
                        inst.name,
                        state_word(to)
                    );
                    on_change(inst, Transition { instance: i, to });
                }
                Output::Event(ev) => info!("({}) {ev:?}", inst.name),
            }
        }
    }
}

/// keepalived's words for the states, as in its log lines.
pub fn state_word(s: State) -> &'static str {
    match s {
        State::Initialize => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}
