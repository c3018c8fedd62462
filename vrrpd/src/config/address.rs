//! `virtual_ipaddress` / `virtual_ipaddress_excluded` lines, as keepalived 2.2.7 reads them
//! (vrrp_ipaddress.c `alloc_ipaddress`):
//! `ADDR[/LEN] [dev IF] [scope S] [brd|broadcast ADDR|+|-] [label L] [peer ADDR] [home]
//! [-nodad] [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [preferred_lft N|forever]`.
//!
//! Where keepalived drops the whole address with an error (a bad address, a broadcast on
//! IPv6, a label too long, a word without its value, an option given twice, an unknown
//! option) vrrpd refuses the file at that line; where keepalived warns and goes on without
//! the option (a scope or label on IPv6, a prefix with `peer`, `brd` with `peer`, `brd +/-`
//! on a prefix above /30) vrrpd does the same, with a warning naming the line.

use std::net::{IpAddr, Ipv4Addr};

use super::error::{ConfigError, Warning};
use super::model::VirtualAddress;
use super::tree::Statement;
use super::values::{int_in, ip};

/// The kernel's "forever" lifetime.
const FOREVER: u32 = u32::MAX;

/// IFNAMSIZ: a label is at most 15 bytes.
const MAX_LABEL: usize = 15;

/// Every line of a `virtual_ipaddress` / `virtual_ipaddress_excluded` block.
pub(super) fn addresses(
    stmt: &Statement,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<VirtualAddress>, ConfigError> {
    let mut out = Vec::with_capacity(stmt.children().len());
    for s in stmt.children() {
        if s.block.is_some() {
            return Err(ConfigError::invalid(
                &s.loc,
                format!("unexpected block after '{}'", s.keyword),
            ));
        }
        out.push(address(s, warnings)?);
    }
    Ok(out)
}

/// `+` / `-` / an address after `brd`.
enum Broadcast {
    Set(Ipv4Addr),
    Ones,
    Zeros,
}

/// One address line.
pub(super) fn address(
    s: &Statement,
    warnings: &mut Vec<Warning>,
) -> Result<VirtualAddress, ConfigError> {
    let fail = |msg: String| Err(ConfigError::invalid(&s.loc, msg));
    let mut warn = |msg: String| {
        warnings.push(Warning {
            loc: s.loc.clone(),
            message: msg,
        })
    };
    let line = s.keyword.as_str();
    let (addr_text, prefix_text) = match line.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (line, None),
    };
    let addr = ip(s, addr_text)?;
    let v6 = addr.is_ipv6();
    let max = if v6 { 128 } else { 32 };
    let prefix = match prefix_text {
        Some(p) => int_in(s, p, 0u8, max)?,
        None => max,
    };
    let mut v = VirtualAddress {
        addr,
        prefix,
        dev: None,
        label: None,
        scope: 0,
        broadcast: None,
        peer: None,
        home: false,
        dad: false,
        mngtmpaddr: false,
        noprefixroute: false,
        autojoin: false,
        preferred_lft: if v6 && prefix == 128 { 0 } else { FOREVER },
        no_track: false,
        loc: s.loc.clone(),
    };
    let mut brd = None;
    let mut preferred_set = false;
    let mut words = s.args.iter();
    while let Some(opt) = words.next() {
        let mut value = || {
            words.next().map(String::as_str).ok_or_else(|| {
                ConfigError::invalid(&s.loc, format!("No {opt} parameter specified for {line}"))
            })
        };
        match opt.as_str() {
            "dev" => {
                let d = value()?;
                if v.dev.is_some() {
                    return fail(format!(
                        "Cannot specify ipaddress device more than once for {line}"
                    ));
                }
                v.dev = Some(d.to_owned());
            }
            "scope" => v.scope = scope(s, value()?)?,
            "brd" | "broadcast" => {
                let b = value()?;
                if v6 {
                    return fail(format!(
                        "{opt} {b} on the IPv6 address {line}: IPv6 has no broadcast"
                    ));
                }
                brd = Some(match b {
                    "+" => Broadcast::Ones,
                    "-" => Broadcast::Zeros,
                    _ => match b.parse() {
                        Ok(a) => Broadcast::Set(a),
                        Err(_) => return fail(format!("invalid broadcast address '{b}'")),
                    },
                });
            }
            "label" => {
                let l = value()?;
                if l.len() > MAX_LABEL {
                    return fail(format!(
                        "Address label {l} is longer than maximum length {MAX_LABEL}"
                    ));
                }
                v.label = Some(l.to_owned());
            }
            "peer" => {
                let p = value()?;
                if v.peer.is_some() {
                    return fail(format!("Peer {p} - another peer has already been specified"));
                }
                // keepalived 2.2.7 reads the peer without a prefix length.
                if p.contains('/') {
                    return fail(format!(
                        "Invalid peer address {p}: keepalived 2.2.7 takes no prefix length after peer"
                    ));
                }
                let peer = ip(s, p)?;
                if peer.is_ipv6() != v6 {
                    return fail(format!("Peer address {p} does not match address family"));
                }
                if prefix != max {
                    warn(
                        "Cannot specify address prefix when specifying peer address - ignoring"
                            .into(),
                    );
                }
                v.prefix = max;
                v.peer = Some(peer);
            }
            "home" => v.home = true,
            "-nodad" => v.dad = true,
            "mngtmpaddr" => v.mngtmpaddr = true,
            "noprefixroute" => v.noprefixroute = true,
            "autojoin" => v.autojoin = true,
            "no_track" => v.no_track = true,
            "preferred_lft" => {
                let p = value()?;
                v.preferred_lft = match p {
                    "forever" => FOREVER,
                    n => int_in(s, n, 0u32, u32::MAX)?,
                };
                preferred_set = true;
            }
            "use_vmac" => {
                return fail(format!(
                    "use_vmac on an address line ({line}) is not supported by vrrpd (use_vmac of the instance is)"
                ))
            }
            "track_group" => {
                return fail(format!(
                    "track_group applies to static addresses only, not to {line}"
                ))
            }
            other => return fail(format!("Unknown configuration entry '{other}' for ip address")),
        }
    }
    match brd {
        Some(_) if v.peer.is_some() => {
            warn("Cannot specify broadcast and peer addresses - ignoring broadcast address".into())
        }
        Some(Broadcast::Set(b)) => v.broadcast = Some(b),
        Some(_) if v.prefix > 30 => warn(format!(
            "Address prefix length {} too long for broadcast",
            v.prefix
        )),
        Some(kind) => {
            let IpAddr::V4(a) = addr else {
                unreachable!("IPv6 broadcast refused above")
            };
            let host_bits = u32::MAX >> v.prefix;
            let a = u32::from(a);
            v.broadcast = Some(Ipv4Addr::from(match kind {
                Broadcast::Ones => a | host_bits,
                _ => a & !host_bits,
            }));
        }
        None => {}
    }
    if v6 {
        if v.scope != 0 {
            warn(format!(
                "Cannot specify scope for IPv6 addresses ({line}) - ignoring scope"
            ));
            v.scope = 0;
        }
        if v.label.take().is_some() {
            warn(format!(
                "Cannot specify label for IPv6 addresses ({line}) - ignoring label"
            ));
        }
    } else if preferred_set {
        warn(format!(
            "preferred_lft applies to IPv6 addresses only; ignored for {line}"
        ));
    }
    Ok(v)
}

/// `scope`: a name of iproute2's rt_scopes, or a number.
fn scope(s: &Statement, name: &str) -> Result<u8, ConfigError> {
    Ok(match name {
        "global" => 0,
        "site" => 200,
        "link" => 253,
        "host" => 254,
        "nowhere" => 255,
        n => n.parse().map_err(|_| {
            ConfigError::invalid(
                &s.loc,
                format!("Invalid scope '{n}' (global, site, link, host, nowhere or 0-255)"),
            )
        })?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::Loc;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn line(text: &str) -> Result<(VirtualAddress, Vec<Warning>), ConfigError> {
        let mut words = text.split_whitespace().map(String::from);
        let s = Statement {
            raw: text.to_string(),
            keyword: words.next().unwrap(),
            args: words.collect(),
            block: None,
            loc: Loc {
                file: Arc::new(PathBuf::from("t.conf")),
                line: 7,
            },
        };
        let mut w = Vec::new();
        address(&s, &mut w).map(|v| (v, w))
    }

    fn ok(text: &str) -> VirtualAddress {
        let (v, w) = line(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(w.is_empty(), "{text}: {w:?}");
        v
    }

    fn refused(text: &str) -> String {
        line(text).expect_err(text).to_string()
    }

    fn warned(text: &str) -> (VirtualAddress, String) {
        let (v, w) = line(text).unwrap();
        assert_eq!(w.len(), 1, "{text}: {w:?}");
        (v, w[0].to_string())
    }

    #[test]
    fn keepalived_defaults() {
        let v = ok("192.0.2.10");
        assert_eq!((v.prefix, v.scope, v.broadcast, v.dev), (32, 0, None, None));
        assert_eq!(v.preferred_lft, FOREVER);
        // IPv6: a /128 is deprecated (preferred_lft 0), a shorter prefix is not.
        assert_eq!(ok("2001:db8::10").preferred_lft, 0);
        assert_eq!(ok("2001:db8::10/64").preferred_lft, FOREVER);
        assert!(!ok("2001:db8::10").dad);
    }

    #[test]
    fn every_option() {
        let v = ok(
            "192.0.2.10/24 dev eth1 scope link brd + label eth1:vip home \
                    noprefixroute autojoin mngtmpaddr -nodad no_track",
        );
        assert_eq!(v.dev.as_deref(), Some("eth1"));
        assert_eq!(v.scope, 253);
        assert_eq!(v.broadcast, Some(Ipv4Addr::new(192, 0, 2, 255)));
        assert_eq!(v.label.as_deref(), Some("eth1:vip"));
        assert!(v.home && v.noprefixroute && v.autojoin && v.mngtmpaddr && v.dad && v.no_track);
        assert_eq!(
            ok("192.0.2.13/25 brd -").broadcast,
            Some(Ipv4Addr::new(192, 0, 2, 0))
        );
        assert_eq!(
            ok("192.0.2.13/25 broadcast 192.0.2.77").broadcast,
            Some(Ipv4Addr::new(192, 0, 2, 77))
        );
        assert_eq!(ok("192.0.2.13 scope 17").scope, 17);
        let p = ok("192.0.2.12 peer 198.51.100.1");
        assert_eq!(
            (p.peer, p.prefix),
            (Some("198.51.100.1".parse().unwrap()), 32)
        );
        assert_eq!(ok("2001:db8::1/64 preferred_lft 100").preferred_lft, 100);
        assert_eq!(
            ok("2001:db8::1 preferred_lft forever").preferred_lft,
            FOREVER
        );
    }

    #[test]
    fn keepalived_warns_and_goes_on() {
        let (v, w) = warned("2001:db8::1 scope link");
        assert_eq!(v.scope, 0);
        assert!(
            w.starts_with("t.conf:7: warning: ") && w.contains("ignoring scope"),
            "{w}"
        );
        let (v, w) = warned("2001:db8::1 label x");
        assert!(v.label.is_none() && w.contains("ignoring label"), "{w}");
        let (v, w) = warned("192.0.2.12/24 peer 198.51.100.1");
        assert_eq!(v.prefix, 32);
        assert!(w.contains("Cannot specify address prefix"), "{w}");
        let (v, w) = warned("192.0.2.12 peer 198.51.100.1 brd 192.0.2.255");
        assert!(
            v.broadcast.is_none() && w.contains("ignoring broadcast"),
            "{w}"
        );
        let (v, w) = warned("192.0.2.12/31 brd +");
        assert!(
            v.broadcast.is_none() && w.contains("too long for broadcast"),
            "{w}"
        );
        let (_, w) = warned("192.0.2.12 preferred_lft 5");
        assert!(w.contains("IPv6 addresses only"), "{w}");
    }

    #[test]
    fn keepalived_drops_these_vrrpd_refuses_them() {
        for (text, why) in [
            ("192.0.2.300", "192.0.2.300"),
            ("192.0.2.1/33", "33"),
            ("192.0.2.1 dev", "No dev parameter"),
            ("192.0.2.1 dev a dev b", "more than once"),
            ("2001:db8::1 brd +", "IPv6 has no broadcast"),
            ("192.0.2.1 brd x", "invalid broadcast"),
            ("192.0.2.1 label abcdefghijklmnop", "longer than maximum"),
            ("192.0.2.1 peer 198.51.100.1/24", "no prefix length"),
            ("192.0.2.1 peer 2001:db8::1", "does not match"),
            (
                "192.0.2.1 peer 198.51.100.1 peer 198.51.100.2",
                "already been specified",
            ),
            ("192.0.2.1 scope galaxy", "Invalid scope"),
            ("192.0.2.1 preferred_lft soon", "soon"),
            ("192.0.2.1 use_vmac", "not supported"),
            ("192.0.2.1 track_group g", "static addresses only"),
            (
                "192.0.2.1 frobnicate",
                "Unknown configuration entry 'frobnicate'",
            ),
        ] {
            let e = refused(text);
            assert!(
                e.starts_with("t.conf:7: ") && e.contains(why),
                "{text}: {e}"
            );
        }
    }
}
