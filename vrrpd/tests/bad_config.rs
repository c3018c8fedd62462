//! Bad configurations: each refused with a message naming file and line; includes resolved.

use std::path::Path;

use vrrp_proto::Version;
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
    // keepalived reads an unknown state (`master`, `ACTIVE`) as BACKUP, with a warning.
    for word in ["ACTIVE", "master"] {
        let b = config::parse(
            Path::new("t.conf"),
            &format!("{HEAD}  state {word}\n{VIP}}}\n"),
        )
        .unwrap();
        assert_eq!(
            b.config.instances[0].router.initial_state(),
            vrrp_fsm::InitialState::Backup
        );
        let w: Vec<String> = b.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            w,
            [format!(
                "t.conf:4: warning: (VI_1) unknown state '{word}', defaulting to BACKUP"
            )]
        );
    }
}

/// The priority and GARP-burst rules are vrrp-fsm's (`check_priority`,
/// `check_garp_repeat`), each refusal at the line of the value.
#[test]
fn router_rules_are_refused_at_the_values_line() {
    let e = err(&format!("{HEAD}  priority 0\n{VIP}}}\n"));
    assert_eq!(
        e,
        "t.conf:4: 'priority' must be an integer from 1 to 255, found '0'"
    );
    for n in ["1001", "x"] {
        let e = err(&format!("{HEAD}  garp_master_repeat {n}\n{VIP}}}\n"));
        assert_eq!(
            e,
            format!(
                "t.conf:4: 'garp_master_repeat' must be an integer from 1 to 1000, found '{n}'"
            )
        );
    }
    // 0 is keepalived's old form of 1: taken, with its warning.
    let b = config::parse(
        Path::new("t.conf"),
        &format!("global_defs {{\n  vrrp_garp_master_repeat 0\n}}\n{HEAD}  garp_master_refresh_repeat 0\n{VIP}}}\n"),
    )
    .unwrap();
    assert_eq!(b.config.instances[0].router.garp_master_repeat(), 1);
    let w: Vec<String> = b.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        [
            "t.conf:2: warning: vrrp_garp_master_repeat must be greater than 0, setting to 1",
            "t.conf:7: warning: (VI_1): garp_master_refresh_repeat must be greater than 0, setting to 1"
        ]
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
    assert_eq!(
        ok.config.instances[0].router.advert_interval().as_millis(),
        50
    );
    // IPv6 VIPs run VRRPv3, as keepalived 2.2.7 runs them: silently without `version`,
    // with its warning over `version 2`.
    let v6 = "  virtual_ipaddress {\n    2001:db8::1\n  }\n}\n";
    let b = config::parse(Path::new("t.conf"), &format!("{HEAD}{v6}")).unwrap();
    assert_eq!(b.config.instances[0].router.version(), Version::V3);
    let words: Vec<String> = b.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        words,
        ["t.conf:1: warning: (VI_1) the first IPv6 VIP address should be link local (2001:db8::1)"]
    );
    let b = config::parse(Path::new("t.conf"), &format!("{HEAD}  version 2\n{v6}")).unwrap();
    assert_eq!(b.config.instances[0].router.version(), Version::V3);
    assert!(
        b.warnings.iter().any(|w| w.to_string()
            == "t.conf:1: warning: (VI_1) cannot use IPv6 with VRRP version 2; setting version 3"),
        "{:?}",
        b.warnings
    );
}

#[test]
fn authentication_rules() {
    let ah = "  authentication {\n    auth_type AH\n    auth_pass x\n  }\n";
    let e = err(&format!("{HEAD}{ah}{VIP}}}\n"));
    assert!(e.contains("auth_type AH is not supported"), "{e}");
    // keepalived: an unknown type leaves authentication off, with its warning; so does a
    // missing password; a long one is cut to 8 bytes.
    let warned = |auth: &str| {
        let b = config::parse(Path::new("t.conf"), &format!("{HEAD}{auth}{VIP}}}\n")).unwrap();
        let w: Vec<String> = b.warnings.iter().map(|w| w.to_string()).collect();
        (b.config.instances[0].router.auth(), w)
    };
    let (auth, w) = warned("  authentication {\n    auth_type MD5\n    auth_pass x\n  }\n");
    assert_eq!(auth, vrrp_proto::Auth::None);
    assert_eq!(
        w,
        [
            "t.conf:4: warning: (VI_1) authentication without a known auth_type: no authentication",
            "t.conf:5: warning: (VI_1) unknown authentication type 'MD5'"
        ]
    );
    let (auth, w) = warned("  authentication {\n    auth_type PASS\n  }\n");
    assert_eq!(auth, vrrp_proto::Auth::None);
    assert_eq!(
        w,
        ["t.conf:4: warning: (VI_1) Authentication specified but no password given. Ignoring"]
    );
    let (auth, w) =
        warned("  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }\n");
    assert_eq!(auth, vrrp_proto::Auth::SimplePassword(*b"12345678"));
    assert_eq!(
        w,
        ["t.conf:6: warning: Truncating auth_pass to 8 characters"]
    );
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
    assert_eq!(
        e,
        "t.conf:5: Unknown configuration entry 'colour' for ip address"
    );
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
        e.contains("source address 2001:db8::1 (unicast_src_ip / mcast_src_ip) is not of the virtual addresses' family"),
        "{e}"
    );
    // C4: more than 255 VIPs.
    let many: String = (0..300)
        .map(|n| format!("    198.51.100.{}/32 dev eth{}\n", n % 250, n))
        .collect();
    // keepalived moves what does not fit in an advert to the excluded addresses.
    let b = config::parse(
        Path::new("t.conf"),
        &format!("{HEAD}  virtual_ipaddress {{\n{many}  }}\n}}\n"),
    )
    .unwrap();
    let i = &b.config.instances[0];
    assert_eq!((i.vips.len(), i.excluded_vips.len()), (255, 45));
    assert_eq!(i.router.vips().len(), 255);
    assert!(
        b.warnings.iter().any(|w| w.to_string().contains(
            "(VI_1) Number of VIPs (300) exceeds maximum/space available in packet (max 255 addresses) - excess moved to eVIPs"
        )),
        "{:?}",
        b.warnings
    );
}

/// keepalived 2.2.7 keeps both silently and tracks the first; vrrpd accepted both silently
/// too (and ran both checks under the one name). Refused now.
#[test]
fn duplicate_script_names_are_refused() {
    let chk = "vrrp_script chk {\n  script /bin/true\n}\n";
    let e = err(&format!("{chk}\n{chk}"));
    assert_eq!(e, "t.conf:5: vrrp_script chk already defined at t.conf:1");
}

/// A directory of configuration files, removed on drop.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("vrrpd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    fn write(&self, name: &str, text: &str) -> std::path::PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `config::load(path)` in a thread, with a bound on how long it may take (a load that
/// blocks fails the test instead of hanging it).
fn load_within(path: &Path) -> Result<config::Built, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(config::load(&p).map_err(|e| e.to_string()));
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the configuration load did not finish")
}

/// An instance as users write them (auth, VIPs, tracking, notify), number `n`.
fn instance(n: usize) -> String {
    format!(
        "vrrp_instance VI_{n} {{\n    state BACKUP\n    interface eth{}\n    virtual_router_id {}\n    \
         priority 100\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        \
         auth_pass secret\n    }}\n    virtual_ipaddress {{\n        10.{}.{}.1/24 dev eth{} label eth{}:vip\n        \
         10.{}.{}.2/24\n    }}\n    track_interface {{\n        eth{}\n    }}\n    \
         notify_master \"/etc/keepalived/notify.sh MASTER VI_{n}\"\n    \
         notify_backup \"/etc/keepalived/notify.sh BACKUP VI_{n}\"\n}}\n",
        n / 255,
        n % 255 + 1,
        n / 256,
        n % 256,
        n / 255,
        n / 255,
        n / 256,
        n % 256,
        n / 255,
    )
}

/// The bounds leave room: 10 000 instances in one file, or one file per instance.
#[test]
fn a_ten_thousand_instance_configuration_fits_the_bounds() {
    let d = Dir::new("big");
    let one: String = (0..10_000).map(instance).collect();
    let size = one.len() as u64;
    assert!(size * 4 < config::read::MAX_FILE_SIZE, "{size} bytes");
    println!("10 000 instances in one file: {size} bytes");
    let b = load_within(&d.write("one.conf", &one)).unwrap();
    assert_eq!(b.config.instances.len(), 10_000);
    for n in 0..10_000 {
        d.write(&format!("conf.d/{n:05}.conf"), &instance(n));
    }
    let b = load_within(&d.write("main.conf", "include conf.d/*.conf\n")).unwrap();
    assert_eq!(b.config.instances.len(), 10_000);
}

/// `include` globs fanning out: 4 files on each of 8 levels, each including every file of
/// the next level, is 4 + 4² + ... + 4⁸ = 87 380 reads from 32 files, within the depth
/// limit. The load stops at the file limit, naming the include that went over (before,
/// all 87 380 files were read and the configuration accepted).
#[test]
fn include_fan_out_is_bounded() {
    let d = Dir::new("fanout");
    for level in 1..=8 {
        for f in 0..4 {
            let text = if level < 8 {
                format!("include ../L{}/*.conf\n", level + 1)
            } else {
                "! leaf\n".to_string()
            };
            d.write(&format!("L{level}/{f}.conf"), &text);
        }
    }
    let main = d.write("L0/main.conf", "global_defs {\n}\ninclude ../L1/*.conf\n");
    let e = load_within(&main).unwrap_err();
    let limit = config::read::MAX_FILES;
    assert!(
        e.ends_with(&format!(
            ".conf:1: more than {limit} configuration files to read (include fan-out)"
        )) && e.starts_with(&d.0.display().to_string())
            && e.contains("/L7/"),
        "{e}"
    );
}

/// A file over the size limit is refused by its size, unread (before, a sparse file of
/// any size was read whole into memory).
#[test]
fn oversized_files_are_refused_unread() {
    let d = Dir::new("oversized");
    let big = d.write("big.conf", "");
    // Sparse: the size alone refuses it.
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(config::read::MAX_FILE_SIZE + 1)
        .unwrap();
    let main = d.write("main.conf", "global_defs {\n}\ninclude big.conf\n");
    let e = load_within(&main).unwrap_err();
    assert_eq!(
        e,
        format!(
            "{}:3: cannot read: {}: larger than 64 MiB",
            main.display(),
            big.display()
        )
    );
    let e = load_within(&big).unwrap_err();
    assert!(e.ends_with("big.conf: larger than 64 MiB"), "{e}");
}

/// A FIFO or a device named as a configuration file is refused before it is opened: the
/// load neither waits for a writer nor reads without end (before, the FIFO's open blocked
/// the load until a writer came, and `/dev/zero` was read until memory ran out). Included
/// by `include`, keepalived skips them with a message: a warning naming the include line
/// here; by `includer` (or `include_check read`) they are errors.
#[test]
fn fifos_and_devices_are_refused_promptly() {
    let d = Dir::new("fifo");
    let fifo = d.0.join("fifo.conf");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let main = d.write(
        "main.conf",
        "global_defs {\n}\ninclude fifo.conf\ninclude /dev/zero\n",
    );
    let skipped = "is not a regular non-executable file - skipping";
    let b = config::load(&main).unwrap();
    let w: Vec<String> = b.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        [
            format!(
                "{}:3: warning: configuration file '{}' {skipped}",
                main.display(),
                fifo.display()
            ),
            format!(
                "{}:4: warning: configuration file '/dev/zero' {skipped}",
                main.display()
            )
        ]
    );
    let strict = d.write("strict.conf", "includer fifo.conf\n");
    let e = load_within(&strict).unwrap_err();
    assert_eq!(
        e,
        format!(
            "{}:1: configuration file '{}' {skipped}",
            strict.display(),
            fifo.display()
        )
    );
    let not_regular = "not a regular file (a directory, FIFO, socket or device)";
    std::fs::remove_file(&fifo).unwrap();
    for main in [fifo.as_path(), Path::new("/dev/zero")] {
        if main == fifo {
            nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        }
        let e = load_within(main).unwrap_err();
        assert!(e.ends_with(not_regular), "{e}");
    }
}

/// The protocol rules live in vrrp-fsm's `Config`; the reader words each refusal with the
/// instance's file and line.
#[test]
fn router_rules_are_worded_at_the_instance_line() {
    let pass = "  authentication {\n    auth_type PASS\n    auth_pass secret\n  }\n";
    // keepalived ignores authentication under VRRPv3, with its warning.
    let b = config::parse(
        Path::new("t.conf"),
        &format!("{HEAD}  version 3\n{pass}{VIP}}}\n"),
    )
    .unwrap();
    assert_eq!(b.config.instances[0].router.auth(), vrrp_proto::Auth::None);
    assert_eq!(
        b.warnings[0].to_string(),
        "t.conf:1: warning: (VI_1) VRRP version 3 does not support authentication. Ignoring."
    );
    // keepalived runs a VRRPv2 instance without VIPs (with a warning), not a VRRPv3 one.
    let empty = "  virtual_ipaddress {\n  }\n}\n";
    let b = config::parse(Path::new("t.conf"), &format!("{HEAD}{empty}")).unwrap();
    assert!(b.config.instances[0].router.vips().is_empty());
    assert_eq!(
        b.warnings[0].to_string(),
        "t.conf:1: warning: (VI_1) No VIP specified; at least one is sensible"
    );
    let e = err(&format!("{HEAD}  version 3\n{empty}"));
    assert_eq!(
        e,
        "t.conf:1: (VI_1) No VIP specified; at least one is required"
    );
    let e = err(&format!("{HEAD}  version 3\n  advert_int 0.001\n{VIP}}}\n"));
    assert_eq!(
        e,
        "t.conf:1: vrrp_instance VI_1: advert_int must be from 0.01 to 40.95 s with VRRPv3"
    );
    let e = err(&format!("{HEAD}  advert_int 0\n{VIP}}}\n"));
    assert_eq!(
        e,
        "t.conf:1: vrrp_instance VI_1: advert_int must be whole seconds (>= 1) with VRRPv2"
    );
    let e = err(&format!(
        "{HEAD}  unicast_src_ip 192.0.2.1\n  unicast_peer {{\n    2001:db8::2\n  }}\n{VIP}}}\n"
    ));
    assert_eq!(
        e,
        "t.conf:1: vrrp_instance VI_1: unicast_peer 2001:db8::2 is not of the virtual addresses' family"
    );
    // With v2 and a password, the router gets keepalived's 8-byte field.
    let ok = config::parse(Path::new("t.conf"), &format!("{HEAD}{pass}{VIP}}}\n")).unwrap();
    assert_eq!(
        ok.config.instances[0].router.auth(),
        vrrp_proto::Auth::SimplePassword(*b"secret\0\0")
    );
}
