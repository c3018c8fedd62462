//! Tracking in keepalived.conf: the `track_file NAME { ... }` blocks (and their older
//! spelling `vrrp_track_file`), the `track_interface` / `track_script` / `track_file` lines
//! of an instance or a sync group (`NAME [weight N [reverse|noreverse]]`), and keepalived's
//! rule that the members of a sync group, and an address owner, drop their tracking weights
//! (keepalived 2.2.7: trackers/track_file.c, vrrp/vrrp_track.c, vrrp/vrrp.c).

use std::path::PathBuf;

use vrrp_fsm::MAX_WEIGHT;
use vrrp_proto::Priority;

use super::error::{ConfigError, Warning};
use super::model::{Config, InitFile, TrackFile, Tracked};
use super::router::Draft;
use super::source::Loc;
use super::tree::Statement;
use super::values::{int_in, one_arg};

/// Which kind of tracked object a line names (for keepalived's words and its rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `track_interface`.
    Interface,
    /// `track_script`.
    Script,
    /// `track_file`.
    File,
}

impl Kind {
    fn keyword(self) -> &'static str {
        match self {
            Kind::Interface => "track_interface",
            Kind::Script => "track_script",
            Kind::File => "track_file",
        }
    }
}

fn warn(warnings: &mut Vec<Warning>, loc: &Loc, message: String) {
    warnings.push(Warning {
        loc: loc.clone(),
        message,
    });
}

/// The lines of a `track_interface` / `track_script` / `track_file` block of `owner` (an
/// instance or sync group name): `NAME [weight N [reverse|noreverse]]`, as keepalived
/// reads them. A weight of ±254 on an interface or script becomes ±253 with keepalived's
/// warning; `noreverse` on an interface is warned about and means no `reverse`, as in
/// keepalived; a name given twice is warned about and the second ignored.
pub(super) fn lines(
    stmt: &Statement,
    kind: Kind,
    owner: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Tracked>, ConfigError> {
    let mut out: Vec<Tracked> = Vec::new();
    for s in stmt.children() {
        if s.block.is_some() {
            return Err(ConfigError::invalid(
                &s.loc,
                format!("unexpected block after '{}'", s.keyword),
            ));
        }
        let bad = || {
            ConfigError::invalid(
                &s.loc,
                format!(
                    "{} '{}': expected NAME [weight N [reverse|noreverse]]",
                    kind.keyword(),
                    s.keyword
                ),
            )
        };
        let (weight, reverse) = match s.args.as_slice() {
            [] => (None, None),
            [kw, w, rest @ ..] if kw == "weight" && rest.len() <= 1 => {
                let mut w = int_in(s, w, -MAX_WEIGHT, MAX_WEIGHT)?;
                if kind != Kind::File && w.abs() == MAX_WEIGHT {
                    warn(
                        warnings,
                        &s.loc,
                        format!(
                            "({owner}) weight for {} cannot be +/-254. Setting to +/-253",
                            s.keyword
                        ),
                    );
                    w = w.signum() * (MAX_WEIGHT - 1);
                }
                let reverse = match rest.first().map(String::as_str) {
                    None => None,
                    Some("reverse") => Some(true),
                    Some("noreverse") if kind != Kind::Interface => Some(false),
                    Some(other) if kind == Kind::Interface => {
                        // keepalived 2.2.7 knows only `reverse` here; anything else is
                        // reported and the line kept without it.
                        warn(
                            warnings,
                            &s.loc,
                            format!(
                                "({owner}) unknown track_interace {} weight option {other} - ignoring",
                                s.keyword
                            ),
                        );
                        Some(false)
                    }
                    Some(_) => return Err(bad()),
                };
                (Some(w), reverse)
            }
            _ => return Err(bad()),
        };
        if out.iter().any(|t| t.name == s.keyword) {
            warn(
                warnings,
                &s.loc,
                format!(
                    "({owner}) duplicate {} {} - ignoring",
                    kind.keyword(),
                    s.keyword
                ),
            );
            continue;
        }
        out.push(Tracked {
            name: s.keyword.clone(),
            weight,
            reverse,
            loc: s.loc.clone(),
        });
    }
    Ok(out)
}

/// A top-level `track_file NAME { file PATH; weight N [reverse]; init_file [VALUE]
/// [overwrite] }` (or `vrrp_track_file`, keepalived's older spelling, with its
/// deprecation notice). keepalived's default weight is 1.
pub(super) fn block(
    stmt: &Statement,
    warnings: &mut Vec<Warning>,
) -> Result<TrackFile, ConfigError> {
    if stmt.block.is_none() {
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!("'{}' needs a block {{ ... }}", stmt.keyword),
        ));
    }
    let name = one_arg(stmt)?.to_string();
    if stmt.keyword == "vrrp_track_file" {
        warn(
            warnings,
            &stmt.loc,
            "\"vrrp_track_file\" is deprecated, please use \"track_file\"".into(),
        );
    }
    let mut file: Option<PathBuf> = None;
    let mut weight: Option<(i32, bool)> = None;
    let mut init = None;
    for s in stmt.children() {
        let once = |set: bool| {
            if set {
                Err(ConfigError::invalid(
                    &s.loc,
                    format!("track_file {name}: '{}' given twice", s.keyword),
                ))
            } else {
                Ok(())
            }
        };
        match s.keyword.as_str() {
            "file" => {
                once(file.is_some())?;
                file = Some(PathBuf::from(one_arg(s)?));
            }
            "weight" => {
                once(weight.is_some())?;
                weight = Some(match s.args.as_slice() {
                    [w] => (int_in(s, w, -MAX_WEIGHT, MAX_WEIGHT)?, false),
                    [w, r] if r == "reverse" => (int_in(s, w, -MAX_WEIGHT, MAX_WEIGHT)?, true),
                    _ => return Err(ConfigError::invalid(&s.loc, "'weight' takes N [reverse]")),
                });
            }
            "init_file" => {
                once(init.is_some())?;
                init = Some(init_file(s, &name)?);
            }
            other => {
                return Err(ConfigError::invalid(
                    &s.loc,
                    format!("unknown keyword '{other}' in track_file {name}"),
                ))
            }
        }
    }
    let Some(path) = file else {
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!("No file set for track_file {name}"),
        ));
    };
    if !path.is_absolute() {
        // keepalived resolves a relative path against its working directory, which a
        // daemon does not choose; vrrpd asks for the whole path.
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!(
                "track_file {name}: file {} must be an absolute path",
                path.display()
            ),
        ));
    }
    let (weight, reverse) = weight.unwrap_or((1, false));
    Ok(TrackFile {
        name,
        path,
        weight,
        reverse,
        init,
        loc: stmt.loc.clone(),
    })
}

/// `init_file [VALUE] [overwrite]`: VALUE (default 0) within -254..=254.
fn init_file(s: &Statement, name: &str) -> Result<InitFile, ConfigError> {
    let mut init = InitFile {
        value: 0,
        overwrite: false,
    };
    for a in &s.args {
        if a == "overwrite" {
            init.overwrite = true;
        } else if a.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            init.value = int_in(s, a, -MAX_WEIGHT, MAX_WEIGHT)?;
        } else {
            return Err(ConfigError::invalid(
                &s.loc,
                format!("track_file {name}: unknown init_file option {a}"),
            ));
        }
    }
    Ok(init)
}

/// keepalived's rule on a sync group member that does not set `sync_group_tracking_weight`
/// (`group` is then Some(its name)), and on an address owner: weighted tracked interfaces
/// become weightless, weighted scripts are dropped, tracked files of weight 1 (the default)
/// become weightless and the other weighted ones are dropped; each with keepalived's
/// warning. `files` gives each tracked file's block weight, for lines that set none.
pub(super) fn drop_weights(
    instance: &str,
    priority: Priority,
    group: Option<&str>,
    tracks: (&mut Vec<Tracked>, &mut Vec<Tracked>, &mut Vec<Tracked>),
    files: &[TrackFile],
    warnings: &mut Vec<Warning>,
) {
    let cause = match group {
        Some(_) => "SYNC group",
        None if priority == Priority::OWNER => "address owner",
        None => return,
    };
    let (interfaces, scripts, tracked_files) = tracks;
    interfaces.retain_mut(|t| {
        if t.weight.is_none_or(|w| w == 0) {
            return true;
        }
        let what = if group.is_some() { "weight " } else { "" };
        warn(
            warnings,
            &t.loc,
            format!(
                "({instance}) ignoring {} tracked interface {what}due to {cause}",
                t.name
            ),
        );
        // A sync group member tracks it without weight; an owner stops tracking it.
        t.weight = Some(0);
        group.is_some()
    });
    scripts.retain(|t| {
        // A line without weight takes the script's; the caller resolved it into `weight`.
        let weighted = t.weight.is_some_and(|w| w != 0);
        if weighted {
            warn(
                warnings,
                &t.loc,
                format!(
                    "({instance}) ignoring tracked script {} with weights due to {cause}",
                    t.name
                ),
            );
        }
        !weighted
    });
    tracked_files.retain_mut(|t| {
        let block = files.iter().find(|f| f.name == t.name).map_or(1, |f| f.weight);
        match t.weight.unwrap_or(block) {
            0 => true,
            1 => {
                warn(
                    warnings,
                    &t.loc,
                    format!(
                        "({instance}) ignoring weight from tracked file {} due to {cause}. specify weight 0",
                        t.name
                    ),
                );
                t.weight = Some(0);
                true
            }
            w => {
                warn(
                    warnings,
                    &t.loc,
                    format!(
                        "({instance}) ignoring tracked file {} with weight {w} due to {cause}",
                        t.name
                    ),
                );
                false
            }
        }
    });
}

/// The cross-block part, once the whole file is read: `track_file` lines naming no
/// `track_file` block are dropped with a warning (keepalived: "track file ... not found,
/// ignoring"), as are sync-group `track_script` lines naming no `vrrp_script`; a line
/// without weight takes its script's; then keepalived's weight rule ([`drop_weights`]) on
/// each instance, and each sync group's tracked objects added to its members (weights
/// cleared if a member is an address owner).
pub(super) fn resolve(drafts: &mut [Draft], c: &mut Config, warnings: &mut Vec<Warning>) {
    let files = &c.track_files;
    let known_file = |t: &Tracked, owner: &str, warnings: &mut Vec<Warning>| {
        let known = files.iter().any(|f| f.name == t.name);
        if !known {
            warn(
                warnings,
                &t.loc,
                format!("({owner}) track file {} not found, ignoring...", t.name),
            );
        }
        known
    };
    let script_weight = |t: &mut Tracked| {
        if let Some(s) = c.scripts.iter().find(|s| s.name == t.name) {
            t.weight.get_or_insert(s.weight);
            t.reverse.get_or_insert(s.weight_reverse);
        }
    };
    for d in drafts.iter_mut() {
        let name = d.name.clone();
        d.track_files.retain(|t| known_file(t, &name, warnings));
        d.track_scripts.iter_mut().for_each(script_weight);
    }
    for g in &mut c.sync_groups {
        let gname = g.name.clone();
        g.track_files.retain(|t| known_file(t, &gname, warnings));
        g.track_scripts.retain(|t| {
            let known = c.scripts.iter().any(|s| s.name == t.name);
            if !known {
                warn(
                    warnings,
                    &t.loc,
                    format!("({gname}) track script {} not found, ignoring...", t.name),
                );
            }
            known
        });
        g.track_scripts.iter_mut().for_each(script_weight);
    }
    for d in drafts.iter_mut() {
        let group = c
            .sync_groups
            .iter()
            .find(|g| g.members.iter().any(|(m, _)| *m == d.name));
        drop_weights(
            &d.name,
            d.priority,
            group
                .filter(|g| !g.tracking_weight)
                .map(|g| g.name.as_str()),
            (
                &mut d.track_interfaces,
                &mut d.track_scripts,
                &mut d.track_files,
            ),
            files,
            warnings,
        );
    }
    for g in &c.sync_groups {
        let members: Vec<usize> = g
            .members
            .iter()
            .filter_map(|(m, _)| drafts.iter().position(|d| d.name == *m))
            .collect();
        let owner = members
            .iter()
            .any(|&i| drafts[i].priority == Priority::OWNER);
        let mut lists = [
            g.track_interfaces.clone(),
            g.track_scripts.clone(),
            g.track_files.clone(),
        ];
        if owner {
            for t in lists.iter_mut().flatten() {
                if t.weight.is_some_and(|w| w != 0) {
                    warn(
                        warnings,
                        &t.loc,
                        format!(
                            "({}) Cannot have weighted track {} with member having priority 255 - setting weight 0",
                            g.name, t.name
                        ),
                    );
                    t.weight = Some(0);
                }
            }
        }
        for &i in &members {
            let d = &mut drafts[i];
            let [ifs, scripts, tfiles] = &lists;
            for (mine, theirs) in [
                (&mut d.track_interfaces, ifs),
                (&mut d.track_scripts, scripts),
                (&mut d.track_files, tfiles),
            ] {
                for t in theirs {
                    if let Some(m) = mine.iter_mut().find(|m| m.name == t.name) {
                        // keepalived: the group's weight, unless the instance's line is
                        // weightless.
                        warn(
                            warnings,
                            &m.loc,
                            format!(
                                "({}) {} is configured on VRRP instance and sync group. Remove vrrp instance config",
                                d.name, t.name
                            ),
                        );
                        if m.weight != Some(0) {
                            m.weight = t.weight;
                            m.reverse = t.reverse;
                        }
                    } else {
                        mine.push(t.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use std::path::Path;

    fn conf(body: &str) -> Result<crate::config::Built, crate::config::ConfigError> {
        parse(Path::new("t.conf"), body)
    }

    const FILE: &str =
        "track_file tf {\n file /run/vrrpd-t/tf\n weight -60 reverse\n init_file 5 overwrite\n}\n";

    #[test]
    fn track_file_block_is_read() {
        let b = conf(FILE).unwrap();
        let f = &b.config.track_files[0];
        assert_eq!(f.name, "tf");
        assert_eq!(f.path, Path::new("/run/vrrpd-t/tf"));
        assert_eq!((f.weight, f.reverse), (-60, true));
        let init = f.init.unwrap();
        assert_eq!((init.value, init.overwrite), (5, true));
    }

    #[test]
    fn old_spelling_is_read_with_keepalived_s_notice_and_default_weight_is_1() {
        let b = conf("vrrp_track_file tf {\n file /tmp/x\n}\n").unwrap();
        assert_eq!(b.config.track_files[0].weight, 1);
        assert!(b.warnings[0].message.contains("deprecated"));
    }

    #[test]
    fn track_file_without_file_or_relative_is_refused() {
        let e = conf("track_file tf {\n weight 2\n}\n").unwrap_err();
        assert!(e.to_string().contains("No file set"), "{e}");
        assert!(conf("track_file tf {\n file x\n}\n").is_err());
    }

    fn instance(tracks: &str) -> String {
        format!(
            "{FILE}vrrp_script s {{\n script /bin/true\n weight 10\n}}\n\
             vrrp_instance v {{\n interface lo\n virtual_router_id 1\n priority 100\n\
             virtual_ipaddress {{\n 192.0.2.1\n}}\n{tracks}}}\n"
        )
    }

    #[test]
    fn weights_and_reverse_reach_the_router() {
        let b = conf(&instance(
            "track_interface {\n lo weight 254 reverse\n}\n\
             track_script {\n s weight -5 noreverse\n}\n\
             track_file {\n tf weight 3\n}\n",
        ))
        .unwrap();
        let i = &b.config.instances[0];
        let t = i.router.tracks();
        assert_eq!((t[0].weight, t[0].reverse), (253, true));
        assert_eq!((t[1].weight, t[1].reverse), (-5, false));
        // The line's weight, the block's reverse.
        assert_eq!((t[2].weight, t[2].reverse), (3, true));
        assert_eq!(i.file_tracks[0].file, "tf");
        assert_eq!(i.file_tracks[0].index, 2);
        assert!(b.warnings.iter().any(|w| w.message.contains("+/-254")));
    }

    #[test]
    fn unknown_track_file_is_warned_and_dropped() {
        let b = conf(&instance("track_file {\n nope\n}\n")).unwrap();
        assert!(b.config.instances[0].file_tracks.is_empty());
        assert!(b.warnings.iter().any(|w| w.message.contains("nope")));
    }

    #[test]
    fn bad_track_line_is_refused_at_its_line() {
        let e = conf(&instance("track_file {\n tf weight\n}\n")).unwrap_err();
        assert!(e.to_string().contains("track_file 'tf'"), "{e}");
    }

    fn group(extra: &str) -> String {
        let member = |name: &str, vrid: u8, prio: u8| {
            format!(
                "vrrp_instance {name} {{\n interface lo\n virtual_router_id {vrid}\n priority {prio}\n\
                 virtual_ipaddress {{\n 192.0.2.{vrid}\n}}\n\
                 track_interface {{\n lo weight 10\n}}\n\
                 track_script {{\n s\n}}\n\
                 track_file {{\n tf weight 5\n t1\n}}\n}}\n"
            )
        };
        format!(
            "vrrp_script s {{\n script /bin/true\n weight 10\n}}\n\
             track_file tf {{\n file /tmp/tf\n}}\ntrack_file t1 {{\n file /tmp/t1\n}}\n\
             track_file tg {{\n file /tmp/tg\n weight -3\n}}\n{}{}\
             vrrp_sync_group G {{\n group {{\n A\n B\n}}\n{extra}\n\
             track_file {{\n tg\n}}\n}}\n",
            member("A", 1, 100),
            member("B", 2, 100)
        )
    }

    fn tracks(b: &crate::config::Built, i: usize) -> Vec<(i32, bool)> {
        b.config.instances[i]
            .router
            .tracks()
            .iter()
            .map(|t| (t.weight, t.reverse))
            .collect()
    }

    #[test]
    fn sync_group_members_lose_their_weights_with_keepalived_s_warnings() {
        let b = conf(&group("")).unwrap();
        for i in 0..2 {
            // lo weightless; script dropped; tf (weight 5) dropped, t1 (weight 1)
            // weightless; the group's tg with its weight.
            assert_eq!(tracks(&b, i), vec![(0, false), (0, false), (-3, false)]);
            let files: Vec<&str> = b.config.instances[i]
                .file_tracks
                .iter()
                .map(|f| f.file.as_str())
                .collect();
            assert_eq!(files, ["t1", "tg"]);
        }
        let said: Vec<&str> = b.warnings.iter().map(|w| w.message.as_str()).collect();
        for words in [
            "(A) ignoring lo tracked interface weight due to SYNC group",
            "(A) ignoring tracked script s with weights due to SYNC group",
            "(A) ignoring tracked file tf with weight 5 due to SYNC group",
            "(A) ignoring weight from tracked file t1 due to SYNC group. specify weight 0",
        ] {
            assert!(said.contains(&words), "{words}: {said:?}");
        }
    }

    #[test]
    fn sync_group_tracking_weight_keeps_them() {
        for kw in ["sync_group_tracking_weight", "global_tracking"] {
            let b = conf(&group(kw)).unwrap();
            // lo 10, s 10, tf 5, t1 1, then the group's tg.
            assert_eq!(
                tracks(&b, 1),
                vec![
                    (10, false),
                    (10, false),
                    (5, false),
                    (1, false),
                    (-3, false)
                ]
            );
            let deprecated = b.warnings.iter().any(|w| w.message.contains("deprecated"));
            assert_eq!(deprecated, kw == "global_tracking", "{kw}");
            assert!(!b.warnings.iter().any(|w| w.message.contains("ignoring")));
        }
    }

    #[test]
    fn address_owner_drops_weighted_tracks() {
        let b = conf(&instance(
            "priority 255\ntrack_interface {\n lo weight 5\n}\ntrack_file {\n tf\n}\n",
        ))
        .unwrap();
        // The later `priority 255` wins; lo dropped; tf (weight -60) dropped.
        assert!(b.config.instances[0].router.tracks().is_empty());
        assert!(b
            .warnings
            .iter()
            .any(|w| w.message.contains("due to address owner")));
    }
}
