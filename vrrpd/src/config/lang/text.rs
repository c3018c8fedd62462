//! Line-level text rules of keepalived's reader (lib/parser.c): comments, the split of a
//! line at its first brace, and the `include` line forms.

/// What [`decomment`] found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unterminated;

/// keepalived's `decomment()`: drop leading and trailing blanks and the comment (`#` or `!`
/// outside double quotes, to the end of the line); `\#` and `\!` outside quotes lose their
/// backslash (an escaped comment character); a backslash ending the line is kept, with the
/// blanks before it removed (a continued definition). Single quotes do not protect a comment
/// character (keepalived does not look at them here).
pub fn decomment(line: &str) -> Result<String, Unterminated> {
    let line = line.trim_start_matches([' ', '\t']);
    let mut out = String::with_capacity(line.len());
    let mut quote = false;
    let mut cont = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quote = !quote;
                out.push(c);
            }
            '\\' => match chars.next() {
                None => {
                    cont = true;
                    break;
                }
                Some(n @ ('#' | '!')) if !quote => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
            },
            '#' | '!' if !quote => break,
            c => out.push(c),
        }
    }
    if quote {
        return Err(Unterminated);
    }
    let keep = out.trim_end_matches([' ', '\t']).len();
    out.truncate(keep);
    if cont {
        out.push('\\');
    }
    Ok(out)
}

/// keepalived splits a line at its first `{` or `}` outside double quotes: a line starting
/// with a brace gives the brace alone, any other gives the text before the brace; the rest
/// (trailing blanks removed) is read next as a line of its own, through every rule again
/// (so `} @high priority 1` is conditional). Returns the line and the rest, if any.
pub fn split_at_brace(line: &str) -> (String, Option<String>) {
    let bytes = line.as_bytes();
    let at = if matches!(bytes.first(), Some(b'{' | b'}')) {
        Some(0)
    } else {
        let mut quote = false;
        bytes.iter().position(|&b| {
            if b == b'"' {
                quote = !quote;
            }
            !quote && (b == b'{' || b == b'}')
        })
    };
    let trim = |s: &str| s.trim_end_matches([' ', '\t']).to_string();
    let Some(at) = at else {
        return (trim(line), None);
    };
    let cut = if at == 0 {
        1 + line[1..].len() - line[1..].trim_start_matches([' ', '\t']).len()
    } else {
        at
    };
    let rest = trim(&line[cut..]);
    let head = trim(&line[..cut]);
    (head, (!rest.is_empty()).then_some(rest))
}

/// The include variants: `include` (problems are reported and skipped), `includer`
/// (unreadable files are errors), `includem` (missing files too), `includew` (wildcards
/// matching nothing too), `includeb` (missing brace alternatives too), `includea` (all).
pub const INCLUDE_R: u8 = 1;
/// See [`INCLUDE_R`].
pub const INCLUDE_M: u8 = 2;
/// See [`INCLUDE_R`].
pub const INCLUDE_W: u8 = 4;
/// See [`INCLUDE_R`].
pub const INCLUDE_B: u8 = 8;
/// All checks.
pub const INCLUDE_ALL: u8 = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;

/// keepalived's `is_include()` / `check_include()`: an include line's checks and its
/// pattern (the whole rest of the line, quotes and all, as keepalived takes it).
pub fn include_line(line: &str) -> Option<(u8, &str)> {
    let rest = line.strip_prefix("include")?;
    let blank = |c: Option<char>| matches!(c, Some(' ' | '\t'));
    let mut chars = rest.chars();
    let first = chars.next();
    let (checks, pattern) = if blank(first) {
        (0, &rest[1..])
    } else {
        let checks = match first? {
            'r' => INCLUDE_R,
            'm' => INCLUDE_R | INCLUDE_M,
            'w' => INCLUDE_R | INCLUDE_M | INCLUDE_W,
            'b' => INCLUDE_R | INCLUDE_B,
            'a' => INCLUDE_ALL,
            _ => return None,
        };
        if !blank(chars.next()) {
            return None;
        }
        (checks, &rest[2..])
    };
    Some((checks, pattern.trim_start_matches([' ', '\t'])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_escapes_and_continuations() {
        assert_eq!(decomment("  a b # c").unwrap(), "a b");
        assert_eq!(decomment("a \"x # y\" ! z").unwrap(), "a \"x # y\"");
        assert_eq!(decomment("a 'x # y'").unwrap(), "a 'x");
        assert_eq!(decomment(r"a \# b \! c").unwrap(), "a # b ! c");
        assert_eq!(decomment(r#"a "\# b""#).unwrap(), r#"a "\# b""#);
        assert_eq!(decomment("$X=a b   \\").unwrap(), "$X=a b\\");
        assert_eq!(decomment("#only").unwrap(), "");
        assert_eq!(decomment("a \"b"), Err(Unterminated));
    }

    #[test]
    fn lines_split_at_the_first_brace() {
        let s = |l: &str| split_at_brace(l);
        assert_eq!(
            s("vrrp_instance X {"),
            ("vrrp_instance X".into(), Some("{".into()))
        );
        assert_eq!(s("{ a b }"), ("{".into(), Some("a b }".into())));
        assert_eq!(s("a b }"), ("a b".into(), Some("}".into())));
        assert_eq!(s("}"), ("}".into(), None));
        assert_eq!(s("x \"{a}\" y"), ("x \"{a}\" y".into(), None));
    }

    #[test]
    fn include_forms() {
        assert_eq!(include_line("include  a/*.conf"), Some((0, "a/*.conf")));
        assert_eq!(include_line("includer x"), Some((INCLUDE_R, "x")));
        assert_eq!(include_line("includea x y"), Some((INCLUDE_ALL, "x y")));
        assert_eq!(
            include_line("includeb\tx"),
            Some((INCLUDE_R | INCLUDE_B, "x"))
        );
        assert_eq!(include_line("include"), None);
        assert_eq!(include_line("includex y"), None);
        assert_eq!(include_line("include_check"), None);
    }
}
