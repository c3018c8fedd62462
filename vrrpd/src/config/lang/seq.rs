//! `~SEQ(var, start, step, end)`, `~SEQx(...)` and `~LST(var, v1, v2, ...)` /
//! `~LST({a, b}, {1, 2}, ...)` lines (keepalived's `add_seq()` / `add_lst()`, documented in
//! keepalived.conf(5) "Sequence blocks" and "List blocks"): the rest of the line is read once
//! per value, with the variable(s) defined to it.

use super::defs::{Defs, Here};

/// A line being repeated.
#[derive(Debug)]
pub enum Repeat {
    /// `~SEQ` / `~SEQx`.
    Seq {
        var: String,
        next: i64,
        step: i64,
        last: i64,
        hex: bool,
        done: bool,
        text: String,
    },
    /// `~LST`.
    Lst {
        names: Vec<String>,
        sets: Vec<Vec<String>>,
        index: usize,
        text: String,
    },
}

impl Repeat {
    /// The next copy of the line, with its variables defined; None when done.
    pub fn next(&mut self, defs: &mut Defs) -> Result<Option<String>, String> {
        match self {
            Repeat::Seq {
                var,
                next,
                step,
                last,
                hex,
                done,
                text,
            } => {
                if *done {
                    return Ok(None);
                }
                let value = if *hex {
                    format!("{:x}", *next)
                } else {
                    next.to_string()
                };
                defs.set(var, &value)?;
                match next.checked_add(*step) {
                    Some(n) if (*step > 0 && n <= *last) || (*step < 0 && n >= *last) => *next = n,
                    _ => *done = true,
                }
                Ok(Some(text.clone()))
            }
            Repeat::Lst {
                names,
                sets,
                index,
                text,
            } => {
                let Some(set) = sets.get(*index) else {
                    return Ok(None);
                };
                for (name, value) in names.iter().zip(set) {
                    defs.set(name, value)?;
                }
                *index += 1;
                Ok(Some(text.clone()))
            }
        }
    }
}

const BLANK: &[char] = &[' ', '\t'];

/// A `~SEQ...` line. Its numbers may be definitions (substituted first) and are read as C's
/// `strtol(.., 0)` reads them (`0x` hexadecimal, leading `0` octal).
pub fn seq(line: &str, defs: &mut Defs, here: &Here) -> Result<Repeat, String> {
    let bad = || format!("invalid ~SEQ specification '{line}'");
    let mut p = &line[4..];
    let hex = p.starts_with('x');
    if hex {
        p = &p[1..];
    }
    let p = p.trim_start_matches(BLANK);
    let p = p
        .strip_prefix('(')
        .ok_or_else(bad)?
        .trim_start_matches(BLANK);
    let var_len = p.find([' ', '\t', ',', ')']).unwrap_or(p.len());
    let var = &p[..var_len];
    let p = p[var_len..].trim_start_matches(BLANK);
    if var.is_empty() || !p.starts_with(',') {
        return Err(bad());
    }
    let p = p[1..].trim_start_matches(BLANK);
    let close = p.find(')').ok_or_else(bad)?;
    let mut numbers = p[..=close].to_string();
    let text = p[close + 1..].trim_start_matches(BLANK).to_string();
    let mut budget = super::defs::MAX_SUBSTITUTIONS;
    if !defs
        .substitute(&mut numbers, here, &mut budget)?
        .pending
        .is_empty()
    {
        return Err(format!(
            "~SEQ parameter is a multi-line definition '{line}'"
        ));
    }
    let mut nums = Vec::new();
    let mut rest = numbers.as_str();
    loop {
        let (n, r) = strtol(rest);
        nums.push(n);
        let r = r.trim_start_matches(BLANK);
        if r.starts_with(')') {
            break;
        }
        if nums.len() == 3 || !r.starts_with(',') {
            return Err(bad());
        }
        rest = &r[1..];
    }
    let (start, step, last) = match nums[..] {
        [end] => (
            if end < 0 { -1 } else { 1 },
            if end < 1 { -1 } else { 1 },
            end,
        ),
        [start, end] => (start, if start <= end { 1 } else { -1 }, end),
        [start, step, end] => {
            if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
                return Err(format!("invalid ~SEQ values '{line}'"));
            }
            (start, step, end)
        }
        _ => return Err(bad()),
    };
    if hex && (start < 0 || last < 0) {
        return Err(format!("~SEQx is only valid for positive numbers '{line}'"));
    }
    Ok(Repeat::Seq {
        var: var.to_string(),
        next: start,
        step,
        last,
        hex,
        done: false,
        text,
    })
}

/// C's `strtol(s, &end, 0)`: the number at the start of `s` (after blanks) and the rest;
/// 0 and `s` itself when there is none; saturating.
fn strtol(s: &str) -> (i64, &str) {
    let t = s.trim_start_matches([' ', '\t', '\n']);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if (body.starts_with("0x") || body.starts_with("0X"))
        && body[2..].starts_with(|c: char| c.is_ascii_hexdigit())
    {
        (16, &body[2..])
    } else if body.starts_with('0') {
        (8, body)
    } else {
        (10, body)
    };
    let len = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if len == 0 {
        return (0, s);
    }
    let mut v: i64 = 0;
    for c in digits[..len].chars() {
        let d = i64::from(c.to_digit(radix).unwrap_or(0));
        v = v.saturating_mul(i64::from(radix)).saturating_add(d);
    }
    (if neg { -v } else { v }, &digits[len..])
}

/// A `~LST...` line.
pub fn lst(line: &str) -> Result<Repeat, String> {
    let bad = || format!("invalid ~LST specification '{line}'");
    let b = line.as_bytes();
    let at = |p: usize| b.get(p).copied().unwrap_or(0);
    let skip = |mut p: usize| {
        while matches!(at(p), b' ' | b'\t') {
            p += 1;
        }
        p
    };
    let word_end = |mut p: usize, stops: &[u8]| {
        while p < b.len() && !stops.contains(&b[p]) {
            p += 1;
        }
        p
    };
    let mut p = skip(4);
    if at(p) != b'(' {
        return Err(bad());
    }
    p = skip(p + 1);
    let mut end_char = b',';
    if at(p) == b'{' {
        end_char = b'}';
        p = skip(p + 1);
    }
    let mut names = Vec::new();
    loop {
        let e = word_end(p, b" \t,}");
        names.push(line[p..e].to_string());
        p = skip(e);
        if at(p) == end_char {
            break;
        }
        if at(p) != b',' {
            return Err(bad());
        }
        p = skip(p + 1);
    }
    if at(p) == b'}' {
        p = skip(p + 1);
    }
    if at(p) != b',' {
        return Err(bad());
    }
    p = skip(p + 1);
    let mut sets = Vec::new();
    loop {
        let mut end_char = b',';
        if at(p) == b'{' {
            end_char = b'}';
            p = skip(p + 1);
        }
        let mut set = Vec::new();
        loop {
            let e = word_end(p, b" \t,})");
            set.push(line[p..e].to_string());
            p = skip(e);
            if at(p) == end_char || (at(p) == b')' && end_char == b',') {
                break;
            }
            if at(p) != b',' {
                return Err(bad());
            }
            p = skip(p + 1);
            if set.len() >= names.len() {
                return Err(format!("~LST specification has too many values '{line}'"));
            }
        }
        set.resize(names.len(), String::new());
        sets.push(set);
        if at(p) == b'}' && end_char == b'}' {
            p = skip(p + 1);
        }
        if at(p) == b')' {
            break;
        }
        if at(p) != b',' {
            return Err(bad());
        }
        p = skip(p + 1);
    }
    let text = line[p + 1..].trim_start_matches(BLANK).to_string();
    Ok(Repeat::Lst {
        names,
        sets,
        index: 0,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mut r: Repeat, var: &str) -> Vec<String> {
        let mut d = Defs::new("x", 1);
        let mut out = Vec::new();
        while let Some(t) = r.next(&mut d).unwrap() {
            let mut line = format!("{t} ${{{var}}}");
            let mut b = 100;
            d.substitute(&mut line, &Here { dir: "" }, &mut b).unwrap();
            out.push(line);
        }
        out
    }

    fn seq_of(line: &str) -> Result<Repeat, String> {
        seq(line, &mut Defs::new("x", 1), &Here { dir: "" })
    }

    /// The examples of keepalived.conf(5).
    #[test]
    fn sequences() {
        let v = run(seq_of("~SEQ(SUBNET, 0, 3) ip").unwrap(), "SUBNET");
        assert_eq!(v, ["ip 0", "ip 1", "ip 2", "ip 3"]);
        let v = run(seq_of("~SEQx(S, 0x90, 0x10, 0xc0) a").unwrap(), "S");
        assert_eq!(v, ["a 90", "a a0", "a b0", "a c0"]);
        let v = run(seq_of("~SEQx(S, 144, 16, 192) a").unwrap(), "S");
        assert_eq!(v, ["a 90", "a a0", "a b0", "a c0"]);
        assert_eq!(
            run(seq_of("~SEQ(N, 3) a").unwrap(), "N"),
            ["a 1", "a 2", "a 3"]
        );
        assert_eq!(run(seq_of("~SEQ(N, -2) a").unwrap(), "N"), ["a -1", "a -2"]);
        assert_eq!(run(seq_of("~SEQ(N, 0) a").unwrap(), "N"), ["a 1", "a 0"]);
        assert_eq!(
            run(seq_of("~SEQ(N, 3, 1) a").unwrap(), "N"),
            ["a 3", "a 2", "a 1"]
        );
        assert_eq!(
            run(seq_of("~SEQ(N, 010, 011) a").unwrap(), "N"),
            ["a 8", "a 9"]
        );
        for bad in [
            "~SEQ N, 1, 2) a",
            "~SEQ(N) a",
            "~SEQ(N, 1, 0, 3) a",
            "~SEQ(N, 1, -1, 3) a",
            "~SEQ(N, 1, 2, 3, 4) a",
            "~SEQ(N, 1 a",
            "~SEQx(N, -1, 3) a",
        ] {
            assert!(seq_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sequence_parameters_may_be_definitions() {
        let mut d = Defs::new("x", 1);
        d.definition("$MAX=2").unwrap();
        let r = seq("~SEQ(N, 1, $MAX) a", &mut d, &Here { dir: "" }).unwrap();
        assert_eq!(run(r, "N"), ["a 1", "a 2"]);
    }

    #[test]
    fn lists() {
        let r = lst("~LST(IP, 1, 2, 3) a").unwrap();
        assert_eq!(run(r, "IP"), ["a 1", "a 2", "a 3"]);
        let mut r = lst("~LST({IP, IP1}, {10,1},{20,4}, {5}) 192.168.${IP}.${IP1}").unwrap();
        let mut d = Defs::new("x", 1);
        let mut out = Vec::new();
        while let Some(mut t) = r.next(&mut d).unwrap() {
            let mut b = 100;
            d.substitute(&mut t, &Here { dir: "" }, &mut b).unwrap();
            out.push(t);
        }
        assert_eq!(out, ["192.168.10.1", "192.168.20.4", "192.168.5."]);
        assert!(lst("~LST({A}, {1, 2}) a").is_err());
        assert!(lst("~LST(A) a").is_err());
        assert!(lst("~LST A, 1) a").is_err());
    }
}
