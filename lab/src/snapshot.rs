//! What a namespace's data plane looks like to a user: its links, addresses, routes of
//! every table and rules of both families, as sorted text lines that two runs (one under
//! keepalived, one under vrrpd) can be compared by, and a readable diff between two.
//!
//! Read with iproute2's JSON output (`ip -d -j addr`, `ip -4/-6 -j -d route show table
//! all`, `ip -4/-6 -j rule`) and normalised: what differs run to run and is nobody's doing
//! is dropped (ifindex numbers, MAC addresses, link-local addresses and their routes,
//! lifetimes counting down: a lifetime is `forever`, `0` or `finite`); everything else is
//! kept, kernel-made routes included (equal in equal runs).

use std::fmt;

use serde_json::{Map, Value};

use crate::{LabError, Netns};

/// One namespace's links, addresses, routes and rules, normalised: sorted lines such as
/// `addr eth0 inet 192.0.2.100/32 label=eth0:1 scope=global valid_lft=forever …`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataPlane {
    lines: Vec<String>,
}

/// What `ip` reports as an infinite lifetime.
const FOREVER: u64 = u32::MAX as u64;

/// Link attributes a user compares (the rest: counters, MACs, indexes, queue sizes).
const LINK_KEYS: [&str; 4] = ["flags", "mtu", "operstate", "master"];

/// Route and rule attributes that differ run to run, or are expiry timers.
const DROPPED_KEYS: [&str; 5] = [
    "ifindex",
    "link_index",
    "link_netnsid",
    "expires",
    "lastuse",
];

impl DataPlane {
    /// Snapshot namespace `ns`.
    pub fn capture(ns: &Netns) -> Result<DataPlane, LabError> {
        Self::capture_named(ns.name())
    }

    /// Snapshot the namespace named `ns` (`ip -n NS …`).
    pub fn capture_named(ns: &str) -> Result<DataPlane, LabError> {
        let ip = |args: &[&str]| {
            let mut all = vec!["-n", ns];
            all.extend_from_slice(args);
            crate::ip(&all)
        };
        Self::from_json(&Json {
            addrs: &ip(&["-d", "-j", "addr"])?,
            routes4: &ip(&["-4", "-d", "-j", "route", "show", "table", "all"])?,
            routes6: &ip(&["-6", "-d", "-j", "route", "show", "table", "all"])?,
            rules4: &ip(&["-4", "-j", "rule"])?,
            rules6: &ip(&["-6", "-j", "rule"])?,
        })
    }

    /// Normalise what `ip` printed.
    pub fn from_json(j: &Json<'_>) -> Result<DataPlane, LabError> {
        let mut lines = Vec::new();
        for link in array("ip addr", j.addrs)? {
            link_lines(&link, &mut lines);
        }
        for (family, text) in [("inet", j.routes4), ("inet6", j.routes6)] {
            for r in array("ip route", text)? {
                if !is_link_local_route(&r) {
                    lines.push(format!("route {family} {}", route_fields(&r)));
                }
            }
        }
        for (family, text) in [("inet", j.rules4), ("inet6", j.rules6)] {
            for r in array("ip rule", text)? {
                lines.push(format!("rule {family} {}", rule_fields(&r)));
            }
        }
        lines.sort();
        Ok(DataPlane { lines })
    }

    /// The normalised lines, sorted.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The lines starting with `prefix` (e.g. `"route inet6 "`).
    pub fn section(&self, prefix: &str) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|l| l.starts_with(prefix))
            .map(String::as_str)
            .collect()
    }

    /// Whether some line contains every one of `words`.
    pub fn has(&self, words: &[&str]) -> bool {
        self.lines
            .iter()
            .any(|l| words.iter().all(|w| l.contains(w)))
    }

    /// What differs from `other`: lines only here (`-`) and only there (`+`).
    pub fn diff(&self, other: &DataPlane) -> Diff {
        let (mut i, mut j) = (0, 0);
        let (a, b) = (&self.lines, &other.lines);
        let mut lines = Vec::new();
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x < y => {
                    lines.push(('-', x.clone()));
                    i += 1;
                }
                (Some(x), None) => {
                    lines.push(('-', x.clone()));
                    i += 1;
                }
                (_, Some(y)) => {
                    lines.push(('+', y.clone()));
                    j += 1;
                }
                (None, None) => break,
            }
        }
        Diff { lines }
    }
}

impl fmt::Display for DataPlane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.lines {
            writeln!(f, "{l}")?;
        }
        Ok(())
    }
}

/// The JSON texts a [`DataPlane`] is made of, as `ip` prints them.
#[derive(Debug, Clone, Copy)]
pub struct Json<'a> {
    /// `ip -d -j addr`.
    pub addrs: &'a str,
    /// `ip -4 -d -j route show table all`.
    pub routes4: &'a str,
    /// `ip -6 -d -j route show table all`.
    pub routes6: &'a str,
    /// `ip -4 -j rule`.
    pub rules4: &'a str,
    /// `ip -6 -j rule`.
    pub rules6: &'a str,
}

/// The difference between two [`DataPlane`]s, in line order: `-` only in the first, `+`
/// only in the second.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// `('-' | '+', line)`.
    pub lines: Vec<(char, String)>,
}

impl Diff {
    /// Whether the two were equal.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (sign, l) in &self.lines {
            writeln!(f, "{sign} {l}")?;
        }
        Ok(())
    }
}

fn array(what: &str, text: &str) -> Result<Vec<Map<String, Value>>, LabError> {
    let bad = |why: String| LabError::Snapshot(format!("{what}: {why}"));
    // `ip -j` prints nothing at all for an empty rule list on some versions.
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let v: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let Value::Array(items) = v else {
        return Err(bad("not a JSON array".into()));
    };
    items
        .into_iter()
        .map(|i| match i {
            Value::Object(m) => Ok(m),
            other => Err(bad(format!("not an object: {other}"))),
        })
        .collect()
}

/// `link IF kind=… flags=… mtu=… operstate=…` and one `addr IF FAMILY ADDR/LEN …` line
/// per address that is not link-local.
fn link_lines(link: &Map<String, Value>, out: &mut Vec<String>) {
    let name = text(link.get("ifname"));
    let mut l = format!("link {name}");
    if let Some(kind) = link.get("linkinfo").and_then(|i| i.get("info_kind")) {
        l += &format!(" kind={}", text(Some(kind)));
    }
    for k in LINK_KEYS {
        if let Some(v) = link.get(k) {
            l += &format!(" {k}={}", text(Some(v)));
        }
    }
    out.push(l);
    let Some(Value::Array(addrs)) = link.get("addr_info") else {
        return;
    };
    for a in addrs.iter().filter_map(Value::as_object) {
        let local = text(a.get("local"));
        if a.get("family").and_then(Value::as_str) == Some("inet6") && is_link_local(&local) {
            continue;
        }
        let mut l = format!(
            "addr {name} {} {local}/{}",
            text(a.get("family")),
            text(a.get("prefixlen"))
        );
        let mut rest: Vec<String> = a
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "family" | "local" | "prefixlen"))
            .map(|(k, v)| match k.as_str() {
                "valid_life_time" => format!("valid_lft={}", lifetime(v)),
                "preferred_life_time" => format!("preferred_lft={}", lifetime(v)),
                _ => field(k, v),
            })
            .collect();
        rest.sort();
        for r in rest {
            l += " ";
            l += &r;
        }
        out.push(l);
    }
}

/// `TYPE DST table=… key=value…` (the rest sorted by key).
fn route_fields(r: &Map<String, Value>) -> String {
    let mut s = format!("{} {}", text(r.get("type")), text(r.get("dst")));
    s += &format!(" table={}", text(r.get("table")));
    s + &rest(r, &["type", "dst", "table"])
}

/// `priority=… key=value…` (the rest sorted by key).
fn rule_fields(r: &Map<String, Value>) -> String {
    format!("priority={}", text(r.get("priority"))) + &rest(r, &["priority"])
}

/// ` key=value` for every key but `shown` and [`DROPPED_KEYS`], sorted by key.
fn rest(r: &Map<String, Value>, shown: &[&str]) -> String {
    let mut v: Vec<String> = r
        .iter()
        .filter(|(k, _)| !shown.contains(&k.as_str()) && !DROPPED_KEYS.contains(&k.as_str()))
        .filter(|(_, v)| !matches!(v, Value::Array(a) if a.is_empty()))
        .map(|(k, v)| field(k, v))
        .collect();
    v.sort();
    v.iter().map(|f| format!(" {f}")).collect()
}

/// `key` for `true`, `key=value` otherwise.
fn field(k: &str, v: &Value) -> String {
    match v {
        Value::Bool(true) => k.to_owned(),
        _ => format!("{k}={}", text(Some(v))),
    }
}

/// A JSON value as one word: strings bare, arrays comma-joined, objects `{k=v …}` with
/// [`DROPPED_KEYS`] left out (nexthops).
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => {
            let items: Vec<String> = a.iter().map(|i| text(Some(i))).collect();
            items.join(",")
        }
        Some(Value::Object(m)) => format!("{{{}}}", rest(m, &[]).trim_start()),
        Some(other) => other.to_string(),
    }
}

fn lifetime(v: &Value) -> &'static str {
    match v.as_u64() {
        Some(FOREVER) => "forever",
        Some(0) => "0",
        _ => "finite",
    }
}

fn is_link_local(addr: &str) -> bool {
    addr.parse::<std::net::Ipv6Addr>()
        .is_ok_and(|a| a.segments()[0] & 0xffc0 == 0xfe80)
}

/// A route to one link-local address (the kernel's `local fe80::…` for each interface's
/// link-local address, which differs run to run). `fe80::/64` itself is kept.
fn is_link_local_route(r: &Map<String, Value>) -> bool {
    let dst = text(r.get("dst"));
    !dst.contains('/') && is_link_local(&dst)
}

#[cfg(test)]
mod tests {
    use super::{DataPlane, Json};

    const ADDRS: &str = r#"[{"ifindex":3,"link":"x1","ifname":"x0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","address":"ae:16:c5:5c:4b:aa","linkinfo":{"info_kind":"veth"},"addr_info":[
        {"family":"inet","local":"192.0.2.5","prefixlen":24,"broadcast":"192.0.2.255","scope":"global","label":"x0","valid_life_time":4294967295,"preferred_life_time":4294967295},
        {"family":"inet","local":"192.0.2.9","prefixlen":32,"scope":"global","label":"x0:1","valid_life_time":4294967295,"preferred_life_time":0},
        {"family":"inet6","local":"2001:db8::5","prefixlen":64,"scope":"global","nodad":true,"valid_life_time":3591,"preferred_life_time":4294967295},
        {"family":"inet6","local":"fe80::ac16:c5ff:fe5c:4baa","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]"#;
    const ROUTES4: &str = r#"[{"type":"unicast","dst":"198.51.100.0/24","gateway":"192.0.2.1","dev":"x0","table":"100","protocol":"boot","scope":"global","metric":5,"flags":[]},
        {"type":"unicast","dst":"198.51.100.64/26","table":"main","protocol":"boot","scope":"global","flags":[],"nexthops":[{"gateway":"192.0.2.1","dev":"x0","weight":1,"flags":[]},{"gateway":"192.0.2.2","dev":"x0","weight":1,"flags":[]}]},
        {"type":"blackhole","dst":"198.51.100.128/25","table":"main","protocol":"boot","scope":"global","flags":[]}]"#;
    const ROUTES6: &str = r#"[{"type":"unicast","dst":"fe80::/64","dev":"x0","table":"main","protocol":"kernel","scope":"global","metric":256,"flags":[],"pref":"medium"},
        {"type":"local","dst":"fe80::ac16:c5ff:fe5c:4baa","dev":"x0","table":"local","protocol":"kernel","scope":"global","metric":0,"flags":[],"pref":"medium"},
        {"type":"unicast","dst":"2001:db8:5::/64","gateway":"2001:db8::1","dev":"x0","table":"main","protocol":"ra","metric":1024,"flags":[],"pref":"medium","expires":"1785sec"}]"#;
    const RULES4: &str = r#"[{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"192.0.2.9","table":"100"}]"#;
    const RULES6: &str = r#"[{"priority":32765,"src":"2001:db8::","srclen":64,"fwmark":"0x5","iif":"x0","table":"7"}]"#;

    fn sample() -> DataPlane {
        DataPlane::from_json(&Json {
            addrs: ADDRS,
            routes4: ROUTES4,
            routes6: ROUTES6,
            rules4: RULES4,
            rules6: RULES6,
        })
        .unwrap()
    }

    #[test]
    fn normalised_lines_drop_what_differs_run_to_run() {
        let d = sample();
        let expected = [
            "addr x0 inet 192.0.2.5/24 broadcast=192.0.2.255 label=x0 preferred_lft=forever scope=global valid_lft=forever",
            "addr x0 inet 192.0.2.9/32 label=x0:1 preferred_lft=0 scope=global valid_lft=forever",
            "addr x0 inet6 2001:db8::5/64 nodad preferred_lft=forever scope=global valid_lft=finite",
            "link x0 kind=veth flags=BROADCAST,MULTICAST,UP,LOWER_UP mtu=1500 operstate=UP",
            "route inet blackhole 198.51.100.128/25 table=main protocol=boot scope=global",
            "route inet unicast 198.51.100.0/24 table=100 dev=x0 gateway=192.0.2.1 metric=5 protocol=boot scope=global",
            "route inet unicast 198.51.100.64/26 table=main nexthops={dev=x0 gateway=192.0.2.1 weight=1},{dev=x0 gateway=192.0.2.2 weight=1} protocol=boot scope=global",
            "route inet6 unicast 2001:db8:5::/64 table=main dev=x0 gateway=2001:db8::1 metric=1024 pref=medium protocol=ra",
            "route inet6 unicast fe80::/64 table=main dev=x0 metric=256 pref=medium protocol=kernel scope=global",
            "rule inet priority=0 src=all table=local",
            "rule inet priority=100 src=192.0.2.9 table=100",
            "rule inet6 priority=32765 fwmark=0x5 iif=x0 src=2001:db8:: srclen=64 table=7",
        ];
        assert_eq!(d.lines(), expected, "\n{d}");
        // No MAC, no ifindex, no link-local address, no expiry timer.
        let all = d.to_string();
        for gone in ["ae:16", "ifindex", "fe80::ac16", "expires", "1785", "3591"] {
            assert!(!all.contains(gone), "{gone} in\n{all}");
        }
        assert_eq!(d.section("rule inet6 ").len(), 1);
        assert!(d.has(&["addr x0", "label=x0:1"]));
        assert!(!d.has(&["addr x0", "label=x0:2"]));
    }

    #[test]
    fn equal_up_to_counters_and_order() {
        let a = sample();
        // Other ifindex and MAC, another countdown, items in another order.
        let addrs = ADDRS
            .replace("\"ifindex\":3", "\"ifindex\":7")
            .replace("ae:16:c5:5c:4b:aa", "02:00:00:00:00:01")
            .replace("fe80::ac16:c5ff:fe5c:4baa", "fe80::1")
            .replace("3591", "3000");
        let rules4 = r#"[{"priority":100,"src":"192.0.2.9","table":"100"},{"priority":0,"src":"all","table":"local"}]"#;
        let b = DataPlane::from_json(&Json {
            addrs: &addrs,
            routes4: ROUTES4,
            routes6: ROUTES6,
            rules4,
            rules6: RULES6,
        })
        .unwrap();
        assert!(a.diff(&b).is_empty(), "{}", a.diff(&b));
        assert_eq!(a, b);
    }

    #[test]
    fn diff_names_the_lines_each_side_lacks() {
        let a = sample();
        let b = DataPlane::from_json(&Json {
            addrs: &ADDRS.replace("\"nodad\":true,", ""),
            routes4: ROUTES4,
            routes6: ROUTES6,
            rules4: r#"[{"priority":0,"src":"all","table":"local"}]"#,
            rules6: "",
        })
        .unwrap();
        let d = a.diff(&b);
        assert_eq!(
            d.to_string(),
            "- addr x0 inet6 2001:db8::5/64 nodad preferred_lft=forever scope=global valid_lft=finite\n\
             + addr x0 inet6 2001:db8::5/64 preferred_lft=forever scope=global valid_lft=finite\n\
             - rule inet priority=100 src=192.0.2.9 table=100\n\
             - rule inet6 priority=32765 fwmark=0x5 iif=x0 src=2001:db8:: srclen=64 table=7\n"
        );
        assert_eq!(b.diff(&a).lines.len(), 4);
        assert!(a.diff(&a).is_empty());
    }

    #[test]
    fn bad_json_is_an_error() {
        let j = Json {
            addrs: "{",
            routes4: "[]",
            routes6: "[]",
            rules4: "[]",
            rules6: "[]",
        };
        assert!(DataPlane::from_json(&j).is_err());
        let j = Json { addrs: "{}", ..j };
        assert!(DataPlane::from_json(&j).is_err());
        let j = Json { addrs: "[1]", ..j };
        assert!(DataPlane::from_json(&j).is_err());
    }
}
