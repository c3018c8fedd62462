//! iproute2's names for numbers, as keepalived reads them (`lib/rttables.c`): routing
//! tables, protocols, scopes, route types, DS fields, realms and groups. A number (decimal or
//! 0x hex) is taken as is; a name is looked up in keepalived's built-in list, then in
//! `/etc/iproute2/<file>` (and `/usr/share/iproute2/<file>`, where newer iproute2 keeps it).

/// Which list a name is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// `rt_tables`.
    Table,
    /// `rt_protos`.
    Protocol,
    /// `rt_scopes`.
    Scope,
    /// Route types (built in only).
    RouteType,
    /// `rt_dsfield`.
    DsField,
    /// `rt_realms`.
    Realm,
    /// `group` (interface groups).
    Group,
}

impl Names {
    fn builtin(self) -> &'static [(&'static str, u32)] {
        match self {
            Names::Table => &[("default", 253), ("main", 254), ("local", 255)],
            Names::Protocol => &[
                ("none", 0),
                ("redirect", 1),
                ("kernel", 2),
                ("boot", 3),
                ("static", 4),
                ("gated", 8),
                ("ra", 9),
                ("mrt", 10),
                ("zebra", 11),
                ("bird", 12),
                ("dnrouted", 13),
                ("xorp", 14),
                ("ntk", 15),
                ("dhcp", 16),
                ("keepalived", 18),
                ("babel", 42),
            ],
            Names::Scope => &[
                ("global", 0),
                ("site", 200),
                ("link", 253),
                ("host", 254),
                ("nowhere", 255),
            ],
            Names::RouteType => &[
                ("local", 2),
                ("nat", 10),
                ("broadcast", 3),
                ("brd", 3),
                ("anycast", 4),
                ("multicast", 5),
                ("prohibit", 8),
                ("unreachable", 7),
                ("blackhole", 6),
                ("xresolve", 11),
                ("unicast", 1),
                ("throw", 9),
            ],
            Names::DsField | Names::Realm => &[],
            Names::Group => &[("default", 0)],
        }
    }

    fn file(self) -> Option<&'static str> {
        Some(match self {
            Names::Table => "rt_tables",
            Names::Protocol => "rt_protos",
            Names::Scope => "rt_scopes",
            Names::DsField => "rt_dsfield",
            Names::Realm => "rt_realms",
            Names::Group => "group",
            Names::RouteType => return None,
        })
    }

    /// The number `word` names, if any, at most `max`. Route types are names only.
    pub fn lookup(self, word: &str, max: u32) -> Option<u32> {
        let n = if self == Names::RouteType {
            None
        } else {
            number(word)
        };
        let n = n
            .or_else(|| {
                self.builtin()
                    .iter()
                    .find(|(name, _)| *name == word)
                    .map(|&(_, n)| n)
            })
            .or_else(|| self.file().and_then(|f| from_files(f, word)))?;
        (n <= max).then_some(n)
    }
}

/// A decimal or 0x-hex number.
pub fn number(word: &str) -> Option<u32> {
    match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => word.parse().ok(),
    }
}

/// `NUMBER NAME` lines of iproute2's file `name` (comments with `#`).
fn from_files(name: &str, word: &str) -> Option<u32> {
    ["/etc/iproute2", "/usr/share/iproute2", "/usr/lib/iproute2"]
        .iter()
        .find_map(|dir| {
            let path = std::path::Path::new(dir).join(name);
            // Bounded: these are small system files; a huge one is not read.
            let meta = std::fs::metadata(&path).ok()?;
            if meta.len() > 1 << 20 {
                return None;
            }
            let text = std::fs::read_to_string(path).ok()?;
            text.lines().find_map(|line| {
                let line = line.split('#').next().unwrap_or("");
                let mut words = line.split_whitespace();
                let n = number(words.next()?)?;
                (words.next()? == word).then_some(n)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_builtins_and_limits() {
        assert_eq!(Names::Table.lookup("100", u32::MAX), Some(100));
        assert_eq!(Names::Table.lookup("main", u32::MAX), Some(254));
        assert_eq!(Names::Protocol.lookup("keepalived", 255), Some(18));
        assert_eq!(Names::Protocol.lookup("0x12", 255), Some(18));
        assert_eq!(Names::Protocol.lookup("256", 255), None);
        assert_eq!(Names::Scope.lookup("link", 255), Some(253));
        assert_eq!(Names::RouteType.lookup("blackhole", 255), Some(6));
        assert_eq!(Names::RouteType.lookup("6", 255), None);
        assert_eq!(Names::Table.lookup("no-such-table-name", u32::MAX), None);
    }
}
