//! A virtual router's validated configuration. Build it with [`Config::builder`].

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::time::Duration;
use vrrp_proto::{Addresses, Auth, Centiseconds, Family, Priority, Version, Vrid};

/// keepalived `state MASTER` / `state BACKUP`: the state asked for at startup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    /// Wait Master_Down_Interval for a master (RFC 9568 §6.4.1).
    Backup,
    /// keepalived `state MASTER`. Below priority 255 it starts exactly like `Backup`, as
    /// keepalived 2.2.7 does (measured: no advert at startup, Master after
    /// Master_Down_Interval); kept so that configurations say what their author wrote.
    Master,
}

/// A tracked object (keepalived's rules on it are in [`crate::track`]).
pub use crate::track::Track;

/// The virtual addresses, all of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vips {
    /// IPv4 virtual addresses.
    V4(Vec<Ipv4Addr>),
    /// IPv6 virtual addresses.
    V6(Vec<Ipv6Addr>),
}

impl Vips {
    /// The family of the list.
    pub fn family(&self) -> Family {
        match self {
            Vips::V4(_) => Family::V4,
            Vips::V6(_) => Family::V6,
        }
    }
    /// Number of addresses.
    pub fn len(&self) -> usize {
        match self {
            Vips::V4(v) => v.len(),
            Vips::V6(v) => v.len(),
        }
    }
    /// True if there is no address.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The list as vrrp-proto addresses, borrowed.
    pub fn as_addresses(&self) -> Addresses<'_> {
        match self {
            Vips::V4(v) => Addresses::V4(v),
            Vips::V6(v) => Addresses::V6(v),
        }
    }
    /// True if `addr` is in the list.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.as_addresses().iter().any(|a| a == addr)
    }
}

/// keepalived's bound on a track weight: weights are `-MAX_WEIGHT..=MAX_WEIGHT`.
pub const MAX_WEIGHT: i32 = 254;

/// Most gratuitous ARPs / unsolicited NAs per burst (`garp_master_repeat`,
/// `garp_master_refresh_repeat`): keepalived takes any unsigned number; vrrpd bounds the
/// work one transition causes.
pub const MAX_GARP_REPEAT: u32 = 1000;

/// keepalived's bound on `preempt_delay`.
pub const MAX_PREEMPT_DELAY: Duration = Duration::from_secs(1000);

/// Why a configuration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// RFC 9568 §5.2.4: priority 0 is reserved for "master stopping".
    #[error("priority 0 is reserved")]
    PriorityZero,
    /// RFC 9568 §5.2.7: the advertisement interval must not be 0.
    #[error("advertisement interval 0")]
    IntervalZero,
    /// RFC 3768 §5.3.7: the v2 interval is whole seconds (at least 1; the 12-bit
    /// [`Centiseconds`] stop at 40).
    #[error("VRRPv2 interval must be a whole number of seconds, 1 to 255")]
    V2IntervalNotSeconds,
    /// RFC 9568 §9: VRRPv3 has no authentication.
    #[error("VRRPv3 has no authentication")]
    V3Auth,
    /// RFC 3768 is IPv4 only.
    #[error("VRRPv2 cannot run over IPv6")]
    V2OverIpv6,
    /// RFC 9568 §5.2.5: 1 to 255 addresses (VRRPv2 outside strict mode: 0 to 255, as
    /// keepalived runs it).
    #[error("{0} virtual addresses: 1 to 255 allowed (0 with VRRPv2, not strict)")]
    AddressCount(usize),
    /// The primary address is not of the VIPs' family.
    #[error("primary address family differs from the virtual addresses'")]
    FamilyMismatch,
    /// keepalived `preempt_delay` range is 0..=1000 s.
    #[error("preempt_delay above 1000 s")]
    PreemptDelayTooLong,
    /// keepalived weights are -254..=254.
    #[error("track weight {0} outside -254..=254")]
    WeightRange(i32),
    /// keepalived `garp_master_repeat` is at least 1; vrrpd's bound is [`MAX_GARP_REPEAT`].
    #[error("garp repeat {0} outside 1..={max}", max = MAX_GARP_REPEAT)]
    GarpRepeat(u32),
    /// keepalived `vrrp_mcast_group4/6`, `mcast_dst_ip`: not a multicast address of the
    /// virtual addresses' family.
    #[error("advert group is not a multicast address of the virtual addresses' family")]
    MulticastGroup,
    /// keepalived `down_timer_adverts` is 1 to 100.
    #[error("down_timer_adverts {0} outside 1..=100")]
    DownTimerAdverts(u32),
    /// Reconfiguring may not change VRID, version or family: that is a new router.
    #[error("reconfigure changed VRID, version or family")]
    IdentityChanged,
}

/// A validated virtual-router configuration: the state machine's layer, everything
/// [`Router`](crate::Router) needs to follow RFC 9568 and keepalived's options, and nothing
/// about files or sockets. Every protocol rule of a configuration is checked here, once,
/// by [`ConfigBuilder::build`]; an application reading its own file (vrrpd reads
/// keepalived.conf) builds one per virtual router and words the [`ConfigError`] for its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub(crate) vrid: Vrid,
    pub(crate) version: Version,
    pub(crate) priority: Priority,
    pub(crate) interval: Centiseconds,
    pub(crate) primary: IpAddr,
    pub(crate) vips: Vips,
    pub(crate) accept_mode: bool,
    pub(crate) preempt: bool,
    pub(crate) preempt_delay: Duration,
    pub(crate) initial: InitialState,
    pub(crate) auth: Auth,
    pub(crate) garp_delay: Option<Duration>,
    pub(crate) garp_repeat: u32,
    pub(crate) garp_refresh: Option<Duration>,
    pub(crate) garp_refresh_repeat: u32,
    pub(crate) tracks: Vec<Track>,
    pub(crate) strict: bool,
    pub(crate) lower_prio_no_advert: bool,
    pub(crate) higher_prio_send_advert: bool,
    pub(crate) garp_lower_prio_repeat: u32,
    pub(crate) garp_lower_prio_delay: Option<Duration>,
    pub(crate) skip_check_adv_addr: bool,
    pub(crate) down_timer_adverts: u32,
    pub(crate) multicast_group: Option<IpAddr>,
    pub(crate) unicast_ttl: u8,
    pub(crate) peer_ttl: Vec<(IpAddr, u8, u8)>,
    pub(crate) track_primary: bool,
    pub(crate) unicast_checksum: UnicastChecksum,
}

/// keepalived `old_unicast_checksum`: the checksum a VRRPv3/IPv4 unicast router sends.
/// Every form is accepted whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnicastChecksum {
    /// keepalived's default: RFC 9568's (the peer's address in the pseudo-header) until a
    /// peer is heard using the old form (224.0.0.18 in the pseudo-header, keepalived
    /// before 1.3.6), then the old form for good.
    #[default]
    Auto,
    /// `old_unicast_checksum never`: RFC 9568's, always.
    Never,
    /// `old_unicast_checksum`: the old form from the start.
    Old,
}

/// Builder for [`Config`]; defaults follow keepalived's.
#[derive(Debug, Clone)]
pub struct ConfigBuilder(Config);

impl Config {
    /// Start a configuration: VRID, this router's primary address, its virtual addresses.
    /// Defaults: VRRPv3, priority 100, 1 s interval, preempt on, state BACKUP, 5 GARPs,
    /// `garp_master_delay 5`, no refresh, accept mode off, no auth, not strict, a master
    /// answers a lower-priority advert (keepalived's default).
    pub fn builder(vrid: Vrid, primary: IpAddr, vips: Vips) -> ConfigBuilder {
        ConfigBuilder(Config {
            vrid,
            version: Version::V3,
            priority: Priority::DEFAULT,
            interval: Centiseconds::new(100).unwrap_or(Centiseconds::MAX),
            primary,
            vips,
            accept_mode: false,
            preempt: true,
            preempt_delay: Duration::ZERO,
            initial: InitialState::Backup,
            auth: Auth::None,
            garp_delay: Some(Duration::from_secs(5)),
            garp_repeat: 5,
            garp_refresh: None,
            garp_refresh_repeat: 1,
            tracks: Vec::new(),
            strict: false,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            garp_lower_prio_repeat: 0,
            garp_lower_prio_delay: None,
            skip_check_adv_addr: false,
            down_timer_adverts: 3,
            multicast_group: None,
            unicast_ttl: vrrp_proto::REQUIRED_TTL,
            peer_ttl: Vec::new(),
            track_primary: true,
            unicast_checksum: UnicastChecksum::Auto,
        })
    }
    /// Virtual router id.
    pub fn vrid(&self) -> Vrid {
        self.vrid
    }
    /// Protocol version.
    pub fn version(&self) -> Version {
        self.version
    }
    /// Address family.
    pub fn family(&self) -> Family {
        self.vips.family()
    }
    /// Configured (base) priority.
    pub fn priority(&self) -> Priority {
        self.priority
    }
    /// Configured Advertisement_Interval.
    pub fn advert_interval(&self) -> Duration {
        self.interval.as_duration()
    }
    /// This router's primary address (source of its adverts).
    pub fn primary(&self) -> IpAddr {
        self.primary
    }
    /// The virtual addresses.
    pub fn vips(&self) -> &Vips {
        &self.vips
    }
    /// RFC 9568 §6.1 Accept_Mode.
    pub fn accept_mode(&self) -> bool {
        self.accept_mode
    }
    /// The tracked objects.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }
    /// keepalived `lower_prio_no_advert`: a master does not answer a lower-priority advert.
    pub fn lower_prio_no_advert(&self) -> bool {
        self.lower_prio_no_advert
    }
    /// keepalived `higher_prio_send_advert`: a master preempted by a higher-priority advert
    /// sends one advert of its own before stepping down.
    pub fn higher_prio_send_advert(&self) -> bool {
        self.higher_prio_send_advert
    }
    /// keepalived `garp_lower_prio_repeat` (0: none) and `garp_lower_prio_delay` (None:
    /// no second burst).
    pub fn garp_lower_prio(&self) -> (u32, Option<Duration>) {
        (self.garp_lower_prio_repeat, self.garp_lower_prio_delay)
    }
    /// The group multicast adverts go to and are heard on: 224.0.0.18 / ff02::12 (RFC 9568
    /// §5.1.1.2 / §5.1.2.2), unless keepalived's `vrrp_mcast_group4/6` or `mcast_dst_ip`
    /// chose another.
    pub fn multicast_group(&self) -> IpAddr {
        self.multicast_group.unwrap_or(match self.vips.family() {
            Family::V4 => IpAddr::V4(vrrp_proto::MULTICAST_V4),
            Family::V6 => IpAddr::V6(vrrp_proto::MULTICAST_V6),
        })
    }
    /// keepalived `down_timer_adverts`: the adverts a Backup misses before the master is
    /// down (RFC 9568 §6.1: 3).
    pub fn down_timer_adverts(&self) -> u32 {
        self.down_timer_adverts
    }
    /// keepalived `skip_check_adv_addr`.
    pub fn skip_check_adv_addr(&self) -> bool {
        self.skip_check_adv_addr
    }
    /// TTL / hop limit of adverts sent to unicast peers (keepalived `unicast_ttl`; 255
    /// unless set; multicast adverts always go with 255).
    pub fn unicast_ttl(&self) -> u8 {
        self.unicast_ttl
    }
    /// Whether a unicast advert from `src` with TTL / hop limit `ttl` is taken: within the
    /// peer's `min_ttl`..=`max_ttl` (keepalived `unicast_peer { ADDR min_ttl N max_ttl N }`;
    /// any TTL when the peer has no range).
    pub fn peer_ttl_accepts(&self, src: IpAddr, ttl: u8) -> bool {
        self.peer_ttl
            .iter()
            .find(|(a, _, _)| *a == src)
            .map_or(true, |&(_, lo, hi)| (lo..=hi).contains(&ttl))
    }
    /// False with keepalived `nopreempt`.
    pub fn preempt(&self) -> bool {
        self.preempt
    }
    /// keepalived `preempt_delay`.
    pub fn preempt_delay(&self) -> Duration {
        self.preempt_delay
    }
    /// keepalived `state`.
    pub fn initial_state(&self) -> InitialState {
        self.initial
    }
    /// RFC 3768 §5.3.6 authentication (v2 only).
    pub fn auth(&self) -> Auth {
        self.auth
    }
    /// keepalived `garp_master_delay` (None: no second burst).
    pub fn garp_master_delay(&self) -> Option<Duration> {
        self.garp_delay
    }
    /// keepalived `garp_master_repeat`.
    pub fn garp_master_repeat(&self) -> u32 {
        self.garp_repeat
    }
    /// keepalived `garp_master_refresh` (None: off).
    pub fn garp_master_refresh(&self) -> Option<Duration> {
        self.garp_refresh
    }
    /// keepalived `vrrp_strict`.
    pub fn strict(&self) -> bool {
        self.strict
    }
    /// False with keepalived `dont_track_primary`: the router's own link going down does
    /// not put it in FAULT.
    pub fn track_primary(&self) -> bool {
        self.track_primary
    }

    /// keepalived `old_unicast_checksum` (VRRPv3/IPv4 unicast only).
    pub fn unicast_checksum(&self) -> UnicastChecksum {
        self.unicast_checksum
    }
    /// Change the primary address: for a configuration checked before the address is known
    /// (vrrpd reads the file, then asks the interface). Refused, and nothing changed
    /// ([`ConfigError::FamilyMismatch`]), if it is not of the virtual addresses' family.
    pub fn set_primary(&mut self, primary: IpAddr) -> Result<(), ConfigError> {
        check_family(primary, &self.vips)?;
        self.primary = primary;
        Ok(())
    }
}

/// The primary address must be of the virtual addresses' family.
fn check_family(primary: IpAddr, vips: &Vips) -> Result<(), ConfigError> {
    if primary.is_ipv4() != (vips.family() == Family::V4) {
        return Err(ConfigError::FamilyMismatch);
    }
    Ok(())
}

impl ConfigBuilder {
    /// VRRP version (RFC 3768 = V2, RFC 9568 = V3).
    pub fn version(mut self, v: Version) -> Self {
        self.0.version = v;
        self
    }
    /// Base priority (1..=255; 255 = address owner).
    pub fn priority(mut self, p: Priority) -> Self {
        self.0.priority = p;
        self
    }
    /// Advertisement_Interval in centiseconds (v2: a multiple of 100).
    pub fn advert_interval(mut self, cs: Centiseconds) -> Self {
        self.0.interval = cs;
        self
    }
    /// RFC 9568 §6.1 Accept_Mode.
    pub fn accept_mode(mut self, on: bool) -> Self {
        self.0.accept_mode = on;
        self
    }
    /// keepalived `nopreempt` is `preempt(false)`.
    pub fn preempt(mut self, on: bool) -> Self {
        self.0.preempt = on;
        self
    }
    /// keepalived `preempt_delay`.
    pub fn preempt_delay(mut self, d: Duration) -> Self {
        self.0.preempt_delay = d;
        self
    }
    /// keepalived `state`.
    pub fn initial_state(mut self, s: InitialState) -> Self {
        self.0.initial = s;
        self
    }
    /// RFC 3768 §5.3.6 authentication (v2 only: refused with v3).
    pub fn auth(mut self, a: Auth) -> Self {
        self.0.auth = a;
        self
    }
    /// keepalived `garp_master_delay` (None = no second burst).
    pub fn garp_master_delay(mut self, d: Option<Duration>) -> Self {
        self.0.garp_delay = d;
        self
    }
    /// keepalived `garp_master_repeat`.
    pub fn garp_master_repeat(mut self, n: u32) -> Self {
        self.0.garp_repeat = n;
        self
    }
    /// keepalived `garp_master_refresh` (None = off; zero is off too, as in keepalived).
    pub fn garp_master_refresh(mut self, d: Option<Duration>) -> Self {
        self.0.garp_refresh = d.filter(|d| !d.is_zero());
        self
    }
    /// keepalived `garp_master_refresh_repeat`.
    pub fn garp_master_refresh_repeat(mut self, n: u32) -> Self {
        self.0.garp_refresh_repeat = n;
        self
    }
    /// Add a tracked object; its index is the order of the calls.
    pub fn track(mut self, t: Track) -> Self {
        self.0.tracks.push(t);
        self
    }
    /// keepalived `vrrp_strict`: drop adverts whose address list differs from ours.
    pub fn strict(mut self, on: bool) -> Self {
        self.0.strict = on;
        self
    }
    /// keepalived `lower_prio_no_advert`: a master hearing a lower-priority advert does not
    /// answer it with an advert of its own, as RFC 9568 §6.4.3 says (discard it). Off by
    /// default, as in keepalived: the master answers at once, so that the other side
    /// steps down without waiting for the next Adver_Timer.
    pub fn lower_prio_no_advert(mut self, on: bool) -> Self {
        self.0.lower_prio_no_advert = on;
        self
    }
    /// keepalived `higher_prio_send_advert`: a master hearing an advert that beats it sends
    /// one advert of its own (its priority) before going Backup, so that a peer that
    /// missed the preemption hears the old master once more (off by default, as in
    /// keepalived).
    pub fn higher_prio_send_advert(mut self, on: bool) -> Self {
        self.0.higher_prio_send_advert = on;
        self
    }
    /// keepalived `garp_lower_prio_repeat` / `garp_lower_prio_delay`: a master hearing a
    /// lower-priority advert sends `repeat` gratuitous ARPs / NAs per VIP at once (0: none,
    /// the default here; keepalived's default is its `vrrp_garp_master_repeat`), and as
    /// many again `delay` later (None or zero: no second burst).
    pub fn garp_lower_prio(mut self, repeat: u32, delay: Option<Duration>) -> Self {
        self.0.garp_lower_prio_repeat = repeat;
        self.0.garp_lower_prio_delay = delay.filter(|d| !d.is_zero());
        self
    }
    /// keepalived `down_timer_adverts`: Master_Down_Interval is this many
    /// Master_Adver_Intervals plus Skew_Time (RFC 9568 §6.1: 3; keepalived allows 1 to 100).
    pub fn down_timer_adverts(mut self, n: u32) -> Self {
        self.0.down_timer_adverts = n;
        self
    }
    /// keepalived `skip_check_adv_addr`: a Backup does not check the address list of adverts
    /// from the master it heard last (neither counted nor, in strict mode, dropped).
    pub fn skip_check_adv_addr(mut self, on: bool) -> Self {
        self.0.skip_check_adv_addr = on;
        self
    }
    /// keepalived `vrrp_mcast_group4/6` / `mcast_dst_ip`: the multicast group adverts go to
    /// and are heard on (None: 224.0.0.18 / ff02::12). Must be a multicast address of the
    /// VIPs' family.
    pub fn multicast_group(mut self, group: Option<IpAddr>) -> Self {
        self.0.multicast_group = group;
        self
    }
    /// keepalived `unicast_ttl`: TTL / hop limit of adverts to unicast peers (1 to 255).
    pub fn unicast_ttl(mut self, ttl: u8) -> Self {
        self.0.unicast_ttl = ttl;
        self
    }
    /// keepalived `unicast_peer { ADDR min_ttl N max_ttl N }`: adverts from `peer` are taken
    /// only with a TTL / hop limit in `min..=max`.
    pub fn peer_ttl(mut self, peer: IpAddr, min: u8, max: u8) -> Self {
        self.0.peer_ttl.push((peer, min, max));
        self
    }
    /// keepalived `dont_track_primary` is `track_primary(false)`: the router's own link
    /// ([`crate::Router::handle_link`]) no longer puts it in FAULT.
    pub fn track_primary(mut self, on: bool) -> Self {
        self.0.track_primary = on;
        self
    }
    /// keepalived `old_unicast_checksum` ([`UnicastChecksum`]); the endpoint applies it.
    pub fn unicast_checksum(mut self, c: UnicastChecksum) -> Self {
        self.0.unicast_checksum = c;
        self
    }
    /// Validate.
    pub fn build(self) -> Result<Config, ConfigError> {
        let c = self.0;
        check_priority(c.priority)?;
        if c.interval.get() == 0 {
            return Err(ConfigError::IntervalZero);
        }
        if c.version == Version::V2 {
            if c.interval.get() % 100 != 0 {
                return Err(ConfigError::V2IntervalNotSeconds);
            }
            if c.vips.family() == Family::V6 {
                return Err(ConfigError::V2OverIpv6);
            }
        } else if c.auth != Auth::None {
            return Err(ConfigError::V3Auth);
        }
        // keepalived runs a VRRPv2 instance without VIPs (its adverts carry none); VRRPv3
        // and strict mode need one.
        let least = usize::from(c.version == Version::V3 || c.strict);
        if !(least..=255).contains(&c.vips.len()) {
            return Err(ConfigError::AddressCount(c.vips.len()));
        }
        check_family(c.primary, &c.vips)?;
        if let Some(g) = c.multicast_group {
            if !g.is_multicast() || g.is_ipv4() != (c.vips.family() == Family::V4) {
                return Err(ConfigError::MulticastGroup);
            }
        }
        if c.preempt_delay > MAX_PREEMPT_DELAY {
            return Err(ConfigError::PreemptDelayTooLong);
        }
        if let Some(t) = c
            .tracks
            .iter()
            .find(|t| !(-MAX_WEIGHT..=MAX_WEIGHT).contains(&t.weight))
        {
            return Err(ConfigError::WeightRange(t.weight));
        }
        check_garp_repeat(c.garp_repeat)?;
        check_garp_repeat(c.garp_refresh_repeat)?;
        if !(1..=100).contains(&c.down_timer_adverts) {
            return Err(ConfigError::DownTimerAdverts(c.down_timer_adverts));
        }
        if c.garp_lower_prio_repeat > 0 {
            check_garp_repeat(c.garp_lower_prio_repeat)?;
        }
        Ok(c)
    }
}

/// The rule on a base priority (RFC 9568 §5.2.4): 1 to 255, 0 being reserved for "master
/// stopping". [`ConfigBuilder::build`] applies it; a reader may apply it where the value
/// is written.
pub fn check_priority(p: Priority) -> Result<(), ConfigError> {
    if p == Priority::SHUTDOWN {
        return Err(ConfigError::PriorityZero);
    }
    Ok(())
}

/// The rule on a GARP / NA burst (`garp_master_repeat`, `garp_master_refresh_repeat`): 1
/// to [`MAX_GARP_REPEAT`]. [`ConfigBuilder::build`] applies it; a reader may apply it where
/// the value is written.
pub fn check_garp_repeat(n: u32) -> Result<(), ConfigError> {
    if !(1..=MAX_GARP_REPEAT).contains(&n) {
        return Err(ConfigError::GarpRepeat(n));
    }
    Ok(())
}
