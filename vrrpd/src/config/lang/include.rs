//! `include` and its variants (keepalived's `open_glob_file()`, `open_and_check_glob()`,
//! `check_glob_file()`): the pattern is a glob with csh-style braces (`{a,b}`, as glibc's
//! `GLOB_BRACE`), relative to the including file's directory. What goes wrong (missing files,
//! a wildcard matching nothing, a directory, an executable or unreadable file) is an error
//! when the include's checks or `include_check` ask for that check, else a warning and the
//! file is skipped, as keepalived reports it without failing.

use super::text::{INCLUDE_ALL, INCLUDE_B, INCLUDE_M, INCLUDE_R, INCLUDE_W};
use super::{ConfigError, Loc, Preproc};
use crate::config::tree::MAX_INCLUDE_DEPTH;
use crate::config::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Most alternatives one brace pattern expands to.
pub const MAX_BRACE_ALTERNATIVES: usize = 4096;

impl Preproc {
    /// Read the files `pattern` names in place of the include line at `loc`.
    pub(super) fn include(
        &mut self,
        checks: u8,
        pattern: &str,
        loc: &Loc,
    ) -> Result<(), ConfigError> {
        if self.files.len() > MAX_INCLUDE_DEPTH {
            // (The main file is the first.)
            return Err(ConfigError::new(
                loc.clone(),
                ErrorKind::IncludeDepth(MAX_INCLUDE_DEPTH),
            ));
        }
        let on = self.include_check | checks;
        let base = loc
            .path()
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf);
        let full = match base {
            Some(b) if !pattern.starts_with('/') => format!("{}/{pattern}", b.display()),
            _ => pattern.to_string(),
        };
        let alternatives = expand_braces(&full)
            .map_err(|e| ConfigError::invalid(loc, format!("include '{pattern}': {e}")))?;
        let braces = alternatives.len() > 1 || full != alternatives[0];
        let mut found: Vec<PathBuf> = Vec::new();
        let (mut missing, mut wildcards) = (false, false);
        for alt in &alternatives {
            if alt.contains(['*', '?', '[']) {
                wildcards = true;
                let opts = glob::MatchOptions {
                    require_literal_leading_dot: true,
                    ..glob::MatchOptions::new()
                };
                let paths = glob::glob_with(alt, opts).map_err(|e| {
                    ConfigError::invalid(loc, format!("bad include pattern '{pattern}': {e}"))
                })?;
                let before = found.len();
                for p in paths {
                    found.push(p.map_err(|e| {
                        ConfigError::new(loc.clone(), ErrorKind::Io(e.to_string()))
                    })?);
                }
                if found.len() == before && !wildcard_dir_exists(alt) {
                    missing = true;
                }
            } else if std::fs::symlink_metadata(alt).is_ok() {
                found.push(PathBuf::from(alt));
            } else {
                missing = true;
            }
        }
        if found.is_empty() {
            if missing {
                let kind = if braces { INCLUDE_B } else { INCLUDE_M };
                return self.problem(on, kind, loc, format!("config files missing '{pattern}'"));
            }
            if wildcards {
                return self.problem(
                    on,
                    INCLUDE_W,
                    loc,
                    format!("no config files matched '{pattern}'"),
                );
            }
            return Ok(());
        }
        if missing {
            self.problem(
                on,
                INCLUDE_B,
                loc,
                format!("some config files missing: '{pattern}'"),
            )?;
            if on & INCLUDE_B != 0 {
                return Ok(());
            }
        }
        found.reverse();
        self.open_next(found, on, loc)
    }

    /// Open the next readable file of `paths` (the next is last), skipping (or refusing,
    /// by the checks `on`) directories, executables and what cannot be opened, as
    /// keepalived's `open_conf_file()`; the others stay queued behind it.
    pub(super) fn open_next(
        &mut self,
        mut paths: Vec<PathBuf>,
        on: u8,
        loc: &Loc,
    ) -> Result<(), ConfigError> {
        while let Some(path) = paths.pop() {
            let problem = match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => Some(format!(
                    "configuration file '{}' is a directory - skipping",
                    path.display()
                )),
                Ok(m) if !m.is_file() || m.permissions().mode() & 0o111 != 0 => Some(format!(
                    "configuration file '{}' is not a regular non-executable file - skipping",
                    path.display()
                )),
                Ok(_) => None,
                Err(e) => Some(format!(
                    "configuration file '{}' open problem ({e}) - skipping",
                    path.display()
                )),
            };
            if let Some(message) = problem {
                self.problem(on, INCLUDE_R, loc, message)?;
                continue;
            }
            let text = self.reader.read(&path, loc)?;
            let saved = self.include_check;
            self.push_file(&path, text, saved, paths, Some((on, loc.clone())));
            return Ok(());
        }
        Ok(())
    }

    /// A problem of check `kind`: an error if the check is on, else a warning.
    fn problem(&mut self, on: u8, kind: u8, loc: &Loc, message: String) -> Result<(), ConfigError> {
        if on & kind != 0 {
            return Err(ConfigError::invalid(loc, message));
        }
        self.warn(loc, message);
        Ok(())
    }
}

/// True when the directory holding the first wildcard component of `pattern` exists (glob
/// matched nothing there), false when a directory on the way is missing.
fn wildcard_dir_exists(pattern: &str) -> bool {
    let first = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    let dir = pattern[..first]
        .rfind('/')
        .map_or(".", |i| &pattern[..i.max(1)]);
    Path::new(dir).is_dir()
}

/// csh-style brace expansion, left to right as glibc's `GLOB_BRACE`: `a{b,c}d` is `abd`,
/// `acd`; nested braces expand too; `\{` is literal; a brace with no comma or no closing
/// brace is literal.
pub fn expand_braces(pattern: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    expand_into(pattern, &mut out)?;
    Ok(out)
}

fn expand_into(pattern: &str, out: &mut Vec<String>) -> Result<(), String> {
    let b = pattern.as_bytes();
    let mut i = 0;
    let mut open = None;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => {
                open = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let Some(open) = open else {
        out.push(pattern.to_string());
        return Ok(());
    };
    // The matching close brace and the top-level commas inside.
    let (mut depth, mut commas, mut close) = (0usize, Vec::new(), None);
    let mut j = open + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'{' => depth += 1,
            b'}' if depth == 0 => {
                close = Some(j);
                break;
            }
            b'}' => depth -= 1,
            b',' if depth == 0 => commas.push(j),
            _ => {}
        }
        j += 1;
    }
    let Some(close) = close else {
        out.push(pattern.to_string());
        return Ok(());
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut start = open + 1;
    for end in commas.into_iter().chain([close]) {
        let alt = format!("{head}{}{tail}", &pattern[start..end]);
        expand_into(&alt, out)?;
        if out.len() > MAX_BRACE_ALTERNATIVES {
            return Err(format!(
                "braces expand to more than {MAX_BRACE_ALTERNATIVES} patterns"
            ));
        }
        start = end + 1;
    }
    Ok(())
}

/// `include_check [[+|-]read|match|wildcard_match|brace_match ...]` (keepalived's
/// `include_check_set()`): no word turns every check on; a first word without sign sets
/// `read` and that check; `+`/`-` add and remove. Returns the checks and warnings.
pub fn include_check(current: u8, words: &[&str]) -> (u8, Vec<String>) {
    if words.is_empty() {
        return (INCLUDE_ALL, Vec::new());
    }
    let mut check = current;
    let mut warnings = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let (sign, name) = match word.as_bytes().first() {
            Some(b'+') => (1, &word[1..]),
            Some(b'-') => (-1, &word[1..]),
            _ => {
                if i != 0 {
                    warnings.push(format!(
                        "duplicate include_check '{word}' specified - ignoring"
                    ));
                    continue;
                }
                check = 0;
                (0, &word[..])
            }
        };
        let flag = match name {
            "read" => INCLUDE_R,
            "match" => INCLUDE_M,
            "wildcard_match" => INCLUDE_W,
            "brace_match" => INCLUDE_B,
            _ => {
                warnings.push(format!("unknown include_check type '{name}' - ignoring"));
                continue;
            }
        };
        match sign {
            0 => check = INCLUDE_R | flag,
            1 => check |= flag,
            _ => check &= !flag,
        }
    }
    (check, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces() {
        assert_eq!(expand_braces("a{b,c}d").unwrap(), ["abd", "acd"]);
        assert_eq!(
            expand_braces("{foo/{,cat,dog},bar}").unwrap(),
            ["foo/", "foo/cat", "foo/dog", "bar"]
        );
        assert_eq!(expand_braces("a\\{b,c}").unwrap(), ["a\\{b,c}"]);
        assert_eq!(expand_braces("a{b").unwrap(), ["a{b"]);
        assert_eq!(expand_braces("x").unwrap(), ["x"]);
        let bomb = "{a,b}".repeat(20);
        assert!(expand_braces(&bomb).is_err());
    }

    #[test]
    fn include_check_words() {
        assert_eq!(include_check(0, &[]).0, INCLUDE_ALL);
        assert_eq!(include_check(0, &["match"]).0, INCLUDE_R | INCLUDE_M);
        assert_eq!(
            include_check(INCLUDE_ALL, &["-read"]).0,
            INCLUDE_ALL & !INCLUDE_R
        );
        assert_eq!(include_check(0, &["+brace_match"]).0, INCLUDE_B);
        let (c, w) = include_check(0, &["read", "match", "+bogus"]);
        assert_eq!(c, INCLUDE_R);
        assert_eq!(w.len(), 2);
    }
}
