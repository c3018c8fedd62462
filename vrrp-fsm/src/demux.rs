//! Receive-side routing: which virtual router an advert is for, and whether its sender is one
//! we listen to.

use std::net::IpAddr;

use vrrp_proto::{Family, Vrid};

use crate::ids::InterfaceId;

/// (interface, family, VRID): what identifies a virtual router on the wire (RFC 9568 §5.2.3:
/// a VRID is scoped to its LAN and address family).
pub type DemuxKey = (InterfaceId, Family, Vrid);

/// Maps [`DemuxKey`] to the caller's router handle `R`, so one socket per (interface, family)
/// serves every VRID on it. One table per (interface, family), indexed by VRID: a lookup (one
/// per received advert) is a scan of the few interfaces and an index, with no hashing.
#[derive(Debug)]
pub struct Demux<R> {
    tables: Vec<(Port, Table<R>)>,
    len: usize,
    unknown: u64,
}

impl<R> Default for Demux<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// (interface, family): where a VRID table applies.
type Port = (InterfaceId, Family);

/// Routers of one (interface, family) by VRID slot.
type Table<R> = Box<[Option<R>]>;

/// Slot of a VRID in its table (VRIDs are 1..=255).
fn slot(vrid: Vrid) -> usize {
    usize::from(vrid.get()) - 1
}

impl<R> Demux<R> {
    /// Empty table.
    pub fn new() -> Self {
        Demux {
            tables: Vec::new(),
            len: 0,
            unknown: 0,
        }
    }

    fn table(&self, interface: InterfaceId, family: Family) -> Option<&[Option<R>]> {
        self.tables
            .iter()
            .find(|(k, _)| *k == (interface, family))
            .map(|(_, t)| &t[..])
    }

    fn table_mut(&mut self, interface: InterfaceId, family: Family) -> Option<&mut [Option<R>]> {
        self.tables
            .iter_mut()
            .find(|(k, _)| *k == (interface, family))
            .map(|(_, t)| &mut t[..])
    }

    /// Route `key` to `router`; returns the previous handle for that key, if any.
    pub fn insert(&mut self, key: DemuxKey, router: R) -> Option<R> {
        let (interface, family, vrid) = key;
        if self.table(interface, family).is_none() {
            let empty = (0..255).map(|_| None).collect();
            self.tables.push(((interface, family), empty));
        }
        let old = self
            .table_mut(interface, family)
            .and_then(|t| t[slot(vrid)].replace(router));
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Stop routing `key`.
    pub fn remove(&mut self, key: DemuxKey) -> Option<R> {
        let (interface, family, vrid) = key;
        let old = self
            .table_mut(interface, family)
            .and_then(|t| t[slot(vrid)].take());
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// The router for `key`; a miss is counted (an advert for a VRID we do not run).
    pub fn lookup(&mut self, key: DemuxKey) -> Option<&mut R> {
        let (interface, family, vrid) = key;
        let found = self
            .tables
            .iter_mut()
            .find(|(k, _)| *k == (interface, family));
        let hit = found.and_then(|(_, t)| t[slot(vrid)].as_mut());
        if hit.is_none() {
            self.unknown += 1;
        }
        hit
    }

    /// The router for `key`, without counting a miss (to attribute a malformed packet).
    pub fn peek(&self, key: DemuxKey) -> Option<&R> {
        let (interface, family, vrid) = key;
        self.table(interface, family)
            .and_then(|t| t[slot(vrid)].as_ref())
    }

    /// Adverts that matched no router.
    pub fn unknown_count(&self) -> u64 {
        self.unknown
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No routes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// keepalived `unicast_peer`: with a non-empty peer list, adverts from any other source are
/// dropped and counted. With an empty list (multicast mode) every source is accepted.
#[derive(Debug, Clone, Default)]
pub struct PeerFilter {
    peers: Vec<IpAddr>,
    dropped: u64,
}

impl PeerFilter {
    /// Filter for these peers (empty: accept all).
    pub fn new(peers: Vec<IpAddr>) -> Self {
        PeerFilter { peers, dropped: 0 }
    }

    /// The configured peers, which are also the unicast send targets.
    pub fn peers(&self) -> &[IpAddr] {
        &self.peers
    }

    /// Whether to accept an advert from `src`; a rejection is counted.
    pub fn accept(&mut self, src: IpAddr) -> bool {
        if self.peers.is_empty() || self.peers.contains(&src) {
            true
        } else {
            self.dropped += 1;
            false
        }
    }

    /// Adverts dropped because their source is not a configured peer.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vrid(n: u8) -> Vrid {
        Vrid::new(n).unwrap()
    }

    #[test]
    fn same_vrid_on_other_family_or_interface_is_a_different_router() {
        let mut d = Demux::new();
        d.insert((InterfaceId(2), Family::V4, vrid(51)), "a");
        d.insert((InterfaceId(2), Family::V6, vrid(51)), "b");
        d.insert((InterfaceId(3), Family::V4, vrid(51)), "c");
        assert_eq!(
            d.lookup((InterfaceId(2), Family::V4, vrid(51))),
            Some(&mut "a")
        );
        assert_eq!(
            d.lookup((InterfaceId(2), Family::V6, vrid(51))),
            Some(&mut "b")
        );
        assert_eq!(
            d.lookup((InterfaceId(3), Family::V4, vrid(51))),
            Some(&mut "c")
        );
        assert_eq!(d.unknown_count(), 0);
        assert_eq!(d.lookup((InterfaceId(2), Family::V4, vrid(52))), None);
        assert_eq!(d.unknown_count(), 1);
        assert_eq!(d.remove((InterfaceId(2), Family::V4, vrid(51))), Some("a"));
        assert_eq!(d.lookup((InterfaceId(2), Family::V4, vrid(51))), None);
        assert_eq!(d.len(), 2);
        // Removing what is not there changes nothing; the VRID range ends are their own slots.
        assert_eq!(d.remove((InterfaceId(2), Family::V4, vrid(51))), None);
        assert_eq!(d.remove((InterfaceId(9), Family::V4, vrid(51))), None);
        assert_eq!(d.len(), 2);
        assert_eq!(d.insert((InterfaceId(2), Family::V4, vrid(255)), "z"), None);
        assert_eq!(d.insert((InterfaceId(2), Family::V4, vrid(1)), "y"), None);
        assert_eq!(
            d.insert((InterfaceId(2), Family::V4, vrid(255)), "z2"),
            Some("z")
        );
        assert_eq!(d.peek((InterfaceId(2), Family::V4, vrid(255))), Some(&"z2"));
        assert_eq!(d.peek((InterfaceId(2), Family::V4, vrid(1))), Some(&"y"));
        assert_eq!(d.peek((InterfaceId(2), Family::V4, vrid(254))), None);
        assert_eq!(d.len(), 4);
        assert_eq!(
            d.unknown_count(),
            2,
            "the two lookups above missed; peek never counts"
        );
    }

    #[test]
    fn thousand_routers_share_one_table() {
        let mut d = Demux::new();
        for i in 0..1000u32 {
            let interface = InterfaceId(2 + i / 255);
            let v = vrid((i % 255 + 1) as u8);
            assert!(d.insert((interface, Family::V4, v), i).is_none());
        }
        assert_eq!(d.len(), 1000);
        assert_eq!(
            d.lookup((
                InterfaceId(2 + 999 / 255),
                Family::V4,
                vrid((999 % 255 + 1) as u8)
            )),
            Some(&mut 999)
        );
    }

    #[test]
    fn peer_filter_counts_strangers_only() {
        let a: IpAddr = "192.0.2.2".parse().unwrap();
        let b: IpAddr = "192.0.2.3".parse().unwrap();
        let stranger: IpAddr = "192.0.2.99".parse().unwrap();
        let mut f = PeerFilter::new(vec![a, b]);
        assert!(f.accept(a));
        assert!(f.accept(b));
        assert!(!f.accept(stranger));
        assert!(!f.accept(stranger));
        assert_eq!(f.dropped(), 2);
    }

    #[test]
    fn empty_peer_list_accepts_everyone() {
        let mut f = PeerFilter::new(vec![]);
        assert!(f.accept("198.51.100.7".parse().unwrap()));
        assert_eq!(f.dropped(), 0);
    }
}
