//! `virtual_rules` and `static_rules` lines, read as keepalived 2.2.7 reads them
//! (`alloc_rule` in `vrrp_iprule.c`): every option it takes is either applied or refused
//! with the file and line. A line keepalived reports and skips is refused here.

use std::net::IpAddr;

use vrrp_net::{Rule, RuleKind};

use super::error::{ConfigError, Warning};
use super::model::RuleLine;
use super::route::{prefix, Family, Words};
use super::rtnames::Names;
use super::tree::Statement;

/// keepalived numbers rules written without a preference down from here, per family, in
/// file order (virtual and static rules alike).
const RULE_START_PRIORITY: u32 = 16384;

/// The next preference given to a rule written without one, per family.
#[derive(Debug, Clone)]
pub(super) struct NextPriority {
    v4: u32,
    v6: u32,
}

impl Default for NextPriority {
    fn default() -> Self {
        NextPriority {
            v4: RULE_START_PRIORITY,
            v6: RULE_START_PRIORITY,
        }
    }
}

/// `from` / `to`: a prefix, or `default` / `any` / `all` (nothing: every address).
fn selector(
    w: &mut Words,
    opt: &str,
    fam: &mut Family,
) -> Result<Option<(IpAddr, u8)>, ConfigError> {
    let v = w.value(opt)?;
    if matches!(v, "default" | "any" | "all") {
        return Ok(None);
    }
    let p = prefix(v).ok_or_else(|| w.err(format!("Invalid rule {opt} address {v}")))?;
    fam.set(p.0.is_ipv6(), w)?;
    Ok(Some(p))
}

/// `A[-B]` (one number: A-A), for `sport` / `dport`.
fn port_range(w: &mut Words, opt: &str) -> Result<(u16, u16), ConfigError> {
    let v = w.value(opt)?;
    let one = |t: &str| t.parse::<u16>().ok();
    match v.split_once('-') {
        Some((a, b)) => one(a).zip(one(b)),
        None => one(v).map(|a| (a, a)),
    }
    .ok_or_else(|| w.err(format!("invalid {opt} range {v}")))
}

/// IP protocol numbers and the usual names (keepalived asks `getprotobyname`).
fn ip_proto(v: &str) -> Option<u8> {
    if let Ok(n) = v.parse::<u8>() {
        return (n <= 127).then_some(n);
    }
    Some(match v {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "ipv6-icmp" | "icmpv6" => 58,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "sctp" => 132,
        "udplite" => 136,
        "vrrp" => 112,
        _ => return None,
    })
}

/// One rule line.
fn rule(
    s: &Statement,
    next: &mut NextPriority,
    warnings: &mut Vec<Warning>,
) -> Result<Rule, ConfigError> {
    let mut w = Words::new(s);
    let mut fam = Family(None);
    let mut r = Rule {
        ipv6: false,
        from: None,
        to: None,
        invert: false,
        priority: 0,
        tos: 0,
        fwmark: None,
        realms: 0,
        suppress_prefixlen: None,
        suppress_ifgroup: None,
        iif: None,
        oif: None,
        tunnel_id: 0,
        uid_range: None,
        protocol: None,
        ip_proto: None,
        sport: None,
        dport: None,
        kind: RuleKind::Nop,
        track: false,
    };
    let mut kind: Option<RuleKind> = None;
    let mut priority = None;
    let mut table_option = false;
    let mut no_track = false;
    let set_kind = |kind: &mut Option<RuleKind>, k: RuleKind, w: &Words| {
        if kind.is_some() {
            return Err(w.err(
                "Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule",
            ));
        }
        *kind = Some(k);
        Ok(())
    };
    while let Some(opt) = w.next() {
        match opt {
            "inet" => fam.set(false, &w)?,
            "inet6" => fam.set(true, &w)?,
            "from" => r.from = selector(&mut w, opt, &mut fam)?,
            "to" => r.to = selector(&mut w, opt, &mut fam)?,
            "table" | "lookup" => {
                let t = w.named(opt, Names::Table, u32::MAX)?;
                if t == 0 {
                    return Err(w.err("Table 0 is not valid"));
                }
                set_kind(&mut kind, RuleKind::Table(t), &w)?;
            }
            "not" => r.invert = true,
            "preference" | "order" | "priority" => priority = Some(w.num(opt, u32::MAX)?),
            "tos" | "dsfield" => r.tos = w.named(opt, Names::DsField, 255)? as u8,
            "fwmark" => {
                let v = w.value(opt)?;
                let bad = || w.err(format!("Invalid rule fwmark {v} specified"));
                let num = |t: &str| super::rtnames::number(t).ok_or_else(bad);
                r.fwmark = Some(match v.split_once('/') {
                    Some((m, k)) => (num(m)?, Some(num(k)?)),
                    None => (num(v)?, None),
                });
            }
            "realms" => {
                r.realms = w.realms(opt)?;
                table_option = true;
                if fam.v6() {
                    return Err(w.err("realms is only valid for IPv4"));
                }
                fam.set(false, &w)?;
            }
            "suppress_prefixlength" | "sup_pl" => {
                r.suppress_prefixlen = Some(w.num(opt, i32::MAX as u32)?);
                table_option = true;
            }
            "suppress_ifgroup" | "sup_group" => {
                r.suppress_ifgroup = Some(w.named(opt, Names::Group, u32::MAX)?);
                table_option = true;
            }
            "dev" | "iif" => r.iif = Some(w.value(opt)?.to_string()),
            "oif" => r.oif = Some(w.value(opt)?.to_string()),
            "tunnel-id" => {
                let v = w.value(opt)?;
                r.tunnel_id = v
                    .parse()
                    .map_err(|_| w.err(format!("Invalid tunnel-id {v} specified")))?;
            }
            "uidrange" => {
                let v = w.value(opt)?;
                let range = v
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
                r.uid_range =
                    Some(range.ok_or_else(|| w.err(format!("Invalid uidrange {v} specified")))?);
            }
            "l3mdev" => set_kind(&mut kind, RuleKind::L3mdev, &w)?,
            "protocol" => r.protocol = Some(w.num(opt, 255)? as u8),
            "ipproto" => {
                let v = w.value(opt)?;
                r.ip_proto =
                    Some(ip_proto(v).ok_or_else(|| w.err(format!("Invalid ipproto {v}")))?);
            }
            "sport" => r.sport = Some(port_range(&mut w, opt)?),
            "dport" => r.dport = Some(port_range(&mut w, opt)?),
            "no_track" => no_track = true,
            "track_group" => {
                return Err(
                    w.err("track_group (static rule tracking groups) is not implemented by vrrpd")
                )
            }
            other => {
                let mut a = other;
                if a == "type" {
                    a = w.value(opt)?;
                }
                let k = match a {
                    "goto" => RuleKind::Goto(w.num(a, u32::MAX)?),
                    "nop" => RuleKind::Nop,
                    "blackhole" => RuleKind::Blackhole,
                    "unreachable" => RuleKind::Unreachable,
                    "prohibit" => RuleKind::Prohibit,
                    _ if Names::RouteType.lookup(a, 255).is_some() => {
                        return Err(w.err(format!("Invalid rule action {a}")))
                    }
                    _ => return Err(w.err(format!("Unknown rule option {a}"))),
                };
                set_kind(&mut kind, k, &w)?;
            }
        }
    }
    let Some(kind) = kind else {
        return Err(w.err("No action specified for rule"));
    };
    if let RuleKind::Goto(target) = kind {
        match priority {
            Some(p) if p >= target => {
                return Err(w.err(format!(
                    "Invalid rule - preference {p} >= goto target {target}"
                )))
            }
            None => {
                return Err(w.err(format!(
                    "Invalid rule - goto target {target} specified without preference"
                )))
            }
            Some(_) => {}
        }
    }
    if table_option && !matches!(kind, RuleKind::Table(_) | RuleKind::L3mdev) {
        return Err(w.err("suppressor/realm specified for non table action"));
    }
    r.kind = kind;
    if !no_track {
        if r.protocol.is_some_and(|p| p != vrrp_net::RTPROT_KEEPALIVED) {
            w.warn(
                warnings,
                format!(
                    "Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED({}), resetting protocol",
                    vrrp_net::RTPROT_KEEPALIVED
                ),
            );
        }
        r.protocol = Some(vrrp_net::RTPROT_KEEPALIVED);
    }
    r.ipv6 = fam.v6();
    r.track = !no_track;
    r.priority = match priority {
        Some(p) => p,
        None => {
            let n = if r.ipv6 { &mut next.v6 } else { &mut next.v4 };
            let p = *n;
            *n = n.saturating_sub(1);
            w.warn(
                warnings,
                format!(
                    "Rule has no preference specified - setting to {p}. This is probably not what you want."
                ),
            );
            p
        }
    };
    Ok(r)
}

/// A `virtual_rules` / `static_rules` block. A rule without `no_track` is tracked
/// ([`Rule::track`]: deleted behind our back, the instance leaves MASTER, or a static rule
/// is put back).
pub(super) fn rules(
    stmt: &Statement,
    next: &mut NextPriority,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<RuleLine>, ConfigError> {
    let mut out = Vec::with_capacity(stmt.children().len());
    for s in stmt.children() {
        if s.block.is_some() {
            return Err(ConfigError::invalid(
                &s.loc,
                format!("unexpected block after '{}'", s.keyword),
            ));
        }
        let rule = rule(s, next, warnings)?;
        out.push(RuleLine {
            rule,
            loc: s.loc.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse_all(lines: &str) -> Result<(Vec<Rule>, Vec<Warning>), ConfigError> {
        let text = format!("virtual_rules {{\n{lines}\n}}\n");
        let mut warnings = Vec::new();
        let mut next = NextPriority::default();
        let mut got = Vec::new();
        super::super::tree::visit_str(Path::new("t.conf"), &text, &mut |stmt| {
            got = rules(&stmt, &mut next, &mut warnings)?;
            Ok(())
        })?;
        Ok((got.into_iter().map(|l| l.rule).collect(), warnings))
    }

    fn ok(line: &str) -> Rule {
        parse_all(line)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .0
            .remove(0)
    }

    #[test]
    fn keepalived_sample_lines_and_default_preferences() {
        let (r, w) = parse_all(
            "from 192.0.2.0/24 table 2\nto 198.51.100.0/24 table 2\nfrom 2001:db8::/64 table 3",
        )
        .unwrap();
        assert_eq!(r[0].from, Some(("192.0.2.0".parse().unwrap(), 24)));
        assert_eq!(r[0].kind, RuleKind::Table(2));
        assert_eq!(
            (r[0].priority, r[1].priority, r[2].priority),
            (16384, 16383, 16384)
        );
        assert!(r[2].ipv6);
        assert_eq!(r[0].protocol, Some(18));
        assert!(w[0].message.contains("setting to 16384"));
    }

    #[test]
    fn every_option() {
        let r = ok("not from all to 198.51.100.0/24 iif eth0 oif eth1 fwmark 0x10/0xff tos 0x10 priority 100 lookup 1000 suppress_prefixlength 0 sup_group 1 uidrange 1000-2000 ipproto tcp sport 1000-2000 dport 80 protocol 18 tunnel-id 5 realms 3");
        assert!(r.invert);
        assert_eq!(r.from, None);
        assert_eq!(r.fwmark, Some((16, Some(255))));
        assert_eq!(
            (r.tos, r.priority, r.kind),
            (16, 100, RuleKind::Table(1000))
        );
        assert_eq!(
            (r.suppress_prefixlen, r.suppress_ifgroup),
            (Some(0), Some(1))
        );
        assert_eq!(r.uid_range, Some((1000, 2000)));
        assert_eq!(
            (r.ip_proto, r.sport, r.dport),
            (Some(6), Some((1000, 2000)), Some((80, 80)))
        );
        assert_eq!((r.tunnel_id, r.realms), (5, 3));
        assert_eq!(
            ok("from 192.0.2.1 goto 200 preference 100").kind,
            RuleKind::Goto(200)
        );
        assert_eq!(
            ok("to 192.0.2.1 type blackhole preference 7").kind,
            RuleKind::Blackhole
        );
        assert_eq!(ok("iif eth0 l3mdev preference 7").kind, RuleKind::L3mdev);
        assert_eq!(ok("fwmark 1 prohibit preference 7 no_track").protocol, None);
        assert!(!ok("fwmark 1 prohibit preference 7 no_track").track);
        assert!(ok("fwmark 1 prohibit preference 7").track);
        assert_eq!(
            ok("fwmark 1 unreachable preference 7 no_track protocol 4").protocol,
            Some(4)
        );
        assert!(ok("inet6 fwmark 1 nop preference 7").ipv6);
    }

    #[test]
    fn refusals_name_the_line_and_why() {
        for (line, why) in [
            ("from 192.0.2.0/24", "No action specified"),
            (
                "to 192.168.100./24 table 1",
                "Invalid rule to address 192.168.100./24",
            ),
            (
                "from 192.0.2.0/24 table 1 blackhole",
                "Cannot specify more than one",
            ),
            ("from 192.0.2.0/24 table 0", "Table 0 is not valid"),
            ("from 192.0.2.0/24 goto 100", "without preference"),
            (
                "from 192.0.2.0/24 goto 100 preference 100",
                "preference 100 >= goto target 100",
            ),
            (
                "from 192.0.2.0/24 blackhole realms 1 preference 1",
                "non table action",
            ),
            (
                "from 192.0.2.0/24 to 2001:db8::/64 table 1",
                "cannot mix IPv4 and IPv6",
            ),
            (
                "from 192.0.2.0/24 throw preference 1",
                "Invalid rule action throw",
            ),
            (
                "from 192.0.2.0/24 frobnicate",
                "Unknown rule option frobnicate",
            ),
            ("fwmark x table 1", "Invalid rule fwmark x"),
            (
                "from 192.0.2.0/24 table 1 track_group g",
                "not implemented by vrrpd",
            ),
        ] {
            let e = parse_all(line).map(|_| ()).unwrap_err().to_string();
            assert!(e.starts_with("t.conf:2: "), "{line}: {e}");
            assert!(e.contains(why), "{line}: {e}");
        }
    }
}
