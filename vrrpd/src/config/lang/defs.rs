//! `$NAME=value` definitions and their substitution, as keepalived's lib/parser.c does them
//! (`check_definition()`, `find_definition()`, `replace_param()`), documented in
//! keepalived.conf(5) "Parameter substitution" and "Pre-defined definitions".

use std::collections::HashMap;

/// Longest line a substitution may make (keepalived: its line buffer, then it stops
/// substituting; here it is an error naming the line).
pub const MAX_LINE: usize = 64 * 1024;

/// Most substitutions made for one line read (`$A=${A}` would never end in keepalived).
pub const MAX_SUBSTITUTIONS: usize = 10_000;

/// Most bytes of lines rewritten by substitutions in one load (each substitution costs the
/// length of its line): bounds the time a hostile file takes, far above real use (the
/// 65 024-instance example of keepalived.conf(5) rewrites about 300 MB).
pub const MAX_WORK: usize = 1 << 32;

/// Most lines one definition may hold, and most definitions.
pub const MAX_DEF_LINES: usize = 100_000;
/// See [`MAX_DEF_LINES`].
pub const MAX_DEFS: usize = 100_000;

/// Pre-defined definitions whose value is computed at each use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Computed {
    /// `${_PWD}`: the directory of the file being read.
    Pwd,
    /// `${_INSTANCE}`: the config id.
    Instance,
    /// `${_RANDOM [MIN [MAX]]}`.
    Random,
}

#[derive(Debug, Clone)]
struct Def {
    /// The value's lines (one unless multi-line).
    lines: Vec<String>,
    /// Defined with a trailing `\`: substituted only where the reference ends the line.
    multiline: bool,
    computed: Option<Computed>,
}

/// What a substitution pass did.
#[derive(Debug, Default)]
pub struct Substituted {
    /// Something was replaced.
    pub changed: bool,
    /// Lines still to read, from multi-line definitions: the last is read first.
    pub pending: Vec<Vec<String>>,
}

/// The definitions of one load, in effect from their line on.
#[derive(Debug)]
pub struct Defs {
    defs: HashMap<String, Def>,
    config_id: String,
    random: u64,
    /// Bytes rewritten so far ([`MAX_WORK`]).
    work: usize,
}

/// Where a substitution is made: what the computed definitions need.
pub struct Here<'a> {
    /// Directory of the file being read, for `${_PWD}`.
    pub dir: &'a str,
}

impl Defs {
    /// The pre-defined definitions (`_PWD`, `_INSTANCE`, `_RANDOM`, `_HASH`, `_BANG`).
    pub fn new(config_id: &str, seed: u64) -> Defs {
        let mut defs = HashMap::new();
        let mut add = |name: &str, value: &str, computed| {
            defs.insert(
                name.to_string(),
                Def {
                    lines: vec![value.to_string()],
                    multiline: false,
                    computed,
                },
            );
        };
        add("_PWD", "", Some(Computed::Pwd));
        add("_INSTANCE", "", Some(Computed::Instance));
        add("_RANDOM", "", Some(Computed::Random));
        add("_HASH", "#", None);
        add("_BANG", "!", None);
        Defs {
            defs,
            config_id: config_id.to_string(),
            random: seed | 1,
            work: 0,
        }
    }

    /// Set `name` to a one-line `value` (`~SEQ` / `~LST` variables); a multi-line
    /// definition of that name keeps being one (as keepalived's `set_definition()`).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        if let Some(d) = self.defs.get_mut(name) {
            d.lines = vec![value.to_string()];
            d.computed = None;
            return Ok(());
        }
        self.insert(name, vec![value.to_string()], false)
    }

    fn insert(&mut self, name: &str, lines: Vec<String>, multiline: bool) -> Result<(), String> {
        if self.defs.len() >= MAX_DEFS && !self.defs.contains_key(name) {
            return Err(format!("more than {MAX_DEFS} definitions"));
        }
        self.defs.insert(
            name.to_string(),
            Def {
                lines,
                multiline,
                computed: None,
            },
        );
        Ok(())
    }

    /// A `$NAME=value` line (keepalived's `check_definition()`): no blank before `=`, the
    /// name `[A-Za-z_][A-Za-z0-9_]*`, blanks after `=` skipped; a value ending in `\` starts a
    /// multi-line definition whose further lines come with [`Defs::continue_definition`].
    /// Redefining replaces, also a pre-defined name. Returns the name and whether it is
    /// multi-line, or None when the line is not a definition.
    pub fn definition(&mut self, line: &str) -> Result<Option<(String, bool)>, String> {
        let Some(rest) = line.strip_prefix('$') else {
            return Ok(None);
        };
        let Some(eq) = rest.find('=') else {
            return Ok(None);
        };
        let name = &rest[..eq];
        if !is_name(name) {
            return Ok(None);
        }
        let value = rest[eq + 1..].trim_start_matches([' ', '\t']);
        let (lines, multiline) = match value.strip_suffix('\\') {
            Some(first) => {
                let first = first.trim_end_matches([' ', '\t']);
                let lines = if first.is_empty() {
                    Vec::new()
                } else {
                    vec![first.to_string()]
                };
                (lines, true)
            }
            None => (vec![value.to_string()], false),
        };
        self.insert(name, lines, multiline)?;
        Ok(Some((name.to_string(), multiline)))
    }

    /// A line read while the multi-line definition `name` is open: kept without its
    /// trailing `\` (blank ones are dropped); returns whether the definition goes on.
    pub fn continue_definition(&mut self, name: &str, line: &str) -> Result<bool, String> {
        let (text, more) = match line.strip_suffix('\\') {
            Some(t) => (t.trim_end_matches([' ', '\t']), true),
            None => (line, false),
        };
        let Some(def) = self.defs.get_mut(name) else {
            return Ok(false);
        };
        if !text.is_empty() {
            if def.lines.len() >= MAX_DEF_LINES {
                return Err(format!(
                    "definition ${name} has more than {MAX_DEF_LINES} lines"
                ));
            }
            def.lines.push(text.to_string());
        }
        if !more {
            self.end_definition(name);
        }
        Ok(more)
    }

    /// The multi-line definition `name` ends (a blank line or a line without `\`); an
    /// empty one is then an ordinary empty definition.
    pub fn end_definition(&mut self, name: &str) {
        if let Some(def) = self.defs.get_mut(name) {
            if def.lines.is_empty() {
                def.multiline = false;
                def.lines.push(String::new());
            }
        }
    }

    /// Replace the references in `line` (keepalived's `replace_param()`): `$NAME` followed
    /// by a blank, `,`, `)` or the end of the line, or `${NAME}` anywhere; `${_RANDOM MIN
    /// MAX}` takes parameters. A multi-line definition is replaced only where its reference
    /// ends the line: its first line takes the reference's place and the others are read
    /// next. Replaced text is scanned again at once (definitions are recursive); an undefined
    /// name is left as it is. `budget` counts substitutions (a recursive definition ends in
    /// an error, not a hang).
    pub fn substitute(
        &mut self,
        line: &mut String,
        here: &Here,
        budget: &mut usize,
    ) -> Result<Substituted, String> {
        let mut out = Substituted::default();
        let mut pos = 0;
        while let Some(off) = line[pos..].find('$') {
            let at = pos + off;
            if at + 1 >= line.len() {
                break;
            }
            let Some(r) = reference(&line[at + 1..]) else {
                pos = at + 1;
                continue;
            };
            let (name, ref_len, params) = (r.name.to_string(), r.len, r.params.map(str::to_string));
            let at_end = at + 1 + ref_len == line.len();
            let Some(def) = self.defs.get(&name) else {
                pos = at + 1;
                continue;
            };
            if (def.multiline && !at_end)
                || (params.is_some() && def.computed != Some(Computed::Random))
            {
                pos = at + 1;
                continue;
            }
            if *budget == 0 {
                return Err(format!(
                    "more than {MAX_SUBSTITUTIONS} substitutions for one line (a recursive definition of ${}?)",
                    name
                ));
            }
            *budget -= 1;
            let multiline = def.multiline;
            let (first, rest) = match def.computed {
                Some(Computed::Pwd) => (here.dir.to_string(), Vec::new()),
                Some(Computed::Instance) => (self.config_id.clone(), Vec::new()),
                Some(Computed::Random) => {
                    let (min, max) = random_range(params.as_deref());
                    (self.random(min, max).to_string(), Vec::new())
                }
                None => {
                    let mut lines = def.lines.iter();
                    let first = lines.next().cloned().unwrap_or_default();
                    (first, lines.cloned().collect())
                }
            };
            let tilde = first.trim_start_matches([' ', '\t']).starts_with('~');
            line.replace_range(at..at + 1 + ref_len, &first);
            if line.len() > MAX_LINE {
                return Err(format!(
                    "substituting ${name} makes the line longer than {MAX_LINE} bytes"
                ));
            }
            self.work += line.len();
            if self.work > MAX_WORK {
                return Err(format!(
                    "substitutions rewrite more than {} GiB of text in this load",
                    MAX_WORK >> 30
                ));
            }
            out.changed = true;
            if multiline && !rest.is_empty() {
                out.pending.push(rest);
            }
            if tilde {
                break;
            }
        }
        Ok(out)
    }

    /// keepalived's `random() % (max - min + 1) + min`, from a xorshift generator.
    fn random(&mut self, min: u64, max: u64) -> u64 {
        let mut x = self.random;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random = x;
        if max < min {
            return min;
        }
        match (max - min).checked_add(1) {
            Some(span) => min + x % span,
            None => x,
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`
fn is_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

struct Reference<'a> {
    name: &'a str,
    /// Bytes after the `$`.
    len: usize,
    params: Option<&'a str>,
}

/// The reference starting right after a `$` (keepalived's `find_definition()` rules).
fn reference(s: &str) -> Option<Reference<'_>> {
    let b = s.as_bytes();
    let braces = b.first() == Some(&b'{');
    let start = usize::from(braces);
    let first = *b.get(start)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let mut p = start + 1;
    while p < b.len() && (b[p].is_ascii_alphanumeric() || b[p] == b'_') {
        p += 1;
    }
    let name = &s[start..p];
    if !braces {
        return match b.get(p) {
            None | Some(b' ' | b'\t' | b',' | b')') => Some(Reference {
                name,
                len: p,
                params: None,
            }),
            _ => None,
        };
    }
    let (mut p_start, mut p_end) = (None, None);
    while p < b.len() && (b[p] == b' ' || b[p].is_ascii_digit()) {
        if b[p] != b' ' {
            p_start.get_or_insert(p);
            p_end = Some(p);
        }
        p += 1;
    }
    if let Some(e) = p_end {
        if e + 1 != p {
            return None;
        }
    }
    if b.get(p) != Some(&b'}') {
        return None;
    }
    Some(Reference {
        name,
        len: p + 1,
        params: p_start.zip(p_end).map(|(a, e)| &s[a..=e]),
    })
}

/// `${_RANDOM [MIN [MAX]]}`: defaults 0 and 32767.
fn random_range(params: Option<&str>) -> (u64, u64) {
    let mut it = params
        .unwrap_or("")
        .split_whitespace()
        .map(|w| w.parse::<u64>().unwrap_or(u64::MAX));
    let min = it.next().unwrap_or(0);
    let max = it.next().unwrap_or(32767);
    (min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(defs: &mut Defs, line: &str) -> (String, Vec<Vec<String>>) {
        let mut l = line.to_string();
        let mut budget = MAX_SUBSTITUTIONS;
        let s = defs
            .substitute(&mut l, &Here { dir: "/etc/k" }, &mut budget)
            .unwrap();
        (l, s.pending)
    }

    #[test]
    fn definitions_and_references() {
        let mut d = Defs::new("high", 1);
        assert_eq!(d.definition("$A=1").unwrap(), Some(("A".into(), false)));
        assert_eq!(d.definition("$A =1").unwrap(), None);
        assert_eq!(d.definition("$1A=1").unwrap(), None);
        assert_eq!(d.definition("$B=  x y").unwrap(), Some(("B".into(), false)));
        assert_eq!(sub(&mut d, "p $A $B,${A}0 $Ax $C").0, "p 1 x y,10 $Ax $C");
        assert_eq!(sub(&mut d, "a$A").0, "a1");
        assert_eq!(
            sub(&mut d, "${_INSTANCE} ${_PWD} ${_HASH}").0,
            "high /etc/k #"
        );
        d.definition("$_HASH=h").unwrap();
        assert_eq!(sub(&mut d, "${_HASH}").0, "h");
    }

    /// keepalived.conf(5): substitution is done at use, recursively.
    #[test]
    fn substitution_is_recursive_at_use_time() {
        let mut d = Defs::new("x", 1);
        d.definition("$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}")
            .unwrap();
        d.definition("$ADDRESS_BASE_SUB=0").unwrap();
        assert_eq!(sub(&mut d, "${ADDRESS_BASE}.100/32").0, "10.2.0.100/32");
        d.definition("$ADDRESS_BASE_SUB=10").unwrap();
        assert_eq!(sub(&mut d, "${ADDRESS_BASE}.100/32").0, "10.2.10.100/32");
    }

    #[test]
    fn multiline_only_at_the_end_of_a_line() {
        let mut d = Defs::new("x", 1);
        assert_eq!(d.definition("$M= \\").unwrap(), Some(("M".into(), true)));
        assert!(d.continue_definition("M", "a {\\").unwrap());
        assert!(d.continue_definition("M", "\\").unwrap());
        assert!(!d.continue_definition("M", "}").unwrap());
        assert_eq!(sub(&mut d, "x $M y").0, "x $M y");
        assert_eq!(
            sub(&mut d, "x $M"),
            ("x a {".into(), vec![vec!["}".into()]])
        );
    }

    #[test]
    fn a_recursive_definition_is_an_error() {
        let mut d = Defs::new("x", 1);
        d.definition("$A=${A}").unwrap();
        let mut l = "x ${A}".to_string();
        let mut budget = MAX_SUBSTITUTIONS;
        let e = d
            .substitute(&mut l, &Here { dir: "" }, &mut budget)
            .unwrap_err();
        assert!(e.contains("recursive definition of $A"), "{e}");
        d.definition("$B=${B}${B}").unwrap();
        let mut l = "${B}".to_string();
        let mut budget = MAX_SUBSTITUTIONS;
        let e = d
            .substitute(&mut l, &Here { dir: "" }, &mut budget)
            .unwrap_err();
        assert!(
            e.contains("longer than") || e.contains("recursive definition of $B"),
            "{e}"
        );
    }

    #[test]
    fn random_takes_parameters_others_do_not() {
        let mut d = Defs::new("x", 7);
        for _ in 0..50 {
            let n: u64 = sub(&mut d, "${_RANDOM 5 9}").0.parse().unwrap();
            assert!((5..=9).contains(&n));
        }
        d.definition("$A=1").unwrap();
        assert_eq!(sub(&mut d, "${A 5}").0, "${A 5}");
        assert_eq!(sub(&mut d, "${_RANDOM 5 }").0, "${_RANDOM 5 }");
    }
}
