//! From tokens to a tree of statements, following `include`s.
//!
//! A statement is a keyword and its arguments on one line, optionally followed by a block
//! `{ ... }` whose `{` is on the same line or starts the next one (both styles appear in the
//! users' files). A block holds statements; list blocks (`virtual_ipaddress`, `unicast_peer`)
//! are statements whose keyword is the first word of each line.

use super::error::{ConfigError, ErrorKind};
use super::lexer::{tokenize, Lexeme, Token};
use super::source::Loc;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Deepest `include` chain accepted.
pub const MAX_INCLUDE_DEPTH: usize = 8;

/// Blocks nested deeper than this are refused (keepalived.conf needs 4; the limit keeps a
/// hostile file from exhausting the stack of the recursive parser).
pub const MAX_NESTING: usize = 32;

/// One statement of a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Keyword (first word).
    pub keyword: String,
    /// The other words on the line.
    pub args: Vec<String>,
    /// The statements of its block, if it has one.
    pub block: Option<Vec<Statement>>,
    /// Where the keyword is.
    pub loc: Loc,
}

impl Statement {
    /// The block's statements, or an empty slice.
    pub fn children(&self) -> &[Statement] {
        self.block.as_deref().unwrap_or(&[])
    }
}

/// Read `path` and every file it includes into one list of top-level statements.
pub fn load(path: &Path) -> Result<Vec<Statement>, ConfigError> {
    let here = Loc::new(&Arc::new(path.to_path_buf()), 0);
    read_file(path, &here, 0)
}

/// Parse configuration text as if read from `name` (includes are resolved relative to it).
pub fn parse_str(name: &Path, text: &str) -> Result<Vec<Statement>, ConfigError> {
    parse_text(&Arc::new(name.to_path_buf()), text, 0)
}

fn read_file(path: &Path, from: &Loc, depth: usize) -> Result<Vec<Statement>, ConfigError> {
    if depth > MAX_INCLUDE_DEPTH {
        return Err(ConfigError::new(
            from.clone(),
            ErrorKind::IncludeDepth(MAX_INCLUDE_DEPTH),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(
            from.clone(),
            ErrorKind::Io(format!("{}: {e}", path.display())),
        )
    })?;
    parse_text(&Arc::new(path.to_path_buf()), &text, depth)
}

fn parse_text(
    file: &Arc<PathBuf>,
    text: &str,
    depth: usize,
) -> Result<Vec<Statement>, ConfigError> {
    let lexemes = tokenize(file, text)?;
    let mut parser = Parser {
        lexemes: &lexemes,
        pos: 0,
        nesting: 0,
    };
    let statements = parser.statements(None)?;
    expand_includes(statements, file, depth)
}

struct Parser<'a> {
    lexemes: &'a [Lexeme],
    pos: usize,
    /// Blocks open around the current position.
    nesting: usize,
}

impl Parser<'_> {
    /// Statements until the `}` closing `opener`, or end of input when `opener` is None.
    fn statements(&mut self, opener: Option<&Statement>) -> Result<Vec<Statement>, ConfigError> {
        let mut out = Vec::new();
        while let Some(lex) = self.lexemes.get(self.pos) {
            match &lex.token {
                Token::Close => {
                    self.pos += 1;
                    return match opener {
                        Some(_) => Ok(out),
                        None => Err(ConfigError::new(lex.loc.clone(), ErrorKind::UnmatchedClose)),
                    };
                }
                Token::Open => {
                    return Err(ConfigError::new(lex.loc.clone(), ErrorKind::OrphanOpen));
                }
                Token::Word(word) => {
                    let mut stmt = Statement {
                        keyword: word.clone(),
                        args: Vec::new(),
                        block: None,
                        loc: lex.loc.clone(),
                    };
                    self.pos += 1;
                    self.arguments(&mut stmt);
                    if self.opens_block() {
                        self.pos += 1;
                        if self.nesting >= MAX_NESTING {
                            return Err(ConfigError::new(
                                stmt.loc.clone(),
                                ErrorKind::NestingDepth(MAX_NESTING),
                            ));
                        }
                        self.nesting += 1;
                        let children = self.statements(Some(&stmt))?;
                        self.nesting -= 1;
                        stmt.block = Some(children);
                        // Words after a closing brace on the same line start a new statement
                        // only if they are at a line start; keepalived ignores none of them,
                        // so neither do we: they are parsed as the next statement.
                    }
                    out.push(stmt);
                }
            }
        }
        match opener {
            None => Ok(out),
            Some(stmt) => Err(ConfigError::new(
                stmt.loc.clone(),
                ErrorKind::UnclosedBlock(stmt.keyword.clone()),
            )),
        }
    }

    /// The rest of the words on the statement's line.
    fn arguments(&mut self, stmt: &mut Statement) {
        while let Some(lex) = self.lexemes.get(self.pos) {
            match &lex.token {
                Token::Word(w) if !lex.line_start => {
                    stmt.args.push(w.clone());
                    self.pos += 1;
                }
                _ => break,
            }
        }
    }

    /// A `{` right after the statement: on its line, or first on the next line.
    fn opens_block(&self) -> bool {
        matches!(self.lexemes.get(self.pos), Some(l) if l.token == Token::Open)
    }
}

/// Replace `include PATTERN` statements by the statements of the matching files, in order.
fn expand_includes(
    statements: Vec<Statement>,
    file: &Arc<PathBuf>,
    depth: usize,
) -> Result<Vec<Statement>, ConfigError> {
    let mut out = Vec::with_capacity(statements.len());
    for mut stmt in statements {
        if stmt.keyword == "include" {
            out.extend(include(&stmt, file, depth)?);
            continue;
        }
        if let Some(children) = stmt.block.take() {
            stmt.block = Some(expand_includes(children, file, depth)?);
        }
        out.push(stmt);
    }
    Ok(out)
}

fn include(stmt: &Statement, file: &Path, depth: usize) -> Result<Vec<Statement>, ConfigError> {
    let [pattern] = stmt.args.as_slice() else {
        return Err(ConfigError::invalid(
            &stmt.loc,
            "include takes exactly one path or glob",
        ));
    };
    let base = file.parent().unwrap_or(Path::new("."));
    let full = base.join(pattern);
    let full = full.to_string_lossy();
    let paths = glob::glob(&full)
        .map_err(|e| ConfigError::invalid(&stmt.loc, format!("bad include pattern: {e}")))?;
    let mut out = Vec::new();
    for entry in paths {
        let path =
            entry.map_err(|e| ConfigError::new(stmt.loc.clone(), ErrorKind::Io(e.to_string())))?;
        out.extend(read_file(&path, &stmt.loc, depth + 1)?);
    }
    Ok(out)
}
