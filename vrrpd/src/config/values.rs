//! Reading single values out of statements, with errors that name file and line.

use super::error::{ConfigError, Warning};
use super::tree::Statement;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

/// The single argument of `stmt`.
pub fn one_arg(stmt: &Statement) -> Result<&str, ConfigError> {
    match stmt.args.as_slice() {
        [one] => Ok(one),
        [] => Err(ConfigError::invalid(
            &stmt.loc,
            format!("'{}' needs a value", stmt.keyword),
        )),
        _ => Err(ConfigError::invalid(
            &stmt.loc,
            format!(
                "'{}' takes one value, found {}",
                stmt.keyword,
                stmt.args.len()
            ),
        )),
    }
}

/// No arguments expected (a flag such as `nopreempt`).
pub fn no_args(stmt: &Statement) -> Result<(), ConfigError> {
    if stmt.args.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            &stmt.loc,
            format!("'{}' takes no value", stmt.keyword),
        ))
    }
}

/// keepalived's optional boolean (`KEYWORD [<BOOL>]`): no value means true; otherwise
/// `true`/`on`/`yes` or `false`/`off`/`no`, as keepalived's `check_true_false` reads them.
pub fn bool_arg(stmt: &Statement) -> Result<bool, ConfigError> {
    if stmt.args.is_empty() {
        return Ok(true);
    }
    match one_arg(stmt)? {
        "true" | "on" | "yes" => Ok(true),
        "false" | "off" | "no" => Ok(false),
        other => Err(ConfigError::invalid(
            &stmt.loc,
            format!(
                "'{}' takes true/on/yes or false/off/no (or nothing: true), found '{other}'",
                stmt.keyword
            ),
        )),
    }
}

/// An integer in `min..=max`.
pub fn int_in<T>(stmt: &Statement, text: &str, min: T, max: T) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match text.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(not_in_range(stmt, text, min, max)),
    }
}

/// `text`, the value of `stmt`, is not an integer in `min..=max`.
pub fn not_in_range(
    stmt: &Statement,
    text: &str,
    min: impl std::fmt::Display,
    max: impl std::fmt::Display,
) -> ConfigError {
    ConfigError::invalid(
        &stmt.loc,
        format!(
            "'{}' must be an integer from {min} to {max}, found '{text}'",
            stmt.keyword
        ),
    )
}

/// The single integer argument, in range.
pub fn int_arg<T>(stmt: &Statement, min: T, max: T) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    int_in(stmt, one_arg(stmt)?, min, max)
}

/// Seconds, possibly fractional ("0.5"), as keepalived accepts for intervals and delays;
/// at most microsecond precision, at most `max_secs`.
pub fn seconds_arg(stmt: &Statement, max_secs: f64) -> Result<Duration, ConfigError> {
    let text = one_arg(stmt)?;
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=max_secs).contains(&v) => {
            Ok(Duration::from_micros((v * 1e6).round() as u64))
        }
        _ => Err(ConfigError::invalid(
            &stmt.loc,
            format!(
                "'{}' must be a number of seconds from 0 to {max_secs}, found '{text}'",
                stmt.keyword
            ),
        )),
    }
}

/// An IP address.
pub fn ip(stmt: &Statement, text: &str) -> Result<IpAddr, ConfigError> {
    text.parse().map_err(|_| {
        ConfigError::invalid(
            &stmt.loc,
            format!("'{}': '{text}' is not an IP address", stmt.keyword),
        )
    })
}

/// `USER [GROUP]`.
pub fn user_group(stmt: &Statement) -> Result<(String, Option<String>), ConfigError> {
    match stmt.args.as_slice() {
        [user] => Ok((user.clone(), None)),
        [user, group] => Ok((user.clone(), Some(group.clone()))),
        _ => Err(ConfigError::invalid(
            &stmt.loc,
            format!("'{}' takes USER [GROUP]", stmt.keyword),
        )),
    }
}

/// A `vrrp_script` `script` command, read as keepalived reads it: the line is split with
/// quotes and escapes ([`crate::scripts::split_command`]) and the word after the keyword
/// is the command (split again into argv when it runs), so `script "/bin/x 'a b'"` runs
/// `/bin/x` with `a b`. Words after it are dropped by keepalived (`script /bin/x arg` runs
/// `/bin/x` alone): dropped here too, with a warning.
/// (`notify*` lines are read by [`crate::scripts::notify::parse_line`]: there the words
/// after the script are its user and group.)
pub fn command(stmt: &Statement, warnings: &mut Vec<Warning>) -> Result<String, ConfigError> {
    let kw = &stmt.keyword;
    let words = crate::scripts::split_command(&stmt.raw)
        .map_err(|e| ConfigError::invalid(&stmt.loc, format!("'{kw}': {e}")))?;
    let [_, cmd, rest @ ..] = words.as_slice() else {
        return Err(ConfigError::invalid(
            &stmt.loc,
            format!("'{kw}' needs a command"),
        ));
    };
    if !rest.is_empty() {
        warnings.push(Warning {
            loc: stmt.loc.clone(),
            message: format!(
                "'{kw}': words after the command ignored, as keepalived does: '{}' (quote the command with its arguments: \"{cmd} {}\")",
                rest.join(" "),
                rest.join(" ")
            ),
        });
    }
    Ok(cmd.clone())
}
