//! Splitting a `script` / `notify*` string into argv, as keepalived 2.2.7 does
//! (lib/parser.c `alloc_strvec_quoted_escaped()`, keepalived.conf(5) "Quoted strings").
//!
//! keepalived execs the words of the command directly (no shell). The rules:
//! - words are separated by runs of blanks (space, tab, newline, CR, FF, VT; and, as the
//!   keyword reader, other Unicode white space such as a no-break space);
//! - `"..."` and `'...'` may hold blanks; the quotes are removed; quoted and unquoted pieces
//!   next to each other make one word (`a"b c"d` is `ab cd`); `""` or `''` alone is an
//!   empty argument;
//! - a backslash escapes, outside quotes and inside both kinds of quotes: `\a \b \E \f \n
//!   \r \t \v`, `\nnn` (1 to 3 octal digits), `\xHH...` (hex digits), `\cC` (control-C);
//!   any other `\C` is C (`\\`, `\"`, `\'`, `\ `).
//!
//! keepalived splits twice: the configuration line (so a quoted command is one word), then
//! that word into argv; [`crate::config::values::command`] and
//! [`crate::scripts::notify::parse_line`] do the first split, the script runner the second,
//! both with this function. An escape making a NUL or a non-ASCII byte is refused (keepalived
//! cuts the word at a NUL, and argv here is UTF-8).

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
    /// An escape makes a byte argv cannot hold.
    #[error("escape makes byte {0:#04x} (NUL and non-ASCII bytes are not supported)")]
    BadEscape(u8),
}

/// keepalived's blanks (space, tab, newline, CR, FF, VT), and the other Unicode white space
/// the keyword reader also takes as blanks (a no-break space pasted from a web page).
fn blank(c: char) -> bool {
    c.is_whitespace()
}

/// Split `line` into words by the rules above; at least one word, or an error.
pub fn split_command(line: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|&c| blank(c)).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => word.push(escape(&mut chars)?),
                (c, Some(q)) if c == q => quote = None,
                ('"' | '\'', None) => quote = Some(c),
                (c, None) if blank(c) => break,
                (c, _) => word.push(c),
            }
        }
        if let Some(q) = quote {
            return Err(SplitError::UnterminatedQuote(q));
        }
        words.push(word);
    }
    if words.is_empty() {
        return Err(SplitError::Empty);
    }
    Ok(words)
}

/// The character a backslash escape stands for (the backslash already read).
fn escape(chars: &mut std::iter::Peekable<std::str::Chars>) -> Result<char, SplitError> {
    let c = chars.next().ok_or(SplitError::TrailingBackslash)?;
    let byte = |b: u8| match b {
        1..=0x7f => Ok(char::from(b)),
        _ => Err(SplitError::BadEscape(b)),
    };
    match c {
        'x' if chars.peek().is_some_and(char::is_ascii_hexdigit) => {
            let mut v: u8 = 0;
            while let Some(d) = chars.next_if(char::is_ascii_hexdigit) {
                v = (v << 4) | d.to_digit(16).unwrap_or(0) as u8;
            }
            byte(v)
        }
        'c' if chars.peek().is_some() => {
            let n = chars.next().map_or(0, |n| n as u32);
            byte((n & 0x1f) as u8)
        }
        '0'..='7' => {
            let mut v = c as u8 - b'0';
            for _ in 0..2 {
                match chars.next_if(|d| ('0'..='7').contains(d)) {
                    Some(d) => v = (v << 3).wrapping_add(d as u8 - b'0'),
                    None => break,
                }
            }
            byte(v)
        }
        'a' => Ok('\x07'),
        'b' => Ok('\x08'),
        'E' => Ok('\x1b'),
        'f' => Ok('\x0c'),
        'n' => Ok('\n'),
        'r' => Ok('\r'),
        't' => Ok('\t'),
        'v' => Ok('\x0b'),
        c => Ok(c),
    }
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
        assert_eq!(ok(r#"x "say \"hi\"" 'it\'s'"#), ["x", "say \"hi\"", "it's"]);
        assert_eq!(ok(r"x a\ b \'"), ["x", "a b", "'"]);
        assert_eq!(ok(r#"x "" ''"#), ["x", "", ""]);
        assert_eq!(ok(r#"x "'a b'" '"c"'"#), ["x", "'a b'", "\"c\""]);
    }

    /// keepalived.conf(5)'s escapes, in and out of both quotes (keepalived 2.2.7 ran
    /// `"x.sh s3 'x\\ty' \\x41\\101"` with arguments `x<TAB>y` and `AA`).
    #[test]
    fn keepalived_escapes() {
        assert_eq!(ok(r"x 'x\ty' \x41\101"), ["x", "x\ty", "AA"]);
        assert_eq!(
            ok(r#"x "\a\b\E\f\n\r\t\v""#),
            ["x", "\x07\x08\x1b\x0c\n\r\t\x0b"]
        );
        assert_eq!(ok(r"\cA\x7e\1010 \q\\"), ["\x01~A0", "q\\"]);
        assert_eq!(ok(r"\xg"), ["xg"]);
        assert_eq!(split_command(r"\x00"), Err(SplitError::BadEscape(0)));
        assert_eq!(split_command(r"\xff"), Err(SplitError::BadEscape(0xff)));
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
        assert_eq!(split_command("x \"a\\"), Err(SplitError::TrailingBackslash));
        assert_eq!(split_command("x a\\"), Err(SplitError::TrailingBackslash));
    }
}
