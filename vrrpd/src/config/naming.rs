//! The top-level keywords that name a daemon and place it (keepalived's
//! `install_keyword_root` in core/global_parser.c): `net_namespace NAME` (the daemon runs
//! in network namespace NAME), `instance NAME` (its pid files are named after NAME) and
//! `use_pid_dir` (pid files in a directory of their own, which vrrpd's always are).

use super::error::ConfigError;
use super::tree::Statement;

/// How the daemon is named and placed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Naming {
    /// `net_namespace NAME`: the network namespace (`/run/netns/NAME`) the daemon runs in.
    pub net_namespace: Option<String>,
    /// `instance NAME`: pid files and control socket are named after it.
    pub instance: Option<String>,
}

/// A name usable as a path component: `[A-Za-z0-9._-]`, not starting with a dot, at most
/// 64 bytes.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Take a top-level `net_namespace`, `instance` or `use_pid_dir` statement; false for any
/// other keyword. keepalived reports a missing or second name as a configuration error
/// (and ignores it): both are refused here.
pub fn root_keyword(naming: &mut Naming, stmt: &Statement) -> Result<bool, ConfigError> {
    let slot = match stmt.keyword.as_str() {
        "net_namespace" => &mut naming.net_namespace,
        "instance" => &mut naming.instance,
        // vrrpd's pid files always are in /run/vrrpd/.
        "use_pid_dir" => return Ok(true),
        _ => return Ok(false),
    };
    let kw = &stmt.keyword;
    let [name] = stmt.args.as_slice() else {
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!("'{kw}' takes one name"),
        ));
    };
    if !valid_name(name) {
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!("{kw} '{name}': a name is letters, digits, '.', '_' and '-' (not first '.'), at most 64"),
        ));
    }
    if let Some(old) = slot {
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!("duplicate {kw} definition {name} (already {old})"),
        ));
    }
    *slot = Some(name.clone());
    Ok(true)
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use std::path::Path;

    #[test]
    fn naming_keywords() {
        let b = parse(
            Path::new("t.conf"),
            "net_namespace blue\ninstance one\nuse_pid_dir\n",
        )
        .unwrap();
        assert_eq!(b.config.naming.net_namespace.as_deref(), Some("blue"));
        assert_eq!(b.config.naming.instance.as_deref(), Some("one"));
        assert!(b.warnings.is_empty(), "{:?}", b.warnings);
        for (text, msg) in [
            (
                "net_namespace\n",
                "t.conf:1: 'net_namespace' takes one name",
            ),
            (
                "instance a\ninstance b\n",
                "t.conf:2: duplicate instance definition b (already a)",
            ),
        ] {
            assert_eq!(
                parse(Path::new("t.conf"), text).unwrap_err().to_string(),
                msg
            );
        }
        assert!(parse(Path::new("t.conf"), "net_namespace ../x\n").is_err());
    }
}
