//! keepalived.conf tokens: words, quoted strings and braces.
//!
//! The lines come from [`Preproc`], which applies keepalived's language first (comments,
//! `@ID`, `$NAME`, `~SEQ`, `include`, the cut at braces). keepalived's `alloc_strvec()` rules
//! then: a double-quoted string is one word with the quotes removed (single quotes are
//! ordinary characters here; script lines are split again by [`crate::scripts::split_command`]);
//! `{` and `}` are tokens of their own. Tokens keep the line they come from.

use super::error::{ConfigError, ErrorKind};
use super::lang::{LangOptions, Preproc};
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

/// Split `text` (the contents of `file`) into tokens, the language applied with the default
/// config id and no includes followed (an include line is an error).
pub fn tokenize(file: &Arc<PathBuf>, text: &str) -> Result<Vec<Lexeme>, ConfigError> {
    let opts = LangOptions {
        includes: false,
        ..LangOptions::default()
    };
    Lexer::new(Preproc::from_text(file, text, &opts)).collect()
}

/// The tokens of the lines of a [`Preproc`] one at a time, a line ahead at most: the parser
/// never holds the whole file's tokens (a thousand-instance file would take 1.5 MiB of them).
pub struct Lexer {
    pre: Preproc,
    line: std::vec::IntoIter<Lexeme>,
    /// The text of the line the last token came from.
    text: String,
}

impl Lexer {
    /// Tokens of the lines `pre` gives.
    pub fn new(pre: Preproc) -> Lexer {
        Lexer {
            pre,
            line: Vec::new().into_iter(),
            text: String::new(),
        }
    }

    /// The text of the line the last token came from (the language applied).
    pub fn line_text(&self) -> &str {
        &self.text
    }

    /// The language's state (its warnings).
    pub fn into_preproc(self) -> Preproc {
        self.pre
    }
}

impl Iterator for Lexer {
    type Item = Result<Lexeme, ConfigError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(l) = self.line.next() {
                return Some(Ok(l));
            }
            let line = match self.pre.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            let mut out = Vec::new();
            if let Err(e) = tokenize_line(&line.text, &line.loc, &mut out) {
                return Some(Err(e));
            }
            self.line = out.into_iter();
            self.text = line.text;
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
                (Token::Open, 1, true),
                (w("x # y"), 2, true),
                (Token::Close, 3, true),
                (w("c"), 3, true),
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
