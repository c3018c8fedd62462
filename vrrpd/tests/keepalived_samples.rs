//! keepalived's own sample configurations that use `virtual_routes`, `virtual_rules`,
//! `static_ipaddress` / `static_routes` / `static_rules` and `track_interface`
//! (`tests/keepalived-samples/`, copied from keepalived 2.2.7's `doc/samples/`) check
//! clean with `vrrpd -t`, in a network namespace that has every interface they name (so
//! that a missing interface is not what is reported).
//!
//! Clean means: every diagnostic vrrpd prints (`FILE:LINE: …`, warning or error) is on a
//! line keepalived 2.2.7's own `keepalived -t` complains about in the same namespace
//! (the samples have deprecated forms and a typo), or is vrrpd's reachability lint for
//! VIPs outside the interface's subnets (the samples use 192.168.0.0/16, which the tests
//! may not configure), and none says that something read is not applied (ignored,
//! skipped, not implemented); and every line keepalived reports as invalid, vrrpd reports
//! too, or it refuses the file at one of them (nothing read is silently dropped).
//! Needs root and keepalived (else SKIP).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use vrrp_lab::{Netns, Skip};

/// The samples, as named in keepalived's `doc/samples/`.
const SAMPLES: [&str; 4] = [
    "keepalived.conf.vrrp.routes",
    "keepalived.conf.vrrp.rules",
    "keepalived.conf.vrrp.static_ipaddress",
    "keepalived.conf.track_interface",
];

/// Every interface the samples name (`eth0.1` is a VLAN there; a veth of that name here).
const INTERFACES: [&str; 5] = ["eth0", "eth1", "eth2", "eth3", "eth0.1"];

/// vrrpd's own lint (not a keepalived keyword matter): a VIP outside every subnet of its
/// interface.
const SUBNET_LINT: &str = "outside every subnet";

/// What vrrpd says when it does not apply what it read: never clean, whatever keepalived
/// says about the line.
const NOT_APPLIED: [&str; 3] = ["ignored", "not implemented", "skipped"];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keepalived-samples")
        .join(name)
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// Line numbers in keepalived's `(FILE: Line N) message` diagnostics, and those of them
/// whose message says something is invalid.
fn keepalived_lines(out: &str) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let mut all = BTreeSet::new();
    let mut invalid = BTreeSet::new();
    for l in out.lines() {
        let Some(rest) = l.split_once(": Line ").map(|(_, r)| r) else {
            continue;
        };
        let Some(n) = rest.split(')').next().and_then(|n| n.trim().parse().ok()) else {
            continue;
        };
        all.insert(n);
        if l.to_ascii_lowercase().contains("invalid") {
            invalid.insert(n);
        }
    }
    (all, invalid)
}

/// `(line number, text)` of vrrpd's `FILE:LINE: …` diagnostics about `file`.
fn vrrpd_lines(out: &str, file: &Path) -> Vec<(u32, String)> {
    let prefix = format!("{}:", file.display());
    out.lines()
        .filter_map(|l| {
            let at = l.find(&prefix)?;
            let rest = &l[at + prefix.len()..];
            let (n, _) = rest.split_once(':')?;
            Some((n.parse().ok()?, l.to_owned()))
        })
        .collect()
}

#[test]
fn keepalived_samples_check_clean_where_their_interfaces_exist() {
    let test = "keepalived_samples_check_clean_where_their_interfaces_exist";
    if !Skip::check(test)
        .root("network namespaces")
        .program("keepalived")
        .ok()
    {
        return;
    }
    let ns = Netns::unique("vrrpsmp").unwrap();
    for (i, dev) in INTERFACES.iter().enumerate() {
        let peer = format!("peer{i}");
        ns.veth_local(dev, &peer).unwrap();
        ns.set_link(dev, true).unwrap();
        ns.set_link(&peer, true).unwrap();
    }
    let mut problems = Vec::new();
    for name in SAMPLES {
        let file = sample(name);
        let k = ns
            .command("keepalived")
            .args(["-t", "-l", "-f"])
            .arg(&file)
            .output()
            .unwrap();
        let k = text(&k);
        let (k_lines, k_invalid) = keepalived_lines(&k);
        let v = ns
            .command(env!("CARGO_BIN_EXE_vrrpd"))
            .arg("-t")
            .arg("-f")
            .arg(&file)
            .output()
            .unwrap();
        let ok = v.status.success();
        let v = text(&v);
        let diags = vrrpd_lines(&v, &file);
        for (n, l) in &diags {
            if NOT_APPLIED.iter().any(|w| l.contains(w)) {
                problems.push(format!("{name}: not applied: {l}"));
            } else if !k_lines.contains(n) && !l.contains(SUBNET_LINT) {
                problems.push(format!("{name}: vrrpd only: {l}"));
            }
        }
        // A refusal stops at its first line; an accepted file must name every invalid one.
        for n in k_invalid.iter().filter(|_| ok) {
            if !diags.iter().any(|(m, _)| m == n) {
                problems.push(format!(
                    "{name}:{n}: keepalived reports it invalid, vrrpd says nothing"
                ));
            }
        }
        if !ok && diags.is_empty() {
            problems.push(format!(
                "{name}: vrrpd -t failed without naming a line:\n{v}"
            ));
        }
        eprintln!("----- {name}: keepalived -t -----\n{k}----- {name}: vrrpd -t -----\n{v}");
    }
    assert!(
        problems.is_empty(),
        "{test}: vrrpd -t is not clean on keepalived's samples:\n{}",
        problems.join("\n")
    );
}

#[test]
fn diagnostics_are_read_with_their_line_numbers() {
    let (all, invalid) = keepalived_lines(
        "(/x/k.conf: Line 10) Rule has no preference specified\n\
         (/x/k.conf: Line 11) VRRP parsed invalid IP 192.168.100./24. skipping IP...\n\
         Non-existent interface specified in configuration\n",
    );
    assert_eq!(all.into_iter().collect::<Vec<_>>(), [10, 11]);
    assert_eq!(invalid.into_iter().collect::<Vec<_>>(), [11]);
    let v = vrrpd_lines(
        "/x/k.conf:7: warning: 'static_routes' is not implemented\n\
         12:00:00.000 ERROR: /x/k.conf:18: '+' is not an IP address\n\
         /x/k.conf: configuration OK: 1 vrrp_instance\n\
         /x/other.conf:3: warning: elsewhere\n",
        Path::new("/x/k.conf"),
    );
    let lines: Vec<u32> = v.iter().map(|(n, _)| *n).collect();
    assert_eq!(lines, [7, 18]);
}

/// keepalived's `keepalived.conf.conditional_conf` (`@high` / `@low` lines, `net_namespace`,
/// `use_vmac`, eth0 / eth2 / eth3): `vrrpd -t -i high` and `-i low` check it clean in a
/// namespace with those interfaces. The sample names its namespaces `high` and `low`, which
/// a test may not create: `-s` points both daemons at the test's namespace (keepalived:
/// "Overriding config net_namespace"). Its scripts do not exist here: keepalived says
/// "Disabling track script check_VI_0 since not found/accessible", vrrpd warns at the
/// `vrrp_script` (line 6), both run without it. Without `-s`, where no namespace `high`
/// exists, keepalived -t and vrrpd -t both accept the file (vrrpd notes, with no line, that
/// interfaces are not checked).
#[test]
fn conditional_conf_checks_clean_with_config_id() {
    let test = "conditional_conf_checks_clean_with_config_id";
    if !Skip::check(test)
        .root("network namespaces")
        .program("keepalived")
        .ok()
    {
        return;
    }
    let ns = Netns::unique("vrrpcnd").unwrap();
    for (i, dev) in ["eth0", "eth2", "eth3"].iter().enumerate() {
        let peer = format!("peer{i}");
        ns.veth_local(dev, &peer).unwrap();
        ns.set_link(dev, true).unwrap();
        ns.set_link(&peer, true).unwrap();
    }
    let file = sample("keepalived.conf.conditional_conf");
    let mut problems = Vec::new();
    for id in ["high", "low"] {
        let run = |program: &str, extra: &[&str]| {
            let o = ns
                .command(program)
                .args(extra)
                .args(["-i", id, "-s", ns.name(), "-f"])
                .arg(&file)
                .output()
                .unwrap();
            (o.status.success(), text(&o))
        };
        let (_, k) = run("keepalived", &["-t", "-l"]);
        let (ok, v) = run(env!("CARGO_BIN_EXE_vrrpd"), &["-t"]);
        eprintln!("----- -i {id}: keepalived -t -----\n{k}----- -i {id}: vrrpd -t -----\n{v}");
        if !ok {
            problems.push(format!("-i {id}: vrrpd -t refuses the file:\n{v}"));
        }
        let (k_lines, _) = keepalived_lines(&k);
        let script_missing = k.contains("Disabling track script check_VI_0");
        for (n, l) in vrrpd_lines(&v, &file) {
            let about_script = n == 6 && script_missing;
            if NOT_APPLIED.iter().any(|w| l.contains(w)) {
                problems.push(format!("-i {id}: not applied: {l}"));
            } else if !k_lines.contains(&n) && !l.contains(SUBNET_LINT) && !about_script {
                problems.push(format!("-i {id}: vrrpd only: {l}"));
            }
        }
        let script = format!("/etc/keepalived/scripts/check_{id}_VI_0.sh");
        if !v.contains(&script) {
            problems.push(format!("-i {id}: vrrpd -t does not read {script}:\n{v}"));
        }
    }
    // Namespace `high` (almost certainly) absent: accepted by both, vrrpd says why it did
    // not look at interfaces.
    if !Path::new("/run/netns/high").exists() {
        let k = ns
            .command("keepalived")
            .args(["-t", "-l", "-i", "high", "-f"])
            .arg(&file)
            .status()
            .unwrap();
        let v = ns
            .command(env!("CARGO_BIN_EXE_vrrpd"))
            .args(["-t", "-i", "high", "-f"])
            .arg(&file)
            .output()
            .unwrap();
        let vt = text(&v);
        assert!(
            k.success(),
            "keepalived -t -i high without the namespace: {k}"
        );
        assert!(v.status.success(), "{vt}");
        assert!(
            vt.contains("note: interfaces not checked: network namespace high does not exist"),
            "{vt}"
        );
    }
    assert!(problems.is_empty(), "{test}:\n{}", problems.join("\n"));
}
