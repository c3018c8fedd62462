//! Bad configurations: each refused with a message naming file and line; includes resolved.

use std::path::Path;

use vrrpd::config;

fn err(text: &str) -> String {
    match config::parse(Path::new("t.conf"), text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n";
const VIP: &str = "  virtual_ipaddress {\n    192.0.2.10/24 dev eth0 label eth0:vip\n  }\n";

#[test]
fn out_of_range_values_name_their_line() {
    let e = err(&format!("{HEAD}  priority 256\n{VIP}}}\n"));
    assert_eq!(
        e,
        "t.conf:4: 'priority' must be an integer from 1 to 255, found '256'"
    );
    let e = err("vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 0\n}\n");
    assert!(
        e.starts_with("t.conf:3: 'virtual_router_id' must be"),
        "{e}"
    );
    let e = err(&format!("{HEAD}  state ACTIVE\n{VIP}}}\n"));
    assert_eq!(
        e,
        "t.conf:4: state must be MASTER or BACKUP, found 'ACTIVE'"
    );
}

#[test]
fn version_rules() {
    // RFC 3768: whole seconds for v2.
    let e = err(&format!("{HEAD}  advert_int 0.5\n{VIP}}}\n"));
    assert!(
        e.starts_with("t.conf:1:") && e.contains("whole seconds"),
        "{e}"
    );
    // RFC 9568: 12-bit centiseconds.
    let e = err(&format!("{HEAD}  version 3\n  advert_int 41\n{VIP}}}\n"));
    assert!(e.contains("0.01 to 40.95"), "{e}");
    let ok = config::parse(
        Path::new("t.conf"),
        &format!("{HEAD}  version 3\n  advert_int 0.05\n{VIP}}}\n"),
    )
    .unwrap();
    assert_eq!(ok.config.instances[0].advert_int.as_millis(), 50);
    // IPv6 VIPs need v3.
    let e = err(&format!(
        "{HEAD}  virtual_ipaddress {{\n    2001:db8::1\n  }}\n}}\n"
    ));
    assert!(e.contains("IPv6 needs VRRP version 3"), "{e}");
}

#[test]
fn authentication_rules() {
    let ah = "  authentication {\n    auth_type AH\n    auth_pass x\n  }\n";
    let e = err(&format!("{HEAD}{ah}{VIP}}}\n"));
    assert!(e.contains("auth_type AH is not supported"), "{e}");
    let bad = "  authentication {\n    auth_type MD5\n    auth_pass x\n  }\n";
    let e = err(&format!("{HEAD}{bad}{VIP}}}\n"));
    assert_eq!(e, "t.conf:5: auth_type must be PASS or AH, found 'MD5'");
}

#[test]
fn vip_options_parse_and_bad_ones_fail() {
    let b = config::parse(Path::new("t.conf"), &format!("{HEAD}{VIP}}}\n")).unwrap();
    let v = &b.config.instances[0].vips[0];
    assert_eq!(
        (v.prefix, v.dev.as_deref(), v.label.as_deref()),
        (24, Some("eth0"), Some("eth0:vip"))
    );
    let e = err(&format!(
        "{HEAD}  virtual_ipaddress {{\n    192.0.2.10 colour red\n  }}\n}}\n"
    ));
    assert_eq!(e, "t.conf:5: unknown virtual_ipaddress option 'colour'");
    let e = err(&format!(
        "{HEAD}  virtual_ipaddress {{\n    192.0.2.300\n  }}\n}}\n"
    ));
    assert!(
        e.starts_with("t.conf:5:") && e.contains("not an IP address"),
        "{e}"
    );
}

#[test]
fn unknown_keywords_warn_with_line() {
    let b = config::parse(
        Path::new("t.conf"),
        &format!("{HEAD}  frobnicate 3\n{VIP}}}\n"),
    )
    .unwrap();
    assert_eq!(b.warnings.len(), 1);
    assert_eq!(
        b.warnings[0].to_string(),
        "t.conf:4: warning: unknown keyword 'frobnicate' in vrrp_instance ignored"
    );
}

#[test]
fn include_with_glob_and_errors_inside_name_the_included_file() {
    let dir = std::env::temp_dir().join(format!("vrrpd-include-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(dir.join("conf.d/a.conf"), format!("{HEAD}{VIP}}}\n")).unwrap();
    std::fs::write(
        dir.join("conf.d/b.conf"),
        "vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 52\n  virtual_ipaddress {\n    192.0.2.11\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.conf"),
        "global_defs {\n  router_id x\n}\ninclude conf.d/*.conf\n",
    )
    .unwrap();
    let b = config::load(&dir.join("main.conf")).unwrap();
    let names: Vec<_> = b.config.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["VI_1", "VI_2"]);
    assert!(b.config.instances[1]
        .loc
        .to_string()
        .ends_with("conf.d/b.conf:1"));

    std::fs::write(
        dir.join("conf.d/c.conf"),
        "vrrp_instance VI_3 {\n  priority x\n}\n",
    )
    .unwrap();
    let e = config::load(&dir.join("main.conf"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("conf.d/c.conf:2: 'priority'"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn include_loop_is_an_error_not_a_stack_overflow() {
    let dir = std::env::temp_dir().join(format!("vrrpd-loop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.conf"), "include a.conf\n").unwrap();
    let e = config::load(&dir.join("a.conf")).unwrap_err().to_string();
    assert!(e.contains("include nested more than"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn duplicate_instance_names_are_refused() {
    let one = format!("{HEAD}{VIP}}}\n");
    let e = err(&format!("{one}{one}"));
    assert!(
        e.starts_with("t.conf:8: vrrp_instance VI_1 already defined at t.conf:1"),
        "{e}"
    );
}

#[test]
fn unicast_without_peers_is_refused_never_multicast() {
    // An empty unicast_peer block: the error names the block's line.
    let e = err(&format!(
        "{HEAD}  unicast_src_ip 192.0.2.1\n  unicast_peer {{\n  }}\n{VIP}}}\n"
    ));
    assert!(
        e.starts_with("t.conf:5:") && e.contains("unicast_peer lists no peer"),
        "{e}"
    );
    // unicast_src_ip with no unicast_peer at all: the instance's line.
    let e = err(&format!("{HEAD}  unicast_src_ip 192.0.2.1\n{VIP}}}\n"));
    assert!(
        e.starts_with("t.conf:1:") && e.contains("unicast_src_ip without unicast_peer"),
        "{e}"
    );
    // With a peer it is accepted.
    let ok = config::parse(
        Path::new("t.conf"),
        &format!(
            "{HEAD}  unicast_src_ip 192.0.2.1\n  unicast_peer {{\n    192.0.2.2\n  }}\n{VIP}}}\n"
        ),
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn fuzzer_findings_are_refused_at_the_right_line() {
    // C1: deep nesting is an error, not a stack overflow.
    let deep = "a{".repeat(20_000) + &"}".repeat(20_000);
    let e = err(&deep);
    assert!(
        e.starts_with("t.conf:1:") && e.contains("nested more than 32"),
        "{e}"
    );
    // C2: v2 intervals above what vrrpd can keep.
    let e = err(&format!("{HEAD}  advert_int 50\n{VIP}}}\n"));
    assert!(
        e.starts_with("t.conf:1:") && e.contains("above 40 s"),
        "{e}"
    );
    // C3: unicast addresses of the other family.
    let e = err(&format!(
        "{HEAD}  unicast_src_ip 2001:db8::1\n  unicast_peer {{\n    2001:db8::2\n  }}\n{VIP}}}\n"
    ));
    assert!(
        e.contains("unicast_src_ip 2001:db8::1 is not of the virtual addresses' family"),
        "{e}"
    );
    // C4: more than 255 VIPs.
    let many: String = (0..300)
        .map(|n| format!("    198.51.100.{}/32 dev eth{}\n", n % 250, n))
        .collect();
    let e = err(&format!("{HEAD}  virtual_ipaddress {{\n{many}  }}\n}}\n"));
    assert!(e.contains("300 virtual addresses, at most 255"), "{e}");
}
