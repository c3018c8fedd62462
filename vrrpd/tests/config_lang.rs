//! keepalived's configuration language (`@ID`, `$NAME`, `~SEQ` / `~LST`, includes,
//! comments) read by vrrpd as keepalived 2.2.7 reads it, with keepalived itself as the
//! oracle: every line of the test files is an unknown keyword whose name shows what the
//! language made of it, and keepalived's `-t` names each `(Line N) Unknown keyword 'X'`;
//! vrrpd's `-t` must name the same keywords, at the same lines, in the same order.
//! Also: keepalived's `conditional_conf` sample read with `-i high` / `-i low`.

use std::path::{Path, PathBuf};
use std::process::Command;

use vrrp_lab::Skip;
use vrrpd::config::{self, LangOptions};

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("vrrpd-lang-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `(file, line, keyword)` of keepalived's "Unknown keyword" lines (a file is named only
/// when more than one is read).
fn keepalived_unknown(out: &str, main: &Path) -> Vec<(String, u32, String)> {
    out.lines()
        .filter_map(|l| {
            let (place, rest) = l.strip_prefix('(')?.split_once(") Unknown keyword '")?;
            let word = rest.strip_suffix('\'')?;
            // keepalived names an included file as the include wrote it (relative to the
            // including file's directory, here the main file's).
            let (file, line) = match place.split_once(": Line ") {
                Some((f, n)) => (main.parent()?.join(f).display().to_string(), n),
                None => (main.display().to_string(), place.strip_prefix("Line ")?),
            };
            Some((file, line.trim().parse().ok()?, word.to_string()))
        })
        .collect()
}

/// The same from vrrpd's "FILE:LINE: warning: unknown keyword 'X' in ..." lines.
fn vrrpd_unknown(out: &str) -> Vec<(String, u32, String)> {
    out.lines()
        .filter_map(|l| {
            let (place, rest) = l.split_once(": warning: unknown keyword '")?;
            let (word, _) = rest.split_once('\'')?;
            let (file, line) = place.rsplit_once(':')?;
            Some((file.to_string(), line.parse().ok()?, word.to_string()))
        })
        .collect()
}

fn run(program: &str, args: &[&str], file: &Path) -> (bool, String) {
    let o = Command::new(program)
        .args(args)
        .arg("-f")
        .arg(file)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (o.status.success(), text)
}

/// keepalived and vrrpd on `file` with config id `id`: the unknown keywords of both, in
/// file and line order (vrrpd's `-t` sorts its warnings so, keepalived prints them as it
/// reads, included files in place; the order within a line is kept) and with repeats of
/// the same keyword at the same line merged (vrrpd's `-t` prints a warning once).
type Unknown = Vec<(String, u32, String)>;
fn compare(file: &Path, id: &str) -> (Unknown, Unknown) {
    let (_, k) = run("keepalived", &["-t", "-l", "-i", id], file);
    let (ok, v) = run(env!("CARGO_BIN_EXE_vrrpd"), &["-t", "-i", id], file);
    assert!(ok, "vrrpd -t refused {}:\n{v}", file.display());
    eprintln!("--- keepalived -t -i {id}:\n{k}--- vrrpd -t -i {id}:\n{v}");
    let order = |mut u: Unknown| {
        u.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        u.dedup();
        u
    };
    (
        order(keepalived_unknown(&k, file)),
        order(vrrpd_unknown(&v)),
    )
}

const LANGUAGE: &str = r#"$X=foo
@high $P=hi
@^high $P=nothigh
global_defs {
  kw_$X
  kw_${X}_b
  kw_$P
  @high only_high
  @^high not_high
  @low only_low
  ~SEQ(N, 1, 3) seq_${N}
  ~SEQx(H, 9, 3, 15) seqx_${H}
  ~SEQ(R, 3) ~SEQ(S, 2, 1) nested_${R}_${S}
  ~LST({A, B}, {a,1}, {b,2}, {c}) lst_${A}_${B}
  kw_$UNDEF
  kw_${_INSTANCE}
  kw_a\#b
  kw_c # comment
  kw_d ! comment
  $X=bar
  kw_$X
  $IF_HIGH=@high
  $IF_HIGH if_high
}
$M= \
global_defs { \
   multi_${X} \
   @high multi_high \
   $X=baz \
}

$M
~SEQ(N, 1, 2) $M
$REC=${X}_${P}
global_defs { rec_${REC}
}
"#;

/// keepalived.conf(5)'s language, read by both with three config ids.
#[test]
fn the_language_reads_as_keepalived_reads_it() {
    let test = "the_language_reads_as_keepalived_reads_it";
    if !Skip::check(test).program("keepalived").ok() {
        return;
    }
    let d = Dir::new("oracle");
    let file = d.write("lang.conf", LANGUAGE);
    for id in ["high", "low", "other"] {
        let (k, v) = compare(&file, id);
        assert!(k.len() > 20, "keepalived read too little: {k:?}");
        assert_eq!(v, k, "-i {id}: vrrpd (left) and keepalived (right) differ");
    }
}

/// Definitions cross include boundaries; brace patterns; include variants that only warn.
#[test]
fn includes_read_as_keepalived_reads_them() {
    let test = "includes_read_as_keepalived_reads_them";
    if !Skip::check(test).program("keepalived").ok() {
        return;
    }
    let d = Dir::new("oracle-inc");
    std::fs::create_dir_all(d.0.join("sub")).unwrap();
    d.write("sub/a.conf", "$Y=from_a\nglobal_defs {\n  in_a_$X\n}\n");
    d.write("sub/b.conf", "global_defs {\n  in_b_$Y\n}\n");
    let main = d.write(
        "main.conf",
        "$X=main\ninclude sub/{a,b}.conf\nincluder sub/none.conf\ninclude sub/*.none\nglobal_defs {\n  after_$Y\n}\n",
    );
    let (k, v) = compare(&main, "x");
    assert_eq!(k.len(), 3, "{k:?}");
    assert_eq!(v, k, "vrrpd (left) and keepalived (right) differ");
}

/// Refusals: both fail, vrrpd naming the line.
#[test]
fn bad_language_fails_under_both() {
    let test = "bad_language_fails_under_both";
    if !Skip::check(test).program("keepalived").ok() {
        return;
    }
    let d = Dir::new("oracle-bad");
    for (n, text) in [
        "global_defs {\n  ~SEQ(N, 1, 0, 3) x_${N}\n}\n",
        "global_defs {\n  ~SEQ(N) x_${N}\n}\n",
        "global_defs {\n  ~LST({A}, {1, 2}) x_${A}\n}\n",
        "includem none.conf\n",
    ]
    .iter()
    .enumerate()
    {
        let f = d.write(&format!("bad{n}.conf"), text);
        let (k_ok, k) = run("keepalived", &["-t", "-l"], &f);
        let (v_ok, v) = run(env!("CARGO_BIN_EXE_vrrpd"), &["-t"], &f);
        assert!(!k_ok, "keepalived accepted {text:?}:\n{k}");
        assert!(!v_ok, "vrrpd accepted {text:?}:\n{v}");
        let line = if n == 3 { 1 } else { 2 };
        assert!(v.contains(&format!("{}:{line}: ", f.display())), "{v}");
    }
}

fn conditional_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keepalived-samples/keepalived.conf.conditional_conf")
}

/// keepalived's `doc/samples/keepalived.conf.conditional_conf`: `-i high` and `-i low`
/// pick their namespace, script and priority.
#[test]
fn conditional_conf_picks_by_config_id() {
    for (id, prio, script) in [
        ("high", 170, "check_high_VI_0.sh"),
        ("low", 85, "check_low_VI_0.sh"),
    ] {
        let b = config::load_with(
            &conditional_sample(),
            &LangOptions::with_config_id(Some(id)),
        )
        .unwrap();
        let c = &b.config;
        assert_eq!(c.naming.net_namespace.as_deref(), Some(id));
        assert_eq!(c.instances.len(), 1);
        assert_eq!(c.instances[0].router.priority().0, prio, "-i {id}");
        assert_eq!(
            c.scripts[0].script,
            format!("/etc/keepalived/scripts/{script}")
        );
    }
    // Neither id: no script line, which vrrpd refuses naming the block.
    let e = config::load_with(
        &conditional_sample(),
        &LangOptions::with_config_id(Some("x")),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .ends_with("conditional_conf:6: vrrp_script check_VI_0 has no 'script'"),
        "{e}"
    );
}

/// Script lines split as keepalived splits them: the line with quotes (single too) and
/// escapes, then the script word again into argv.
#[test]
fn script_strings_split_as_keepalived() {
    let text = "vrrp_script a {\n  script \"/bin/x s2 'a b' c\\\\td\"\n}\nvrrp_script b {\n  script /bin/x dropped words\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  notify_master '/bin/n m a' root\n  virtual_ipaddress {\n    192.0.2.1/24\n  }\n}\n";
    let b = config::parse(Path::new("t.conf"), text).unwrap();
    assert_eq!(b.config.scripts[0].script, "/bin/x s2 'a b' c\\td");
    assert_eq!(
        vrrpd::scripts::split_command(&b.config.scripts[0].script).unwrap(),
        ["/bin/x", "s2", "a b", "c\td"]
    );
    assert_eq!(b.config.scripts[1].script, "/bin/x");
    assert!(
        b.warnings
            .iter()
            .any(|w| w.loc.line == 5 && w.message.contains("words after the command ignored")),
        "{:?}",
        b.warnings
    );
}

/// The argv keepalived and vrrpd give the same `vrrp_script` lines, recorded by the
/// scripts themselves (keepalived runs `script /x.sh s1 plain words` with no argument).
#[test]
fn scripts_get_the_argv_keepalived_gives_them() {
    let test = "scripts_get_the_argv_keepalived_gives_them";
    if !Skip::check(test)
        .root("network namespaces")
        .program("keepalived")
        .ok()
    {
        return;
    }
    let d = Dir::new("argv");
    let mut argv = Vec::new();
    for who in ["keepalived", "vrrpd"] {
        let out = d.0.join(format!("out-{who}"));
        std::fs::create_dir_all(&out).unwrap();
        let x = d.write(
            &format!("x-{who}.sh"),
            &format!(
                "#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done > {}/$1.$$\nexit 0\n",
                out.display()
            ),
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&x, std::fs::Permissions::from_mode(0o755)).unwrap();
        let x = x.display();
        let conf = d.write(
            &format!("{who}.conf"),
            &format!(
                "global_defs {{\n  script_user root\n}}\n\
                 vrrp_script s1 {{\n  script {x} s1 plain words\n  interval 1\n}}\n\
                 vrrp_script s2 {{\n  script \"{x} s2 'a b' c\\\\td \\\"q\\\"\"\n  interval 1\n}}\n\
                 vrrp_script s3 {{\n  script \"{x} s3 'x\\\\ty' \\\\x41\\\\101\"\n  interval 1\n}}\n\
                 vrrp_instance VI_1 {{\n  state BACKUP\n  interface e0\n  virtual_router_id 51\n  priority 100\n  \
                 virtual_ipaddress {{\n    192.0.2.250/24\n  }}\n  track_script {{\n    s1\n    s2\n    s3\n  }}\n}}\n"
            ),
        );
        let ns = vrrp_lab::Netns::unique("vrrpargv").unwrap();
        ns.veth_local("e0", "e1").unwrap();
        ns.set_link("e0", true).unwrap();
        ns.set_link("e1", true).unwrap();
        // vrrpd needs an address of the family on the interface (keepalived does not).
        ns.add_addr("e0", "198.51.100.1/24").unwrap();
        let mut cmd = if who == "keepalived" {
            let mut c = ns.command("keepalived");
            c.args(["-n", "-l", "-P", "-f"]).arg(&conf);
            for (flag, f) in [("-p", "k"), ("-r", "v"), ("-c", "c")] {
                c.arg(flag).arg(d.0.join(format!("{f}.pid")));
            }
            c
        } else {
            let mut c = ns.command(env!("CARGO_BIN_EXE_vrrpd"));
            c.args(["-n", "-l", "-f"]).arg(&conf);
            c.arg("-p").arg(d.0.join("vrrpd.pid"));
            c.arg("--control").arg(d.0.join("vrrpd.sock"));
            c
        };
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Each script runs at start and every second.
        let start = std::time::Instant::now();
        let seen = |out: &Path| std::fs::read_dir(out).map(|r| r.count()).unwrap_or(0);
        while seen(&out) < 3 && start.elapsed() < std::time::Duration::from_secs(15) {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = child.wait();
        // One argv per script word: the set of distinct recordings.
        let mut runs: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        runs.sort();
        runs.dedup();
        argv.push(runs);
    }
    println!("keepalived: {:?}\nvrrpd: {:?}", argv[0], argv[1]);
    assert!(
        argv[0].len() >= 3,
        "keepalived ran too few scripts: {:?}",
        argv[0]
    );
    assert_eq!(
        argv[1], argv[0],
        "vrrpd (left) and keepalived (right) argv differ"
    );
}

/// `-e` / `--all-config` (keepalived: every include check on): a plain `include` of a
/// missing file, a warning without it, is an error naming the line with it.
#[test]
fn all_config_turns_include_warnings_into_errors() {
    let d = Dir::new("all-config");
    let f = d.write("main.conf", "global_defs {\n}\ninclude none/*.conf\n");
    let (ok, out) = run(env!("CARGO_BIN_EXE_vrrpd"), &["-t"], &f);
    assert!(ok, "{out}");
    let want = format!("{}:3: ", f.display());
    assert!(
        out.contains(&format!(
            "{want}warning: config files missing 'none/*.conf'"
        )),
        "{out}"
    );
    let (ok, out) = run(env!("CARGO_BIN_EXE_vrrpd"), &["-t", "-e"], &f);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("{want}config files missing 'none/*.conf'")),
        "{out}"
    );
}

/// Without `-i`, the config id is the host name up to its first dot, for both.
#[test]
fn the_default_config_id_is_the_short_host_name() {
    let test = "the_default_config_id_is_the_short_host_name";
    if !Skip::check(test).program("keepalived").ok() {
        return;
    }
    let host = vrrpd::config::lang::default_config_id();
    assert!(!host.is_empty() && !host.contains('.'), "{host}");
    let d = Dir::new("default-id");
    let f = d.write(
        "main.conf",
        &format!(
            "global_defs {{\n  @{host} kw_host\n  @^{host} kw_not_host\n  kw_${{_INSTANCE}}\n}}\n"
        ),
    );
    let (_, k) = run("keepalived", &["-t", "-l"], &f);
    let (ok, v) = run(env!("CARGO_BIN_EXE_vrrpd"), &["-t"], &f);
    assert!(ok, "{v}");
    let k = keepalived_unknown(&k, &f);
    let v = vrrpd_unknown(&v);
    let words: Vec<&str> = k.iter().map(|(_, _, w)| w.as_str()).collect();
    assert_eq!(words, ["kw_host".to_string(), format!("kw_{host}")]);
    assert_eq!(v, k);
}
