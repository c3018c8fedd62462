//! keepalived's notify FIFOs in `global_defs`: `notify_fifo` and `vrrp_notify_fifo`
//! (`FIFO_NAME [USER [GROUP]]`), their `_script` forms (`STRING [USER [GROUP]]`: a
//! program started with the FIFO's name as last argument), `fifo_write_vrrp_states_on_reload`
//! and `vrrp_notify_priority_changes`. The daemon's side is `daemon/fifo.rs`.

use super::error::{ConfigError, Warning};
use super::source::Loc;
use super::tree::Statement;
use super::values::bool_arg;
use std::path::PathBuf;

/// The notify FIFO settings of `global_defs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyFifos {
    /// `notify_fifo` / `notify_fifo_script`.
    pub global: FifoConf,
    /// `vrrp_notify_fifo` / `vrrp_notify_fifo_script`.
    pub vrrp: FifoConf,
    /// `fifo_write_vrrp_states_on_reload`: at a reload, the states are written again.
    pub write_states_on_reload: bool,
    /// `vrrp_notify_priority_changes`: default of the instances' `notify_priority_changes`.
    pub notify_priority_changes: bool,
}

impl NotifyFifos {
    /// The FIFOs configured, in keepalived's order of opening (global first).
    pub fn configured(&self) -> impl Iterator<Item = &FifoPath> {
        [&self.global.path, &self.vrrp.path].into_iter().flatten()
    }
}

/// One FIFO: where, and the script that reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FifoConf {
    /// `[vrrp_]notify_fifo`.
    pub path: Option<FifoPath>,
    /// `[vrrp_]notify_fifo_script`.
    pub script: Option<FifoScript>,
}

/// `[vrrp_]notify_fifo FIFO_NAME [USER [GROUP]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoPath {
    /// The keyword, for messages.
    pub keyword: &'static str,
    /// The FIFO.
    pub path: PathBuf,
    /// Owner given to a FIFO the daemon creates (None: the default script user).
    pub user: Option<(String, Option<String>)>,
    /// Where it is written.
    pub loc: Loc,
}

/// `[vrrp_]notify_fifo_script COMMAND [USER [GROUP]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoScript {
    /// The command line (the FIFO's name is appended when it runs).
    pub command: String,
    /// `USER [GROUP]` (None: the default script user).
    pub user: Option<(String, Option<String>)>,
    /// Where it is written.
    pub loc: Loc,
}

/// A `global_defs` line about notify FIFOs taken into `f`; false if `s` is another
/// keyword. A second `[vrrp_]notify_fifo[_script]` is ignored with keepalived's warning.
pub fn global_keyword(
    f: &mut NotifyFifos,
    s: &Statement,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ConfigError> {
    let (conf, keyword) = match s.keyword.as_str() {
        "notify_fifo" | "notify_fifo_script" => (&mut f.global, "notify_fifo"),
        "vrrp_notify_fifo" | "vrrp_notify_fifo_script" => (&mut f.vrrp, "vrrp_notify_fifo"),
        "fifo_write_vrrp_states_on_reload" => {
            f.write_states_on_reload = bool_arg(s)?;
            return Ok(true);
        }
        "vrrp_notify_priority_changes" => {
            f.notify_priority_changes = bool_arg(s)?;
            return Ok(true);
        }
        _ => return Ok(false),
    };
    let (first, user) = name_and_user(s)?;
    let already = |what: &str| Warning {
        loc: s.loc.clone(),
        message: format!("{what} already specified - ignoring {first}"),
    };
    if s.keyword.ends_with("_script") {
        if conf.script.is_some() {
            warnings.push(already(&s.keyword));
        } else {
            conf.script = Some(FifoScript {
                command: first,
                user,
                loc: s.loc.clone(),
            });
        }
    } else if conf.path.is_some() {
        warnings.push(already(&s.keyword));
    } else {
        conf.path = Some(FifoPath {
            keyword,
            path: PathBuf::from(first),
            user,
            loc: s.loc.clone(),
        });
    }
    Ok(true)
}

/// `USER [GROUP]`.
type UserGroup = (String, Option<String>);

/// `VALUE [USER [GROUP]]`.
fn name_and_user(s: &Statement) -> Result<(String, Option<UserGroup>), ConfigError> {
    // A script line is split as keepalived's `notify_script_init()` splits it: quotes
    // (single too) and escapes read, so `'/bin/r x'` is one word.
    let split;
    let args = if s.keyword.ends_with("_script") {
        split = crate::scripts::split_command(&s.raw)
            .map_err(|e| ConfigError::invalid(&s.loc, format!("'{}': {e}", s.keyword)))?;
        &split[1..]
    } else {
        s.args.as_slice()
    };
    match args {
        [v] => Ok((v.clone(), None)),
        [v, u] => Ok((v.clone(), Some((u.clone(), None)))),
        [v, u, g] => Ok((v.clone(), Some((u.clone(), Some(g.clone()))))),
        [] => Err(ConfigError::invalid(
            &s.loc,
            format!("No {} specified", s.keyword),
        )),
        _ => Err(ConfigError::invalid(
            &s.loc,
            format!("'{}' takes a value and an optional USER [GROUP]", s.keyword),
        )),
    }
}

/// Once the file is read: a script without its FIFO never runs (keepalived ignores it;
/// we say so), and `vrrp_notify_fifo` naming the `notify_fifo` is dropped (keepalived:
/// the lines would be written twice).
pub fn finish(f: &mut NotifyFifos, warnings: &mut Vec<Warning>) {
    if let (Some(g), Some(v)) = (&f.global.path, &f.vrrp.path) {
        if g.path == v.path {
            warnings.push(Warning {
                loc: v.loc.clone(),
                message: format!(
                    "notify FIFO {} has been specified for global and vrrp FIFO - ignoring vrrp FIFO",
                    v.path.display()
                ),
            });
            f.vrrp = FifoConf::default();
        }
    }
    for conf in [&mut f.global, &mut f.vrrp] {
        if conf.path.is_none() {
            if let Some(s) = conf.script.take() {
                warnings.push(Warning {
                    loc: s.loc,
                    message: "notify FIFO script without its FIFO: ignored".into(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use std::path::Path;

    fn load(text: &str) -> crate::config::Built {
        parse(Path::new("t.conf"), text).unwrap()
    }

    #[test]
    fn fifos_scripts_users_and_flags() {
        let b = load(
            "global_defs {\n notify_fifo /run/a.fifo\n vrrp_notify_fifo_script \"/bin/r x\" nobody nogroup\n \
             vrrp_notify_fifo /run/v.fifo nobody\n fifo_write_vrrp_states_on_reload\n \
             vrrp_notify_priority_changes false\n}\n",
        );
        let f = &b.config.global.fifos;
        assert_eq!(
            f.global.path.as_ref().unwrap().path,
            Path::new("/run/a.fifo")
        );
        assert!(f.global.script.is_none());
        let v = f.vrrp.path.as_ref().unwrap();
        assert_eq!(v.user, Some(("nobody".into(), None)));
        let s = f.vrrp.script.as_ref().unwrap();
        assert_eq!(s.command, "/bin/r x");
        assert_eq!(s.user, Some(("nobody".into(), Some("nogroup".into()))));
        assert!(f.write_states_on_reload);
        assert!(!f.notify_priority_changes);
        assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    }

    #[test]
    fn duplicates_orphan_scripts_and_same_path_are_warned() {
        let b = load(
            "global_defs {\n notify_fifo /run/a.fifo\n notify_fifo /run/b.fifo\n \
             vrrp_notify_fifo /run/a.fifo\n vrrp_notify_fifo_script /bin/r\n \
             notify_fifo_script /bin/x\n notify_fifo_script /bin/y\n}\n",
        );
        let f = &b.config.global.fifos;
        assert_eq!(
            f.global.path.as_ref().unwrap().path,
            Path::new("/run/a.fifo")
        );
        assert_eq!(f.global.script.as_ref().unwrap().command, "/bin/x");
        assert_eq!(f.vrrp, Default::default());
        let w: Vec<String> = b.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].contains("t.conf:3") && w[0].contains("already specified"));
        assert!(w[1].contains("t.conf:4") && w[1].contains("ignoring vrrp FIFO"));
        assert!(w[2].contains("t.conf:7") && w[2].contains("already specified"));
    }

    #[test]
    fn missing_name_is_an_error() {
        let e = parse(Path::new("t.conf"), "global_defs {\n vrrp_notify_fifo\n}\n").unwrap_err();
        assert!(e.to_string().contains("t.conf:2"), "{e}");
    }
}
