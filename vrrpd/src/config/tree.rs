//! From tokens to a tree of statements.
//!
//! A statement is a keyword and its arguments on one line, optionally followed by a block
//! `{ ... }` whose `{` is on the same line or starts the next one (both styles appear in the
//! users' files). A block holds statements; list blocks (`virtual_ipaddress`, `unicast_peer`)
//! are statements whose keyword is the first word of each line. `include` lines are read in
//! place by the language ([`super::lang`]), as keepalived reads them.

use super::error::{ConfigError, ErrorKind, Warning};
use super::lang::{LangOptions, Preproc};
use super::lexer::{Lexeme, Lexer, Token};
use super::source::Loc;
use std::path::Path;

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
    /// The whole line, keyword included, as the language left it (quotes and escapes not
    /// yet read): what keepalived splits again for scripts.
    pub raw: String,
}

impl Statement {
    /// The block's statements, or an empty slice.
    pub fn children(&self) -> &[Statement] {
        self.block.as_deref().unwrap_or(&[])
    }
}

/// What is done with each top-level statement, in file order (includes expanded).
pub type Visitor<'v> = dyn FnMut(Statement) -> Result<(), ConfigError> + 'v;

/// Read `path` and every file it includes, handing each top-level statement to `each` in
/// order. A statement is parsed only when the one before it has been handled, so the whole
/// tree of a large file is never held at once. Returns the language's warnings.
pub fn visit(
    path: &Path,
    opts: &LangOptions,
    each: &mut Visitor,
) -> Result<Vec<Warning>, ConfigError> {
    visit_lines(Preproc::open(path, opts)?, each)
}

/// [`visit`] on configuration text as if read from `name` (includes are resolved relative
/// to it).
pub fn visit_str(name: &Path, text: &str, each: &mut Visitor) -> Result<(), ConfigError> {
    visit_str_with(name, text, &LangOptions::default(), each).map(|_| ())
}

/// [`visit_str`] with language options; returns the language's warnings.
pub fn visit_str_with(
    name: &Path,
    text: &str,
    opts: &LangOptions,
    each: &mut Visitor,
) -> Result<Vec<Warning>, ConfigError> {
    visit_lines(Preproc::from_text(name, text, opts), each)
}

fn visit_lines(pre: Preproc, each: &mut Visitor) -> Result<Vec<Warning>, ConfigError> {
    let mut parser = Parser {
        lexer: Lexer::new(pre),
        peeked: None,
        nesting: 0,
    };
    while let Some(stmt) = parser.next_statement(None)? {
        each(stmt)?;
    }
    Ok(parser.lexer.into_preproc().warnings)
}

struct Parser {
    lexer: Lexer,
    /// The next token, read but not yet used.
    peeked: Option<Lexeme>,
    /// Blocks open around the current position.
    nesting: usize,
}

impl Parser {
    /// The next token, left in place.
    fn peek(&mut self) -> Result<Option<&Lexeme>, ConfigError> {
        if self.peeked.is_none() {
            self.peeked = self.lexer.next().transpose()?;
        }
        Ok(self.peeked.as_ref())
    }

    /// The next token, taken.
    fn take(&mut self) -> Result<Option<Lexeme>, ConfigError> {
        match self.peeked.take() {
            Some(l) => Ok(Some(l)),
            None => self.lexer.next().transpose(),
        }
    }

    /// The next statement of the block `opener` (of the file when None); None at the `}`
    /// closing `opener` (consumed), or at the end of the file when `opener` is None.
    fn next_statement(
        &mut self,
        opener: Option<&Statement>,
    ) -> Result<Option<Statement>, ConfigError> {
        let Some(lex) = self.take()? else {
            return match opener {
                None => Ok(None),
                Some(stmt) => Err(ConfigError::new(
                    stmt.loc.clone(),
                    ErrorKind::UnclosedBlock(stmt.keyword.clone()),
                )),
            };
        };
        let word = match lex.token {
            Token::Close => {
                return match opener {
                    Some(_) => Ok(None),
                    None => Err(ConfigError::new(lex.loc, ErrorKind::UnmatchedClose)),
                };
            }
            Token::Open => return Err(ConfigError::new(lex.loc, ErrorKind::OrphanOpen)),
            Token::Word(word) => word,
        };
        let raw = self.lexer.line_text().to_string();
        let mut stmt = Statement {
            keyword: word,
            args: self.arguments()?,
            block: None,
            loc: lex.loc,
            raw,
        };
        if self.opens_block()? {
            self.take()?;
            if self.nesting >= MAX_NESTING {
                return Err(ConfigError::new(
                    stmt.loc.clone(),
                    ErrorKind::NestingDepth(MAX_NESTING),
                ));
            }
            self.nesting += 1;
            let mut children = Vec::new();
            while let Some(child) = self.next_statement(Some(&stmt))? {
                children.push(child);
            }
            children.shrink_to_fit();
            self.nesting -= 1;
            stmt.block = Some(children);
            // Words after a closing brace on the same line start a new statement
            // only if they are at a line start; keepalived ignores none of them,
            // so neither do we: they are parsed as the next statement.
        }
        Ok(Some(stmt))
    }

    /// The rest of the words on the statement's line (a vector of exactly their number).
    fn arguments(&mut self) -> Result<Vec<String>, ConfigError> {
        let mut args = Vec::new();
        while matches!(self.peek()?, Some(l) if !l.line_start && matches!(l.token, Token::Word(_)))
        {
            if let Some(Lexeme {
                token: Token::Word(w),
                ..
            }) = self.take()?
            {
                args.push(w);
            }
        }
        args.shrink_to_fit();
        Ok(args)
    }

    /// A `{` right after the statement: on its line, or first on the next line.
    fn opens_block(&mut self) -> Result<bool, ConfigError> {
        Ok(matches!(self.peek()?, Some(l) if l.token == Token::Open))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Statements are handed over as they are parsed: the visitor sees (and may drop) the
    /// first ones before the parser reaches a later error, and includes are expanded in place.
    #[test]
    fn statements_are_streamed_in_order_before_a_later_error() {
        let dir = std::env::temp_dir().join(format!("vrrpd-tree-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("inc.conf"), "b { x 1 }\n").unwrap();
        let main = dir.join("main.conf");
        let text = "a 1\ninclude inc.conf\nc { y }\n}\nd\n";
        let mut seen = Vec::new();
        let err = visit_str(&main, text, &mut |s| {
            seen.push((s.keyword, s.loc.line, s.block.map_or(0, |b| b.len())));
            Ok(())
        })
        .unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            seen,
            vec![("a".into(), 1, 0), ("b".into(), 1, 1), ("c".into(), 3, 1)]
        );
        assert!(
            err.to_string()
                .ends_with("main.conf:4: '}' closes no open block"),
            "{err}"
        );
    }

    /// An error from the visitor stops the parse at once.
    #[test]
    fn a_visitor_error_stops_the_parse() {
        let mut n = 0;
        let err = visit_str(Path::new("t.conf"), "a\nb\nc\n", &mut |s| {
            n += 1;
            if s.keyword == "b" {
                return Err(ConfigError::invalid(&s.loc, "stop here"));
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(n, 2);
        assert_eq!(err.to_string(), "t.conf:2: stop here");
    }
}
