//! keepalived.conf tokens: words, quoted strings and braces, with comments removed.
//!
//! keepalived's rules (keepalived/core/parser.c, as documented in keepalived.conf(5)):
//! `#` and `!` start a comment that runs to the end of the line, unless inside double quotes;
//! a double-quoted string is one word with the quotes removed; `{` and `}` are tokens of their
//! own. Tokens keep the line they start on.

use super::error::{ConfigError, ErrorKind};
use super::source::Loc;
use std::path::PathBuf;
use std::sync::Arc;

/// One token of a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A bare or quoted word.
    Word(String),
    /// `{`
    Open,
    /// `}`
    Close,
}

/// A token and the line of the file it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexeme {
    /// The token.
    pub token: Token,
    /// Where it starts.
    pub loc: Loc,
    /// True when the token was the first on its line (statements are line-based).
    pub line_start: bool,
}

/// Split `text` (the contents of `file`) into tokens.
pub fn tokenize(file: &Arc<PathBuf>, text: &str) -> Result<Vec<Lexeme>, ConfigError> {
    Lexer::new(file, text).collect()
}

/// The tokens of `text` one at a time, a line ahead at most: the parser never holds the
/// whole file's tokens (a thousand-instance file would take 1.5 MiB of them).
pub struct Lexer<'a> {
    file: &'a Arc<PathBuf>,
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
    line: std::vec::IntoIter<Lexeme>,
}

impl<'a> Lexer<'a> {
    /// Tokens of `text`, the contents of `file`.
    pub fn new(file: &'a Arc<PathBuf>, text: &'a str) -> Lexer<'a> {
        Lexer {
            file,
            lines: text.lines().enumerate(),
            line: Vec::new().into_iter(),
        }
    }
}

impl Iterator for Lexer<'_> {
    type Item = Result<Lexeme, ConfigError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(l) = self.line.next() {
                return Some(Ok(l));
            }
            let (index, text) = self.lines.next()?;
            let mut out = Vec::new();
            if let Err(e) = tokenize_line(text, &Loc::new(self.file, index + 1), &mut out) {
                return Some(Err(e));
            }
            self.line = out.into_iter();
        }
    }
}

fn tokenize_line(line: &str, loc: &Loc, out: &mut Vec<Lexeme>) -> Result<(), ConfigError> {
    let mut chars = line.char_indices().peekable();
    let mut first = true;
    let mut push = |token: Token, out: &mut Vec<Lexeme>| {
        out.push(Lexeme {
            token,
            loc: loc.clone(),
            line_start: first,
        });
        first = false;
    };
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' | '!' => break,
            '{' => {
                chars.next();
                push(Token::Open, out);
            }
            '}' => {
                chars.next();
                push(Token::Close, out);
            }
            '"' => {
                chars.next();
                let mut word = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    word.push(c);
                }
                if !closed {
                    return Err(ConfigError::new(loc.clone(), ErrorKind::UnterminatedQuote));
                }
                push(Token::Word(word), out);
            }
            _ => {
                let mut end = line.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '{' | '}' | '"') {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                push(Token::Word(line[start..end].to_string()), out);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(Token, usize, bool)> {
        let file = Arc::new(PathBuf::from("t.conf"));
        tokenize(&file, text)
            .unwrap()
            .into_iter()
            .map(|l| (l.token, l.loc.line, l.line_start))
            .collect()
    }

    fn w(s: &str) -> Token {
        Token::Word(s.into())
    }

    #[test]
    fn comments_quotes_and_braces() {
        let got = words("a b{ # c\n\"x # y\" ! z\n}c");
        assert_eq!(
            got,
            vec![
                (w("a"), 1, true),
                (w("b"), 1, false),
                (Token::Open, 1, false),
                (w("x # y"), 2, true),
                (Token::Close, 3, true),
                (w("c"), 3, false),
            ]
        );
    }

    #[test]
    fn unterminated_quote_names_the_line() {
        let file = Arc::new(PathBuf::from("t.conf"));
        let err = tokenize(&file, "ok\nnotify \"/bin/x\n").unwrap_err();
        assert_eq!(err.to_string(), "t.conf:2: unterminated quoted string");
    }
}
