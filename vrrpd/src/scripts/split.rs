//! Splitting a `script` / `notify*` string into argv, as keepalived does.
//!
//! keepalived execs the words of the command directly (no shell). The rules:
//! - words are separated by runs of whitespace;
//! - `'...'` is taken literally (no escapes inside), may hold whitespace;
//! - `"..."` may hold whitespace; inside it a backslash escapes the next character;
//! - outside quotes a backslash escapes the next character (`\ ` is a space in a word);
//! - quoted and unquoted pieces next to each other make one word (`a"b c"d` is `ab cd`);
//! - `""` or `''` on its own is an empty argument.

/// Why a command line could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The command has no words at all.
    #[error("empty command")]
    Empty,
    /// A quote (`'` or `"`) is never closed.
    #[error("unterminated {0} quote")]
    UnterminatedQuote(char),
    /// The command ends with a lone backslash.
    #[error("trailing backslash")]
    TrailingBackslash,
}

/// Split `line` into argv by the rules above; at least one word, or an error.
pub fn split_command(line: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word is in progress (also true after `""`, so that empty arguments survive).
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                word.push(chars.next().ok_or(SplitError::TrailingBackslash)?);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(SplitError::UnterminatedQuote('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => word.push(c),
                            None => return Err(SplitError::UnterminatedQuote('"')),
                        },
                        Some(c) => word.push(c),
                        None => return Err(SplitError::UnterminatedQuote('"')),
                    }
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err(SplitError::Empty);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Vec<String> {
        split_command(s).unwrap()
    }

    #[test]
    fn plain_words() {
        assert_eq!(ok("  /bin/x  a\tb  "), ["/bin/x", "a", "b"]);
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(ok(r#"x 'a b' "c d""#), ["x", "a b", "c d"]);
        assert_eq!(ok(r#"x a"b c"d"#), ["x", "ab cd"]);
        assert_eq!(
            ok(r#"x "say \"hi\"" 'no \ escape'"#),
            ["x", "say \"hi\"", "no \\ escape"]
        );
        assert_eq!(ok(r"x a\ b \'"), ["x", "a b", "'"]);
        assert_eq!(ok(r#"x "" ''"#), ["x", "", ""]);
    }

    #[test]
    fn errors() {
        assert_eq!(split_command(""), Err(SplitError::Empty));
        assert_eq!(split_command("   "), Err(SplitError::Empty));
        assert_eq!(
            split_command("x 'a"),
            Err(SplitError::UnterminatedQuote('\''))
        );
        assert_eq!(
            split_command("x \"a"),
            Err(SplitError::UnterminatedQuote('"'))
        );
        assert_eq!(
            split_command("x \"a\\"),
            Err(SplitError::UnterminatedQuote('"'))
        );
        assert_eq!(split_command("x a\\"), Err(SplitError::TrailingBackslash));
    }
}
