//! keepalived's configuration language, applied line by line before tokens are made, as
//! keepalived 2.2.7's lib/parser.c `read_line()` does (keepalived.conf(5) "ADVANCED
//! CONFIGURATION"):
//!
//! - comments are removed ([`text::decomment`]);
//! - `@ID text` keeps `text` only when ID is the config id (`-i`, by default the host name up
//!   to its first dot), `@^ID text` only when it is not;
//! - `$NAME=value` defines (multi-line with a trailing `\`), `$NAME` / `${NAME}` are replaced
//!   ([`defs`]);
//! - `~SEQ(...)` / `~LST(...)` repeat the rest of the line ([`seq`]);
//! - `include` and its variants read other files in place ([`include`]);
//! - a line is cut at its first brace, the rest read as a line of its own.
//!
//! Every line handed on keeps the file and line it came from (for text from a definition,
//! the line where it was used). Everything is bounded: line length, substitutions per line,
//! lines made by repetition, definitions, files (see the constants).

pub mod defs;
mod include;
pub mod seq;
pub mod text;

use super::error::{ConfigError, ErrorKind, Warning};
use super::read::Reader;
use super::source::Loc;
use defs::{Defs, Here};
use seq::Repeat;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Most lines one load makes by `~SEQ`, `~LST` and multi-line definitions (the 65 024
/// instance example of keepalived.conf(5) makes about a million).
pub const MAX_MADE_LINES: usize = 4_000_000;

/// Deepest nesting of repetitions and multi-line expansions at one time.
pub const MAX_EXPANSION_DEPTH: usize = 64;

/// How a load reads the language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LangOptions {
    /// The config id `@ID` lines are compared with (keepalived's `-i` / `--config-id`).
    pub config_id: String,
    /// `include` lines are followed (off: they are an error, for the fuzzer).
    pub includes: bool,
    /// Checks applied to every include (keepalived's `--include-check`; `include_check` in
    /// `global_defs` changes them while reading).
    pub include_check: u8,
    /// Most lines made by repetition and multi-line definitions ([`MAX_MADE_LINES`]).
    pub max_made_lines: usize,
}

impl Default for LangOptions {
    fn default() -> LangOptions {
        LangOptions {
            config_id: default_config_id(),
            includes: true,
            include_check: 0,
            max_made_lines: MAX_MADE_LINES,
        }
    }
}

impl LangOptions {
    /// Options with config id `id` (None: the default, as keepalived without `-i`).
    pub fn with_config_id(id: Option<&str>) -> LangOptions {
        LangOptions {
            config_id: id.map_or_else(default_config_id, str::to_string),
            ..LangOptions::default()
        }
    }
}

/// keepalived's default config id: the node name (uname) up to its first dot.
pub fn default_config_id() -> String {
    let name = nix::sys::utsname::uname()
        .map(|u| u.nodename().to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('.').next().unwrap_or_default().to_string()
}

/// A line after the language is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The text: `{`, `}`, or words with no brace outside double quotes.
    pub text: String,
    /// Where it came from.
    pub loc: Loc,
}

/// One file being read.
struct File {
    path: Arc<PathBuf>,
    text: String,
    /// Byte offset of the next line.
    pos: usize,
    /// Number of the last line read.
    line: usize,
    /// `include_check` to restore when the file ends.
    saved_check: u8,
    /// `_PWD`.
    dir: String,
    /// Files the same include matched, still to read after this one (next last), with the
    /// include's checks and line.
    siblings: Vec<PathBuf>,
    include: Option<(u8, Loc)>,
}

/// Text still to be read before the next line of the file.
enum Pending {
    /// The rest of a multi-line definition's lines, where it was used.
    Lines(std::vec::IntoIter<String>, Loc),
    /// A line repeated by `~SEQ` / `~LST`.
    Repeat(Repeat, Loc),
}

/// The language applied to a main file and the files it includes: a source of [`Line`]s.
pub struct Preproc {
    opts: LangOptions,
    defs: Defs,
    files: Vec<File>,
    pending: Vec<Pending>,
    residue: Option<Line>,
    /// The multi-line definition being read.
    open_def: Option<String>,
    include_check: u8,
    reader: Reader,
    made: usize,
    /// Block depth and the keyword of the top-level block (for `include_check`).
    depth: usize,
    last_top: String,
    top_block: String,
    /// What was accepted with a warning (keepalived's messages that do not fail it).
    pub warnings: Vec<Warning>,
}

impl Preproc {
    /// Read `path` (errors about the file itself are placed at its line 0).
    pub fn open(path: &Path, opts: &LangOptions) -> Result<Preproc, ConfigError> {
        let mut p = Preproc::empty(opts);
        let from = Loc::new(&Arc::new(path.to_path_buf()), 0);
        let text = p.reader.read(path, &from)?;
        p.push_file(path, text, 0, Vec::new(), None);
        Ok(p)
    }

    /// Read `text` as if it were the file `name`.
    pub fn from_text(name: &Path, text: &str, opts: &LangOptions) -> Preproc {
        let mut p = Preproc::empty(opts);
        p.push_file(name, text.to_string(), 0, Vec::new(), None);
        p
    }

    fn empty(opts: &LangOptions) -> Preproc {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Preproc {
            opts: opts.clone(),
            defs: Defs::new(&opts.config_id, seed),
            files: Vec::new(),
            pending: Vec::new(),
            residue: None,
            open_def: None,
            include_check: opts.include_check,
            reader: Reader::default(),
            made: 0,
            depth: 0,
            last_top: String::new(),
            top_block: String::new(),
            warnings: Vec::new(),
        }
    }

    fn push_file(
        &mut self,
        path: &Path,
        text: String,
        saved_check: u8,
        siblings: Vec<PathBuf>,
        include: Option<(u8, Loc)>,
    ) {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = std::path::absolute(parent.unwrap_or(Path::new(".")))
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        self.files.push(File {
            path: Arc::new(path.to_path_buf()),
            text,
            pos: 0,
            line: 0,
            saved_check,
            dir,
            siblings,
            include,
        });
    }

    fn warn(&mut self, loc: &Loc, message: String) {
        self.warnings.push(Warning {
            loc: loc.clone(),
            message,
        });
    }

    /// The next physical line of the innermost file, without its end of line; files that
    /// end are closed (restoring `include_check`), and the next file of the same include
    /// opened.
    fn file_line(&mut self) -> Result<Option<(String, Loc)>, ConfigError> {
        loop {
            let Some(f) = self.files.last_mut() else {
                return Ok(None);
            };
            if f.pos >= f.text.len() {
                let Some(f) = self.files.pop() else {
                    return Ok(None);
                };
                self.include_check = f.saved_check;
                if let Some((on, loc)) = f.include {
                    self.open_next(f.siblings, on, &loc)?;
                }
                continue;
            }
            let rest = &f.text[f.pos..];
            let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let line = rest[..len].trim_end_matches(['\n', '\r']).to_string();
            f.pos += len;
            f.line += 1;
            return Ok(Some((line, Loc::new(&f.path, f.line))));
        }
    }

    /// The next line not yet processed: a brace's rest, pending text, or the file's.
    /// The bool is true for a line of a file (which is decommented).
    fn raw_line(&mut self) -> Result<Option<(String, Loc, bool)>, ConfigError> {
        if let Some(l) = self.residue.take() {
            return Ok(Some((l.text, l.loc, false)));
        }
        while let Some(top) = self.pending.last_mut() {
            let next = match top {
                Pending::Lines(lines, loc) => lines.next().map(|l| (l, loc.clone())),
                Pending::Repeat(r, loc) => r
                    .next(&mut self.defs)
                    .map_err(|e| ConfigError::invalid(loc, e))?
                    .map(|l| (l, loc.clone())),
            };
            match next {
                Some((text, loc)) => {
                    self.made += 1;
                    if self.made > self.opts.max_made_lines {
                        return Err(ConfigError::invalid(
                            &loc,
                            format!(
                                "~SEQ, ~LST and multi-line definitions make more than {} lines",
                                self.opts.max_made_lines
                            ),
                        ));
                    }
                    return Ok(Some((text, loc, false)));
                }
                None => {
                    self.pending.pop();
                }
            }
        }
        Ok(self.file_line()?.map(|(l, loc)| (l, loc, true)))
    }

    fn push_pending(&mut self, p: Pending, loc: &Loc) -> Result<(), ConfigError> {
        if self.pending.len() >= MAX_EXPANSION_DEPTH {
            return Err(ConfigError::invalid(
                loc,
                format!("~SEQ, ~LST and multi-line definitions nested more than {MAX_EXPANSION_DEPTH} deep"),
            ));
        }
        self.pending.push(p);
        Ok(())
    }

    /// The next line with the language applied; None at the end of the main file.
    pub fn next_line(&mut self) -> Result<Option<Line>, ConfigError> {
        loop {
            let Some((raw, loc, from_file)) = self.raw_line()? else {
                return Ok(None);
            };
            let mut buf = if from_file {
                if raw.is_empty() {
                    // A blank line ends a multi-line definition.
                    if let Some(name) = self.open_def.take() {
                        self.defs.end_definition(&name);
                    }
                    continue;
                }
                text::decomment(&raw)
                    .map_err(|_| ConfigError::new(loc.clone(), ErrorKind::UnterminatedQuote))?
            } else {
                raw
            };
            if buf.is_empty() {
                continue;
            }
            if let Some(name) = self.open_def.clone() {
                let more = self
                    .defs
                    .continue_definition(&name, &buf)
                    .map_err(|e| ConfigError::invalid(&loc, e))?;
                if !more {
                    self.open_def = None;
                }
                continue;
            }
            self.apply(&mut buf, &loc)?;
            if buf.is_empty() {
                continue;
            }
            if let Some((checks, pattern)) = text::include_line(&buf) {
                if !self.opts.includes {
                    return Err(ConfigError::invalid(&loc, "include is not allowed here"));
                }
                let pattern = pattern.to_string();
                self.include(checks, &pattern, &loc)?;
                continue;
            }
            let (head, rest) = text::split_at_brace(&buf);
            self.residue = rest.map(|text| Line {
                text,
                loc: loc.clone(),
            });
            if self.include_check_line(&head, &loc) {
                continue;
            }
            return Ok(Some(Line { text: head, loc }));
        }
    }

    /// `@ID` / `@^ID`, `$NAME=`, `~SEQ` / `~LST` and substitution on one line, again after
    /// a substitution that leaves a `@` first or a `$` in the line (keepalived's `recheck`).
    /// Leaves `buf` empty when the line is consumed.
    fn apply(&mut self, buf: &mut String, loc: &Loc) -> Result<(), ConfigError> {
        let mut budget = defs::MAX_SUBSTITUTIONS;
        loop {
            if buf.starts_with('@') {
                let (negate, ofs) = if buf[1..].starts_with('^') {
                    (true, 2)
                } else {
                    (false, 1)
                };
                let Some(end) = buf[ofs..].find([' ', '\t']).map(|i| i + ofs) else {
                    self.warn(
                        loc,
                        format!("conditional line '{buf}' has nothing after its id: ignored (as keepalived)"),
                    );
                    buf.clear();
                    return Ok(());
                };
                if (buf[ofs..end] == self.opts.config_id) == negate {
                    buf.clear();
                    return Ok(());
                }
                let keep = buf[end..].trim_start_matches([' ', '\t']).to_string();
                *buf = keep;
            }
            if buf.starts_with('$') {
                if let Some((name, multiline)) = self
                    .defs
                    .definition(buf)
                    .map_err(|e| ConfigError::invalid(loc, e))?
                {
                    if multiline {
                        self.open_def = Some(name);
                    }
                    buf.clear();
                    return Ok(());
                }
            }
            if buf.starts_with("~SEQ") || buf.starts_with("~LST") {
                let here = Here {
                    dir: self.files.last().map_or("", |f| &f.dir),
                };
                let r = if buf.starts_with("~SEQ") {
                    seq::seq(buf, &mut self.defs, &here)
                } else {
                    seq::lst(buf)
                }
                .map_err(|e| ConfigError::invalid(loc, e))?;
                self.push_pending(Pending::Repeat(r, loc.clone()), loc)?;
                buf.clear();
                return Ok(());
            }
            if buf.starts_with('~') || !buf.contains('$') {
                return Ok(());
            }
            let here = Here {
                dir: self.files.last().map_or("", |f| &f.dir),
            };
            let done = self
                .defs
                .substitute(buf, &here, &mut budget)
                .map_err(|e| ConfigError::invalid(loc, e))?;
            // keepalived saves the text being expanded before the new one (read after).
            for lines in done.pending {
                self.push_pending(Pending::Lines(lines.into_iter(), loc.clone()), loc)?;
            }
            if !done.changed {
                return Ok(());
            }
            *buf = text::decomment(buf)
                .map_err(|_| ConfigError::new(loc.clone(), ErrorKind::UnterminatedQuote))?;
            if !(buf.starts_with('@') || buf.contains('$')) {
                return Ok(());
            }
        }
    }

    /// `include_check` in `global_defs` applies to the includes that follow it (keepalived
    /// runs its handler while reading); consumed here, it never reaches the builder.
    fn include_check_line(&mut self, line: &str, loc: &Loc) -> bool {
        match line {
            "{" => {
                if self.depth == 0 {
                    self.top_block = std::mem::take(&mut self.last_top);
                }
                self.depth += 1;
                return false;
            }
            "}" => {
                self.depth = self.depth.saturating_sub(1);
                return false;
            }
            _ => {}
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        if self.depth == 0 {
            self.last_top = first.to_string();
        }
        if !(self.depth == 1 && self.top_block == "global_defs" && first == "include_check") {
            return false;
        }
        let words: Vec<&str> = words.collect();
        let (check, warnings) = include::include_check(self.include_check, &words);
        self.include_check = check;
        for w in warnings {
            self.warn(loc, w);
        }
        true
    }
}

#[cfg(test)]
mod tests;
