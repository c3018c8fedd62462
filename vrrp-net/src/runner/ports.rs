//! The runner's sockets: one raw VRRP socket per (interface, family), one AF_PACKET
//! announcer per interface, opened the first time an instance needs them.

use mio::{Interest, Registry, Token};
use vrrp_proto::Family;

use crate::{Announcer, NetError, VrrpSocket};

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
}

/// Every socket the runner opened.
#[derive(Default)]
pub(crate) struct Ports {
    pub(crate) ports: Vec<Port>,
    pub(crate) announcers: Vec<Announcer>,
}

impl Ports {
    /// The port for (`ifindex`, `family`), opened and registered if new.
    pub(crate) fn get_or_open(
        &mut self,
        registry: &Registry,
        ifname: &str,
        ifindex: u32,
        mac: [u8; 6],
        family: Family,
    ) -> Result<usize, NetError> {
        if let Some(i) = self
            .ports
            .iter()
            .position(|p| p.ifindex == ifindex && p.family == family)
        {
            return Ok(i);
        }
        let announcer = match self.announcers.iter().position(|a| a.ifindex() == ifindex) {
            Some(a) => a,
            None => {
                self.announcers.push(Announcer::open(ifname, ifindex)?);
                self.announcers.len() - 1
            }
        };
        let mut sock = VrrpSocket::open(ifname, ifindex, family)?;
        let token = Token(FIRST_PORT_TOKEN + self.ports.len());
        registry
            .register(&mut sock, token, Interest::READABLE)
            .map_err(|e| NetError::socket("epoll_ctl", ifname, e))?;
        self.ports.push(Port {
            sock,
            family,
            ifindex,
            announcer,
            mac,
        });
        Ok(self.ports.len() - 1)
    }

    /// The port a mio token stands for.
    pub(crate) fn by_token(&self, token: Token) -> Option<usize> {
        token
            .0
            .checked_sub(FIRST_PORT_TOKEN)
            .filter(|i| *i < self.ports.len())
    }
}
