//! The language end to end: lines in, lines out, against keepalived.conf(5)'s examples.

use super::*;

fn lines_with(id: &str, text: &str) -> Result<Vec<(String, usize)>, ConfigError> {
    let opts = LangOptions {
        config_id: id.into(),
        max_made_lines: 10_000,
        ..LangOptions::default()
    };
    let mut p = Preproc::from_text(Path::new("t.conf"), text, &opts);
    let mut out = Vec::new();
    while let Some(l) = p.next_line()? {
        out.push((l.text, l.loc.line));
    }
    Ok(out)
}

fn texts(id: &str, text: &str) -> Vec<String> {
    lines_with(id, text)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|(t, _)| t)
        .collect()
}

/// keepalived.conf(5) "Conditional configuration and configuration id".
#[test]
fn conditional_lines() {
    let conf = "global_defs {\n  @main router_id main_router\n  @backup router_id backup_router\n}\nunicast_peer {\n  @^main 1.2.3.4\n  @^backup 1.2.3.5\n  @^backup2 1.2.3.6\n}\n";
    assert_eq!(
        texts("main", conf),
        [
            "global_defs",
            "{",
            "router_id main_router",
            "}",
            "unicast_peer",
            "{",
            "1.2.3.5",
            "1.2.3.6",
            "}"
        ]
    );
    assert_eq!(
        texts("other", conf),
        [
            "global_defs",
            "{",
            "}",
            "unicast_peer",
            "{",
            "1.2.3.4",
            "1.2.3.5",
            "1.2.3.6",
            "}"
        ]
    );
    // After a brace, the rest of the line is read as a line: its `@` counts.
    assert_eq!(texts("a", "x { @a y\n} @b z\n"), ["x", "{", "y", "}"]);
}

#[test]
fn a_conditional_with_nothing_after_it_is_dropped_with_a_warning() {
    let opts = LangOptions::with_config_id(Some("a"));
    let mut p = Preproc::from_text(Path::new("t.conf"), "@a\nx\n", &opts);
    assert_eq!(p.next_line().unwrap().unwrap().text, "x");
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0]
        .to_string()
        .starts_with("t.conf:1: warning: conditional line '@a'"));
}

/// keepalived.conf(5): "@main $PRIORITY=240" and "$IF_MAIN=@main".
#[test]
fn definitions_with_conditions() {
    let conf = "@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n$IF_MAIN=@main\n$IF_MAIN priority 241\n";
    assert_eq!(texts("main", conf), ["priority 240", "priority 241"]);
    assert_eq!(texts("backup", conf), ["priority 200"]);
    // Undefined: left as it is. Defined later: replaced from there on.
    // (keepalived then cuts the line at the brace of an undefined `${U}`, as any brace.)
    assert_eq!(texts("x", "a $U\n$U=1\na $U ${U}\n"), ["a $U", "a 1 1"]);
    assert_eq!(texts("x", "a ${U}\n"), ["a $", "{", "U", "}"]);
}

/// keepalived.conf(5)'s multi-line example, two instances from one definition.
#[test]
fn multiline_definitions() {
    let conf = "$INSTANCE= \\\nvrrp_instance VI_${NUM} { \\\n    interface eth0.${NUM} \\\n    @high priority 130 \\\n    @low priority 120 \\\n    virtual_ipaddress { \\\n        10.0.${NUM}.254/24 \\\n    } \\\n}\n\n$NUM=0\n$INSTANCE\n$NUM=1\n$INSTANCE\n";
    let got = lines_with("high", conf).unwrap();
    let want = [
        "vrrp_instance VI_0",
        "{",
        "interface eth0.0",
        "priority 130",
        "virtual_ipaddress",
        "{",
        "10.0.0.254/24",
        "}",
        "}",
        "vrrp_instance VI_1",
        "{",
        "interface eth0.1",
        "priority 130",
        "virtual_ipaddress",
        "{",
        "10.0.1.254/24",
        "}",
        "}",
    ];
    assert_eq!(
        got.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        want
    );
    // Each line is placed where the definition was used.
    assert!(got[..9].iter().all(|(_, l)| *l == 12), "{got:?}");
    assert!(got[9..].iter().all(|(_, l)| *l == 14), "{got:?}");
}

/// Nested multi-line definitions, defining inside a definition (keepalived.conf(5)'s $VS/$RS).
#[test]
fn nested_multiline_definitions() {
    let conf = "$RS= \\\nreal ${VS}.${RS_NUM}\n\n$VSD= \\\nvs ${VS} { \\\n  $RS_NUM=1 \\\n  $RS \\\n  $RS_NUM=2 \\\n  $RS \\\n}\n\n$VS=0\n$VSD\n";
    assert_eq!(texts("x", conf), ["vs 0", "{", "real 0.1", "real 0.2", "}"]);
}

/// keepalived.conf(5) "Sequence blocks" and "List blocks", nested and combined.
#[test]
fn sequences_and_lists() {
    assert_eq!(
        texts("x", "~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n"),
        [
            "ip_address 10.0.0.1",
            "ip_address 10.0.1.1",
            "ip_address 10.0.2.1",
            "ip_address 10.0.3.1"
        ]
    );
    assert_eq!(
        texts(
            "x",
            "~SEQx(AD2, 0x90, 0x10, 0xa0) ~SEQx(AD1, 0x12, -1, 0x11) fe81::10:${AD2}:${AD1}\n"
        ),
        [
            "fe81::10:90:12",
            "fe81::10:90:11",
            "fe81::10:a0:12",
            "fe81::10:a0:11"
        ]
    );
    let got = texts(
        "x",
        "~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,168,2,170) 192.${IP2}.${IP}.${IP1}\n",
    );
    assert_eq!(
        got,
        [
            "192.168.10.1",
            "192.170.10.1",
            "192.168.20.4",
            "192.170.20.4"
        ]
    );
    // Repeating a multi-line definition.
    let conf = "$V= \\\nvrrp_instance v${ID} { \\\n  priority ${ID} \\\n}\n\n~SEQ(ID, 1, 2) $V\n";
    assert_eq!(
        texts("x", conf),
        [
            "vrrp_instance v1",
            "{",
            "priority 1",
            "}",
            "vrrp_instance v2",
            "{",
            "priority 2",
            "}"
        ]
    );
    let e = lines_with("x", "a\n~SEQ(N, 1, 0, 3) x\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.conf:2: invalid ~SEQ values '~SEQ(N, 1, 0, 3) x'"
    );
}

#[test]
fn repetition_and_recursion_are_bounded() {
    let e = lines_with("x", "~SEQ(N, 0, 9000000000) x\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.conf:1: ~SEQ, ~LST and multi-line definitions make more than"),
        "{e}"
    );
    let e = lines_with("x", "$A=${A}\nok\nx $A\n").unwrap_err();
    assert!(e.to_string().starts_with("t.conf:3: more than"), "{e}");
    // A multi-line definition that uses itself.
    let e = lines_with("x", "$M= \\\na \\\n$M\n\n$M\n").unwrap_err();
    assert!(e.to_string().starts_with("t.conf:5: "), "{e}");
}

#[test]
fn predefined_and_escaped_comment_characters() {
    assert_eq!(texts("node1", "x ${_INSTANCE}\n"), ["x node1"]);
    // After a substitution the line is decommented again (keepalived): a `#` from
    // `${_HASH}` or `\#` outside quotes then starts a comment.
    assert_eq!(
        texts("x", "a \"${_HASH}1\" b\\#c ${_BANG}\n"),
        ["a \"#1\" b"]
    );
    assert_eq!(texts("x", "a b\\#c\n"), ["a b#c"]);
    let pwd = texts("x", "${_PWD}\n");
    assert!(Path::new(&pwd[0]).is_absolute(), "{pwd:?}");
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vrrpd-lang-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Definitions cross include boundaries; brace patterns; the variants' checks.
#[test]
fn includes_and_their_variants() {
    let d = tmpdir("inc");
    std::fs::write(d.join("a.conf"), "$X=1\na $X\n").unwrap();
    std::fs::write(d.join("b.conf"), "b $X\n").unwrap();
    let main = d.join("main.conf");
    let opts = LangOptions::with_config_id(Some("x"));
    let run = |text: &str| -> Result<(Vec<String>, Vec<String>), ConfigError> {
        let mut p = Preproc::from_text(&main, text, &opts);
        let mut out = Vec::new();
        while let Some(l) = p.next_line()? {
            out.push(format!("{}:{}", l.loc, l.text));
        }
        Ok((out, p.warnings.iter().map(|w| w.to_string()).collect()))
    };
    let a = d.join("a.conf").display().to_string();
    let b = d.join("b.conf").display().to_string();
    let m = main.display().to_string();
    let (out, w) = run("include {a,b}.conf\nc $X\n").unwrap();
    assert_eq!(
        out,
        [
            format!("{a}:2:a 1"),
            format!("{b}:1:b 1"),
            format!("{m}:2:c 1")
        ]
    );
    assert!(w.is_empty(), "{w:?}");
    // Plain include: a missing file is a warning; includem / includea: an error.
    let (out, w) = run("include none.conf\nc\n").unwrap();
    assert_eq!(out, [format!("{m}:2:c")]);
    assert_eq!(
        w,
        [format!("{m}:1: warning: config files missing 'none.conf'")]
    );
    assert!(run("includer none.conf\n").is_ok());
    let e = run("includem none.conf\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{m}:1: config files missing 'none.conf'")
    );
    assert!(run("includea none.conf\n").is_err());
    // A wildcard matching nothing: includew refuses, include warns.
    assert!(run("includew *.none\n").is_err());
    assert_eq!(run("include *.none\n").unwrap().1.len(), 1);
    // A brace alternative missing: includeb refuses.
    assert!(run("includeb {a,none}.conf\n").is_err());
    let (out, w) = run("include {a,none}.conf\n").unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(w.len(), 1);
    // An executable file is skipped (keepalived reads non-executable regular files only).
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(d.join("x.conf"), "x\n").unwrap();
    std::fs::set_permissions(d.join("x.conf"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (out, w) = run("include x.conf\n").unwrap();
    assert!(out.is_empty() && w.len() == 1, "{out:?} {w:?}");
    assert!(run("includer x.conf\n").is_err());
    // include_check in global_defs turns the checks on for what follows, and is consumed.
    let e = run("global_defs {\n include_check\n}\ninclude none.conf\n").unwrap_err();
    assert!(e.to_string().contains("config files missing"), "{e}");
    let (out, _) = run("global_defs {\n include_check match\n}\n").unwrap();
    assert_eq!(out.len(), 3);
    std::fs::remove_dir_all(&d).unwrap();
}
