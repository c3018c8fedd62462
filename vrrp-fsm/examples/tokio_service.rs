//! A tokio service that embeds VRRP: one `Endpoint` driven by the service's own runtime, over
//! a raw IPPROTO_VRRP socket registered with tokio (`AsyncFd`). It elects the master among
//! the copies of the service on a LAN (or with keepalived / vrrpd peers) and says so; a real
//! service would take or release its virtual address (see vrrp-net's `Netlink`) or start and
//! stop its work there. IPv4, multicast, one instance; root (raw socket).
//!
//! `sudo cargo run -p vrrp-fsm --example tokio_service -- eth0 51 150 192.0.2.100`
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::time::{sleep_until, Instant as TokioInstant};
use vrrp_fsm::{Config, Datagram, Endpoint, EventKind, InstanceSpec, Instant, InterfaceId, Vips};
use vrrp_proto::{ChecksumForm, Priority, Vrid, MULTICAST_V4};

/// The interface's index and first IPv4 address (the source of our adverts).
fn interface(name: &str) -> io::Result<(u32, Ipv4Addr)> {
    let index = nix::net::if_::if_nametoindex(name)?;
    let addr = nix::ifaddrs::getifaddrs()?
        .filter(|a| a.interface_name == name)
        .find_map(|a| a.address?.as_sockaddr_in().map(|s| s.ip()))
        .ok_or_else(|| io::Error::other(format!("{name} has no IPv4 address")))?;
    Ok((index, addr))
}

/// A raw VRRP socket on `ifname`: bound to it, in the VRRP group, TTL 255 (RFC 9568 §5.1.1.3).
fn vrrp_socket(ifname: &str, src: Ipv4Addr) -> io::Result<Socket> {
    let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(112)))?;
    s.bind_device(Some(ifname.as_bytes()))?;
    s.join_multicast_v4(&MULTICAST_V4, &src)?;
    s.set_multicast_if_v4(&src)?;
    s.set_multicast_ttl_v4(255)?;
    s.set_multicast_loop_v4(false)?;
    s.set_ttl_v4(255)?;
    s.set_nonblocking(true)?;
    Ok(s)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ifname, vrid, prio, vip] = &args[..] else {
        return Err(io::Error::other(
            "usage: tokio_service IFNAME VRID PRIORITY VIP",
        ));
    };
    let bad = |what: &str| io::Error::other(format!("bad {what}"));
    let vrid = vrid
        .parse()
        .ok()
        .and_then(Vrid::new)
        .ok_or_else(|| bad("VRID"))?;
    let prio = Priority(prio.parse().map_err(|_| bad("priority"))?);
    let vip: Ipv4Addr = vip.parse().map_err(|_| bad("VIP"))?;
    let (ifindex, src) = interface(ifname)?;

    let config = Config::builder(vrid, IpAddr::V4(src), Vips::V4(vec![vip]))
        .priority(prio)
        .build()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let interface = InterfaceId(ifindex);
    let spec = InstanceSpec {
        interface,
        config,
        peers: vec![],
        track_interfaces: vec![],
    };
    let mut ep = Endpoint::new(ChecksumForm::PseudoHeader);
    let start = TokioInstant::now();
    let clock = || Instant::from_micros(start.elapsed().as_micros() as u64);
    let id = ep
        .add(clock(), spec)
        .map_err(|e| io::Error::other(e.to_string()))?;
    ep.start_all(clock());

    // SAFETY: the AsyncFd owns the socket, whose descriptor stays open and the same until
    // the AsyncFd drops it.
    let sock = unsafe { AsyncFd::register(vrrp_socket(ifname, src)?) }.map_err(io::Error::from)?;
    let mut rx = [0u8; 1500];
    let mut tx = [0u8; 1500];
    let mut stopping = false;
    loop {
        // Drain what the endpoint has for us: events first, then adverts.
        while let Some(ev) = ep.poll_event() {
            match ev.kind {
                EventKind::StateChange { to, reason, .. } => {
                    println!("{ifname} VRID {vrid}: {to:?} ({reason:?})")
                }
                EventKind::AddVip(a) => println!("leader: would add {a} and announce it"),
                EventKind::RemoveVip(a) => println!("not leader: would remove {a}"),
                _ => {}
            }
        }
        while let Some(t) = ep.poll_transmit(&mut tx) {
            if let IpAddr::V4(dst) = t.dst {
                let to = SockAddr::from(SocketAddrV4::new(dst, 0));
                if let Err(e) = sock.get_ref().send_to(&tx[..t.len], &to) {
                    eprintln!("sending an advert: {e}");
                }
            }
        }
        if stopping {
            return Ok(());
        }
        let deadline = ep
            .poll_timeout()
            .map(|d| start + d.saturating_duration_since(Instant::ZERO));
        let timer = sleep_until(deadline.unwrap_or_else(|| start + Duration::from_secs(86_400)));
        tokio::select! {
            ready = sock.readable() => {
                let mut guard = ready?;
                // Read until the socket is empty; each datagram into the endpoint.
                while let Ok(Ok(n)) = guard.try_io(|s| s.get_ref().read(&mut rx)) {
                    let bytes = &rx[..n];
                    let Some(h) = bytes.get(12..20) else { continue };
                    let ip = |b: &[u8]| IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]));
                    let d = Datagram { interface, src: ip(&h[..4]), dst: ip(&h[4..]), hop_limit: 0, bytes };
                    ep.handle_datagram(clock(), d);
                }
            }
            _ = timer => ep.handle_timeout(clock()),
            _ = tokio::signal::ctrl_c() => {
                // Priority 0 advert and the VIPs released, then out.
                ep.stop(clock(), id).map_err(|e| io::Error::other(e.to_string()))?;
                stopping = true;
            }
        }
    }
}
