//! The runner's sockets: one raw VRRP socket per (interface, family), one AF_PACKET
//! announcer per interface, opened the first time an instance needs them and closed when the
//! last instance using them is removed or moves to another interface (a deleted and
//! re-created interface has a new index, hence new sockets). Both tables are slabs: their
//! slots, and the mio tokens of the sockets, are reused.

use mio::{Interest, Registry, Token};
use vrrp_proto::Family;

use crate::{Announcer, NetError, VrrpSocket};
use vrrp_fsm::Slab;

/// First mio token of the port table; below it are the runner's own sources.
pub(crate) const FIRST_PORT_TOKEN: usize = 16;

/// One interface and family.
pub(crate) struct Port {
    pub(crate) sock: VrrpSocket,
    pub(crate) family: Family,
    pub(crate) ifindex: u32,
    /// Index into the announcer table.
    pub(crate) announcer: usize,
    /// The interface's hardware address (source of GARP / NA frames).
    pub(crate) mac: [u8; 6],
    /// Instances using this port.
    users: usize,
    /// Groups joined besides the VRRP group (keepalived's `vrrp_mcast_group4/6`); left
    /// when the socket closes.
    groups: Vec<std::net::IpAddr>,
}

/// An announcer and the number of ports using it.
pub(crate) struct Shared {
    pub(crate) announcer: Announcer,
    users: usize,
}

/// Every socket the runner has open.
#[derive(Default)]
pub(crate) struct Ports {
    pub(crate) ports: Slab<Port>,
    pub(crate) announcers: Slab<Shared>,
}

impl Ports {
    /// The port for (`ifindex`, `family`), opened and registered if new, joined to `group`;
    /// counts one more user of it (give it back with [`Ports::release`]).
    pub(crate) fn acquire(
        &mut self,
        registry: &Registry,
        ifname: &str,
        ifindex: u32,
        mac: [u8; 6],
        family: Family,
        group: std::net::IpAddr,
    ) -> Result<usize, NetError> {
        let p = self.open(registry, ifname, ifindex, mac, family)?;
        if let Err(e) = self.join(p, group) {
            self.release(registry, p);
            return Err(e);
        }
        Ok(p)
    }

    /// Port `p` joins `group` if it has not yet.
    pub(crate) fn join(&mut self, p: usize, group: std::net::IpAddr) -> Result<(), NetError> {
        let Some(port) = self.ports.get_mut(p) else {
            return Ok(());
        };
        if !port.groups.contains(&group) {
            port.sock.join(group)?;
            port.groups.push(group);
        }
        Ok(())
    }

    fn open(
        &mut self,
        registry: &Registry,
        ifname: &str,
        ifindex: u32,
        mac: [u8; 6],
        family: Family,
    ) -> Result<usize, NetError> {
        let existing = self
            .ports
            .iter()
            .find(|(_, p)| p.ifindex == ifindex && p.family == family)
            .map(|(i, _)| i);
        if let Some(i) = existing {
            self.ports[i].users += 1;
            return Ok(i);
        }
        let sock = VrrpSocket::open(ifname, ifindex, family)?;
        let shared = self
            .announcers
            .iter()
            .find(|(_, a)| a.announcer.ifindex() == ifindex)
            .map(|(a, _)| a);
        let announcer = match shared {
            Some(a) => a,
            None => self.announcers.insert(Shared {
                announcer: Announcer::open(ifname, ifindex)?,
                users: 0,
            }),
        };
        self.announcers[announcer].users += 1;
        let p = self.ports.insert(Port {
            sock,
            family,
            ifindex,
            announcer,
            mac,
            users: 1,
            groups: Vec::new(),
        });
        // The slot decides the token: a reused slot's token was deregistered with its socket.
        let registered = registry.register(
            &mut self.ports[p].sock,
            Token(FIRST_PORT_TOKEN + p),
            Interest::READABLE,
        );
        if let Err(e) = registered {
            self.release(registry, p);
            return Err(NetError::socket("epoll_ctl", ifname, e));
        }
        Ok(p)
    }

    /// One user of port `p` fewer; the last one closes it (and its announcer, if no other
    /// port of that interface uses it).
    pub(crate) fn release(&mut self, registry: &Registry, p: usize) {
        let Some(port) = self.ports.get_mut(p) else {
            return;
        };
        port.users = port.users.saturating_sub(1);
        if port.users > 0 {
            return;
        }
        let Some(mut port) = self.ports.remove(p) else {
            return;
        };
        let _ = registry.deregister(&mut port.sock);
        let a = port.announcer;
        if let Some(shared) = self.announcers.get_mut(a) {
            shared.users = shared.users.saturating_sub(1);
            if shared.users == 0 {
                self.announcers.remove(a);
            }
        }
    }

    /// The port a mio token stands for.
    pub(crate) fn by_token(&self, token: Token) -> Option<usize> {
        token
            .0
            .checked_sub(FIRST_PORT_TOKEN)
            .filter(|i| self.ports.get(*i).is_some())
    }

    /// Open ports (sockets) and the slots their table has.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.ports.len(), self.ports.allocated())
    }
}
