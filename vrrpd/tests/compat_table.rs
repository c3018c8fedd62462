//! The compatibility table (docs/keepalived-compat.md) against the parser.
//!
//! Every row of the table is a keyword of keepalived 2.2.7 (docs/keepalived-2.2.7-keywords.txt,
//! read from keepalived's source by docs/extract-keywords.sh) with a mark and a probe: a few
//! lines using the keyword. Each probe is put in a minimal keepalived.conf, in the section
//! the keyword belongs to, and read as `vrrpd -t` reads it (config::load, then the script
//! checks). What the parser does is compared with the mark:
//! - `implemented`, `implemented differently`: accepted, no warning, no error;
//! - `warned`: accepted with a warning naming one of the probe's lines (or the line of the
//!   block around it, when the whole block is skipped with a warning);
//! - `refused`: an error naming one of the probe's lines.
//!
//! The same configuration without the probe must be accepted (else the row's section
//! template is wrong). A probe ending in `=> VALUE` also checks that `router_id` was read as
//! VALUE (the config-language rows: a `$NAME` left unexpanded would otherwise pass).
//! The test fails with the list of disagreeing rows; `COMPAT_TABLE_DUMP=1` prints what the
//! parser does with every row. Those VALUEs are themselves checked against keepalived 2.2.7:
//! each such probe is run under keepalived (root, in a namespace), whose configuration dump
//! must show that `router_id`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use vrrp_lab::{spawn_in, Netns, Skip, WorkDir};
use vrrpd::config::Loc;

/// What a row's note says when its keyword, accepted, leaves the configuration as it was
/// (it sets what is the default anyway).
const NO_EFFECT: &str = "no effect by itself";

const MARKS: [&str; 4] = [
    "implemented",
    "implemented differently",
    "warned",
    "refused",
];

/// What every template has: a script, a tracked file and a tracked process for the rows
/// that name one, and an instance for the rows that need one.
const BASE: &str = "vrrp_script chk {
    script /bin/true
}
track_file tf {
    file {dir}/tf
}
vrrp_track_process tp {
    process sshd
}
vrrp_instance VI_1 {
    interface lo
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.1/24
    }
}
";

/// The configuration a row of `section` is probed in: `@@` is replaced by the probe. A
/// line `?KEYWORD ...` is one the block needs: it is left out (an empty line) when the row
/// probes KEYWORD itself, so that the probe does not give it twice.
fn template(section: &str) -> Option<String> {
    let instance = |inner: &str| BASE.replacen("    }\n}\n", &format!("    }}\n{inner}\n}}\n"), 1);
    let before = |block: &str| format!("{block}\n{BASE}");
    Some(match section {
        "top-level" | "language" => format!("@@\n{BASE}"),
        "global_defs" => before("global_defs {\n@@\n}"),
        "vrrp_instance" => instance("@@"),
        "vrrp_instance.authentication" => {
            instance("authentication {\n?auth_type PASS\n?auth_pass secret\n@@\n}")
        }
        "vrrp_instance.unicast_peer" => instance("unicast_peer {\n192.0.2.9\n@@\n}"),
        // The same parser as virtual_ipaddress, with no check of the address family.
        "virtual_ipaddress" => instance("virtual_ipaddress_excluded {\n@@\n}"),
        "virtual_routes" | "virtual_routes.nexthop" => instance("virtual_routes {\n@@\n}"),
        "virtual_rules" => instance("virtual_rules {\n@@\n}"),
        "static_ipaddress" | "static_routes" | "static_rules" | "garp_group" => {
            before(&format!("{section} {{\n@@\n}}"))
        }
        "vrrp_sync_group" => before("vrrp_sync_group G1 {\ngroup {\nVI_1\n}\n@@\n}"),
        "vrrp_script" => before("vrrp_script chk0 {\n?script /bin/true\n@@\n}"),
        "vrrp_track_process" => before("vrrp_track_process tp0 {\n?process sshd\n@@\n}"),
        "track_file" | "vrrp_track_file" => {
            before(&format!("{section} tf0 {{\n?file {{dir}}/tf\n@@\n}}"))
        }
        "track_group" => before("track_group tg {\n@@\n}"),
        _ => return None,
    })
}

/// `template` with its `?KEYWORD` lines kept, or left out when they give `keyword`.
fn needed_lines(template: &str, keyword: Option<&str>) -> String {
    template
        .lines()
        .map(|l| match l.strip_prefix('?') {
            Some(rest) if Some(rest.split(' ').next().unwrap_or("")) == keyword => "",
            Some(rest) => rest,
            None => l,
        })
        .fold(String::new(), |text, l| text + l + "\n")
}

/// A row of the table.
#[derive(Debug)]
struct Row {
    section: String,
    keyword: String,
    mark: String,
    probe: String,
    /// What `router_id` must read as (`=> VALUE` at the end of the probe).
    router_id: Option<String>,
    /// The "why / notes" cell.
    note: String,
    /// Line in docs/keepalived-compat.md.
    line: usize,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The table's rows: `## SECTION` headings, then `| \`KEYWORD\` | MARK | \`PROBE\` | why |`.
fn table(text: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut section = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(s) = line.strip_prefix("## ") {
            section = Some(s.trim().to_string());
            continue;
        }
        if !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let [keyword, mark, probe, note @ ..] = cells.as_slice() else {
            return Err(format!("line {}: not a row: {line}", n + 1));
        };
        let unquote = |s: &str| {
            s.strip_prefix('`')
                .and_then(|s| s.strip_suffix('`'))
                .map(str::to_string)
        };
        let (Some(keyword), Some(probe)) = (unquote(keyword), unquote(probe)) else {
            return Err(format!(
                "line {}: keyword and probe must be in backquotes",
                n + 1
            ));
        };
        let Some(section) = section.clone() else {
            return Err(format!("line {}: row before any ## section", n + 1));
        };
        let probe = probe.replace("\\n", "\n");
        let (probe, router_id) = match probe.rsplit_once(" => ") {
            Some((p, id)) => (p.to_string(), Some(id.to_string())),
            None => (probe, None),
        };
        rows.push(Row {
            section,
            keyword,
            mark: mark.to_string(),
            probe,
            router_id,
            note: note.join(" | "),
            line: n + 1,
        });
    }
    Ok(rows)
}

/// keepalived's keywords: (section, keyword).
fn keywords() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join("docs/keepalived-2.2.7-keywords.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut w = l.split(' ');
            (w.next().unwrap().to_string(), w.next().unwrap().to_string())
        })
        .collect()
}

/// What the parser did with a probe.
#[derive(Debug)]
enum Seen {
    /// No warning, no error; `router_id` as read; `changes`: the configuration read differs
    /// from the one without the probe (else the keyword is read and dropped).
    Accepted {
        router_id: Option<String>,
        changes: bool,
    },
    /// Warnings naming the probe's lines (`unknown`: only "unknown keyword" ones).
    Warned {
        unknown: bool,
        messages: Vec<String>,
    },
    /// An error; `at_probe`: it names one of the probe's lines.
    Refused { at_probe: bool, message: String },
    /// The configuration without the probe is not accepted, or the row cannot be probed.
    Broken(String),
}

impl Seen {
    fn agrees(&self, mark: &str) -> bool {
        match self {
            Seen::Accepted { .. } => mark.starts_with("implemented"),
            Seen::Warned { .. } => mark == "warned",
            Seen::Refused { at_probe, .. } => mark == "refused" && *at_probe,
            Seen::Broken(_) => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Seen::Accepted { changes: true, .. } => "accepted without a warning".into(),
            Seen::Accepted { changes: false, .. } => {
                "accepted without a warning, the configuration read unchanged".into()
            }
            Seen::Warned { unknown, messages } => format!(
                "warned{}: {}",
                if *unknown {
                    " (as an unknown keyword)"
                } else {
                    ""
                },
                messages.join(" / ")
            ),
            Seen::Refused {
                at_probe: true,
                message,
            } => format!("refused: {message}"),
            Seen::Refused {
                at_probe: false,
                message,
            } => {
                format!("refused, but the error does not name the keyword's line: {message}")
            }
            Seen::Broken(why) => format!("cannot be probed: {why}"),
        }
    }
}

/// A message and the place it names.
type Message = (Loc, String);

/// What reading a configuration file as `vrrpd -t` does gives.
struct Read {
    warnings: Vec<Message>,
    error: Option<Message>,
    router_id: Option<String>,
    /// The configuration read (Debug), its file name and line numbers left out.
    config: String,
}

fn read(path: &Path) -> Read {
    match vrrpd::config::load(path) {
        Err(e) => Read {
            warnings: Vec::new(),
            error: Some((e.loc.clone(), e.to_string())),
            router_id: None,
            config: String::new(),
        },
        Ok(mut built) => {
            let error = match vrrpd::daemon::check_scripts(&built.config) {
                Ok(w) => {
                    built.warnings.extend(w);
                    None
                }
                Err(e) => Some((e.loc.clone(), e.to_string())),
            };
            let warnings = built
                .warnings
                .iter()
                .map(|w| (w.loc.clone(), w.message.clone()))
                .collect();
            let config = format!("{:?}", built.config).replace(&path.display().to_string(), "");
            Read {
                warnings,
                error,
                router_id: built.config.global.router_id.clone(),
                config: without_line_numbers(&config),
            }
        }
    }
}

/// `text` with the digits after each `line: ` left out.
fn without_line_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("line: ") {
        let (head, tail) = rest.split_at(at + "line: ".len());
        out.push_str(head);
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// Lines (1-based) of `text` before the `@@` line that open a block still open there.
fn openers(text: &str) -> Vec<usize> {
    let mut open = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim() == "@@" {
            break;
        }
        for c in line.chars() {
            match c {
                '{' => open.push(n + 1),
                '}' => {
                    open.pop();
                }
                _ => {}
            }
        }
    }
    open
}

fn probe(dir: &Path, n: usize, row: &Row) -> Seen {
    let Some(template) = template(&row.section) else {
        return Seen::Broken(format!("no template for section {}", row.section));
    };
    let template = template.replace("{dir}", &dir.display().to_string());
    let probe = row.probe.replace("{dir}", &dir.display().to_string());
    let at = template.lines().position(|l| l.trim() == "@@").unwrap() + 1;
    let lines = at..at + probe.lines().count().max(1);
    let openers = openers(&template);
    let base_path = dir.join(format!("base-{n}.conf"));
    std::fs::write(&base_path, needed_lines(&template, None).replace("@@", "")).unwrap();
    let base = read(&base_path);
    if let Some((_, e)) = base.error {
        return Seen::Broken(format!("the template alone is refused: {e}"));
    }
    let path = dir.join(format!("row-{n}.conf"));
    let text = needed_lines(&template, Some(&row.keyword)).replace("@@", &probe);
    std::fs::write(&path, text).unwrap();
    let Read {
        warnings,
        error,
        router_id,
        config,
    } = read(&path);
    let here = |loc: &Loc| loc.file.as_path() == path && lines.contains(&loc.line);
    if let Some((loc, message)) = error {
        return Seen::Refused {
            at_probe: here(&loc),
            message,
        };
    }
    let base_config = base.config;
    let base: BTreeSet<(usize, String)> = base
        .warnings
        .into_iter()
        .map(|(l, m)| (l.line, m))
        .collect();
    // A new warning on a line of the probe, or, on the line of a block around it, one that
    // says the whole block is skipped.
    let messages: Vec<String> = warnings
        .into_iter()
        .filter(|(loc, m)| {
            (here(loc) && !base.contains(&(loc.line, m.clone())))
                || (loc.file.as_path() == path
                    && openers.contains(&loc.line)
                    && (m.contains("skipped") || m.contains("unknown block")))
        })
        .map(|(loc, m)| format!("line {}: {m}", loc.line))
        .collect();
    if messages.is_empty() {
        // A keyword the block needs (`?KEYWORD` in the template) is in the configuration
        // compared with too: there, the probe may well give the same value.
        let needed = template.lines().any(|l| {
            l.strip_prefix('?')
                .is_some_and(|l| l.split(' ').next() == Some(&row.keyword))
        });
        return Seen::Accepted {
            router_id,
            changes: needed || config != base_config,
        };
    }
    let unknown = messages.iter().all(|m| m.contains("unknown"));
    Seen::Warned { unknown, messages }
}

fn doc() -> PathBuf {
    repo().join("docs/keepalived-compat.md")
}

fn rows() -> Vec<Row> {
    table(&std::fs::read_to_string(doc()).unwrap()).unwrap()
}

fn fail_with(problems: &[String], what: &str) {
    assert!(
        problems.is_empty(),
        "{} row(s) of docs/keepalived-compat.md {what}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// docs/keepalived-2.2.7-keywords.txt is what docs/extract-keywords.sh reads from
/// keepalived's source now (a git mirror: `KEEPALIVED_GIT`, by default the project's).
/// Ignored by default: CI has no copy of keepalived's source (it cannot reach GitHub);
/// `the_keyword_list_is_in_the_keepalived_binary` checks the list there instead. Run it
/// with `cargo test -p vrrpd --test compat_table -- --ignored`.
#[test]
#[ignore = "needs a git mirror of keepalived's source (KEEPALIVED_GIT)"]
fn the_keyword_list_is_what_keepalived_source_says() {
    let git = std::env::var("KEEPALIVED_GIT")
        .unwrap_or_else(|_| "/work/.mirror/acassen+keepalived/repo".into());
    if !Skip::check("the_keyword_list_is_what_keepalived_source_says")
        .program("git")
        .require(
            Path::new(&git).is_dir(),
            &format!("no keepalived git mirror at {git} (set KEEPALIVED_GIT)"),
        )
        .ok()
    {
        return;
    }
    let out = std::process::Command::new(repo().join("docs/extract-keywords.sh"))
        .env("KEEPALIVED_GIT", &git)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "extract-keywords.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let now = String::from_utf8(out.stdout).unwrap();
    let checked_in =
        std::fs::read_to_string(repo().join("docs/keepalived-2.2.7-keywords.txt")).unwrap();
    assert!(
        now.lines().count() > 400,
        "too few keywords extracted:\n{now}"
    );
    assert_eq!(
        now, checked_in,
        "regenerate: docs/extract-keywords.sh > docs/keepalived-2.2.7-keywords.txt"
    );
}

/// Keywords of the list that keepalived 2.2.7 as Debian builds it does not hold as
/// strings, and why.
const NOT_IN_BINARY: &[(&str, &str)] = &[
    (
        "vrrp_ipsets",
        "built only with libipset (_HAVE_LIBIPSET_), which Debian's build lacks",
    ),
    (
        "gw",
        "a two-letter word the compiler compares without a string",
    ),
];

/// Every keyword of docs/keepalived-2.2.7-keywords.txt (but the configuration language's
/// forms, which are syntax, not words) is a string of the installed keepalived 2.2.7
/// (`/usr/sbin/keepalived`: its NUL-terminated `KEYWORD`, possibly the tail of a longer
/// string, as the linker merges them), but the few [`NOT_IN_BINARY`] says. Catches a
/// misspelled or invented keyword without keepalived's source.
#[test]
fn the_keyword_list_is_in_the_keepalived_binary() {
    let bin = Path::new("/usr/sbin/keepalived");
    if !Skip::check("the_keyword_list_is_in_the_keepalived_binary")
        .require(bin.is_file(), "no /usr/sbin/keepalived")
        .ok()
    {
        return;
    }
    let image = std::fs::read(bin).unwrap();
    let version = std::process::Command::new(bin).arg("-v").output().unwrap();
    let said = String::from_utf8_lossy(&version.stderr).to_string()
        + &String::from_utf8_lossy(&version.stdout);
    assert!(said.contains("v2.2.7"), "not keepalived 2.2.7: {said}");
    let list = std::fs::read_to_string(repo().join("docs/keepalived-2.2.7-keywords.txt")).unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    for line in list.lines() {
        let mut w = line.split_whitespace();
        let (Some(section), Some(keyword)) = (w.next(), w.next()) else {
            continue;
        };
        if section == "language" || NOT_IN_BINARY.iter().any(|(k, _)| *k == keyword) {
            continue;
        }
        checked += 1;
        let mut needle = keyword.as_bytes().to_vec();
        needle.push(0);
        if !image.windows(needle.len()).any(|win| win == needle) {
            missing.push(format!("{section} {keyword}"));
        }
    }
    assert!(checked > 400, "only {checked} keywords checked");
    assert!(
        missing.is_empty(),
        "{} keyword(s) of the list are not in keepalived 2.2.7's binary:\n{}",
        missing.len(),
        missing.join("\n")
    );
    for (k, _) in NOT_IN_BINARY {
        assert!(
            list.lines().any(|l| l.split_whitespace().nth(1) == Some(k)),
            "{k} is not in the list any more: drop it from NOT_IN_BINARY"
        );
    }
}

/// Every keyword of keepalived's list has exactly one row with a known mark and a probe
/// using it, and every row is one of them; the counts in the table and in README.md are
/// the table's.
#[test]
fn every_keepalived_keyword_has_one_row_and_the_counts_are_current() {
    let rows = rows();
    let mut problems = Vec::new();
    let listed: Vec<(String, String)> = keywords();
    let listed_set: BTreeSet<&(String, String)> = listed.iter().collect();
    let mut seen_rows = BTreeSet::new();
    for r in &rows {
        let key = (r.section.clone(), r.keyword.clone());
        if !seen_rows.insert(key.clone()) {
            problems.push(format!(
                "line {}: {} {}: row given twice",
                r.line, r.section, r.keyword
            ));
        }
        if !listed_set.contains(&key) {
            problems.push(format!(
                "line {}: {} {}: not a keyword of keepalived 2.2.7 (docs/keepalived-2.2.7-keywords.txt)",
                r.line, r.section, r.keyword
            ));
        }
        if !MARKS.contains(&r.mark.as_str()) {
            problems.push(format!(
                "line {}: {} {}: mark '{}' is none of {MARKS:?}",
                r.line, r.section, r.keyword, r.mark
            ));
        }
        let mut words = r
            .probe
            .split(|c: char| c.is_whitespace() || c == '{' || c == '}');
        if r.section != "language" && !words.any(|w| w == r.keyword) {
            problems.push(format!(
                "line {}: {} {}: the probe does not use the keyword",
                r.line, r.section, r.keyword
            ));
        }
    }
    for (section, keyword) in &listed {
        if !seen_rows.contains(&(section.clone(), keyword.clone())) {
            problems.push(format!(
                "{section} {keyword}: keepalived keyword missing from the table"
            ));
        }
    }
    let count = |m: &str| rows.iter().filter(|r| r.mark == m).count();
    let counts = format!(
        "Counts: {} implemented, {} implemented differently, {} warned, {} refused ({} keywords).",
        count(MARKS[0]),
        count(MARKS[1]),
        count(MARKS[2]),
        count(MARKS[3]),
        rows.len()
    );
    println!("{counts}");
    for file in [doc(), repo().join("README.md")] {
        if !std::fs::read_to_string(&file).unwrap().contains(&counts) {
            problems.push(format!("{}: does not say \"{counts}\"", file.display()));
        }
    }
    fail_with(&problems, "do not match keepalived's keyword list");
}

/// What the parser does with each row's probe is what the row's mark says.
#[test]
fn every_row_agrees_with_the_parser() {
    let rows = rows();
    let mut problems = Vec::new();
    let dir = WorkDir::create(&format!("compat-table-{}", std::process::id())).unwrap();
    for file in ["tf", "tf2"] {
        std::fs::write(dir.path().join(file), "0\n").unwrap();
    }
    std::fs::write(
        dir.path().join("inc.conf"),
        "global_defs {\n    router_id from_include\n}\n",
    )
    .unwrap();
    let dir_text = dir.path().display().to_string();
    let dump = std::env::var_os("COMPAT_TABLE_DUMP").is_some();
    let mut unknown = Vec::new();
    for (n, r) in rows.iter().enumerate() {
        let seen = probe(dir.path(), n, r);
        if dump {
            println!(
                "{}\t{}\t{}\t{}",
                r.section,
                r.keyword,
                r.mark,
                seen.describe()
            );
        }
        let row = format!("line {}: {} {}", r.line, r.section, r.keyword);
        let want = r.router_id.as_ref().map(|w| w.replace("{dir}", &dir_text));
        let misread = match (&seen, &want) {
            (Seen::Accepted { router_id: got, .. }, Some(want)) if got.as_ref() != Some(want) => {
                Some(format!(
                "{row}: accepted but read differently: router_id {got:?}, keepalived reads {want:?}"
            ))
            }
            (
                Seen::Accepted {
                    router_id: Some(got),
                    ..
                },
                None,
            ) if r.section == "language" && got.contains(['$', '~', '@']) => Some(format!(
                "{row}: accepted but not expanded: router_id {got:?}"
            )),
            _ => None,
        };
        if !seen.agrees(&r.mark) {
            let note = match (&seen, r.mark.as_str()) {
                (Seen::Accepted { .. }, "refused") => " (SILENTLY ACCEPTED)",
                (Seen::Accepted { .. }, _) if misread.is_none() => {
                    " (implemented, if vrrpd applies it)"
                }
                _ => "",
            };
            problems.push(format!(
                "{row}: table says {}, parser: {}{note}",
                r.mark,
                seen.describe()
            ));
        }
        problems.extend(misread);
        // Accepted, applied: then the configuration read is not the same without it
        // (unless the row says the keyword has no effect by itself, as `preempt`).
        if let Seen::Accepted { changes: false, .. } = seen {
            if r.mark.starts_with("implemented") && !r.note.to_lowercase().contains(NO_EFFECT) {
                problems.push(format!(
                    "{row}: table says {}, but the configuration read is the same without it: read and dropped (silently ignored), or the probe gives the default (then say \"{NO_EFFECT}\" in the row)",
                    r.mark
                ));
            }
        }
        if let Seen::Warned { unknown: true, .. } = seen {
            unknown.push(format!("{} {}", r.section, r.keyword));
        }
    }
    println!(
        "{} keywords keepalived knows are warned about as unknown: {}",
        unknown.len(),
        unknown.join(", ")
    );
    fail_with(&problems, "disagree with the parser");
}

/// keepalived 2.2.7's `Router ID = ...` for configuration file `conf` (its configuration
/// dump, `-d`), run in `ns` until the dump is out; its log goes to `log`.
fn keepalived_router_id(ns: &Netns, dir: &Path, conf: &Path, log: &Path) -> Option<String> {
    let pid = |name: &str| dir.join(name).display().to_string();
    let args: Vec<String> = ["-n", "-l", "-D", "-d", "-f"]
        .iter()
        .map(|a| a.to_string())
        .chain([conf.display().to_string()])
        .chain(["-p".into(), pid("ka.pid"), "-r".into(), pid("ka-vrrp.pid")])
        .chain(["-c".into(), pid("ka-check.pid")])
        .collect();
    let file = std::fs::File::create(log).unwrap();
    let mut child = spawn_in(ns.name(), Path::new("keepalived"), &args, file).unwrap();
    let found = |text: &str| {
        text.lines()
            .find_map(|l| l.split_once(" Router ID = ").map(|(_, id)| id.to_string()))
    };
    let start = Instant::now();
    let mut id = None;
    while start.elapsed() < Duration::from_secs(10) {
        id = found(&std::fs::read_to_string(log).unwrap_or_default());
        if id.is_some() || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // keepalived (-n: this very process) stops its children on SIGTERM.
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let stop = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if stop.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    id.or_else(|| found(&std::fs::read_to_string(log).unwrap_or_default()))
}

/// The `=> VALUE` of each row is what keepalived 2.2.7 reads: the same probe, in the same
/// template, run under keepalived.
#[test]
fn the_expected_values_are_what_keepalived_reads() {
    let test = "the_expected_values_are_what_keepalived_reads";
    if !Skip::check(test)
        .root("network namespaces")
        .program("keepalived")
        .ok()
    {
        return;
    }
    let ns = Netns::unique("compat").unwrap();
    ns.veth_local("d0", "d1").unwrap();
    for dev in ["lo", "d0", "d1"] {
        ns.set_link(dev, true).unwrap();
    }
    let dir = WorkDir::create(&format!("compat-ka-{}", std::process::id())).unwrap();
    for file in ["tf", "tf2"] {
        std::fs::write(dir.path().join(file), "0\n").unwrap();
    }
    std::fs::write(
        dir.path().join("inc.conf"),
        "global_defs {\n    router_id from_include\n}\n",
    )
    .unwrap();
    let dir_text = dir.path().display().to_string();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (n, r) in rows().iter().enumerate() {
        let Some(want) = &r.router_id else { continue };
        let want = want.replace("{dir}", &dir_text);
        // keepalived refuses a loopback interface for VRRP.
        let text = template(&r.section)
            .unwrap()
            .replace("interface lo", "interface d0");
        let text = needed_lines(&text, Some(&r.keyword))
            .replace("@@", &r.probe)
            .replace("{dir}", &dir_text);
        let conf = dir.path().join(format!("ka-{n}.conf"));
        std::fs::write(&conf, text).unwrap();
        let log = dir.path().join(format!("ka-{n}.log"));
        let got = keepalived_router_id(&ns, dir.path(), &conf, &log);
        checked += 1;
        if got.as_deref() != Some(want.as_str()) {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            let said: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("Line ") || l.contains("rror"))
                .take(3)
                .collect();
            problems.push(format!(
                "line {}: {} {}: the table expects router_id {want:?}, keepalived 2.2.7 reads {got:?} {said:?}",
                r.line, r.section, r.keyword
            ));
        }
    }
    println!("{checked} expected values checked against keepalived 2.2.7");
    assert!(checked > 0, "no row of the table has an expected value");
    fail_with(&problems, "expect what keepalived does not read");
}
