#!/usr/bin/python3
"""Reliability under churn at 1000 routers (issue 13).

Run as root:  /usr/bin/python3 benches/churn/churn.py [--vrrpd PATH] [--reload-window 60]

A pair of vrrpd, A master and B backup, on compare.py's 1000-router topology and
configuration (4 interfaces x 250 VRIDs, advert_int 1), then four phases:

1. reloads: SIGHUP to both every 2 s for --reload-window seconds, with configurations that
   alternate: half the instances' priority changed (A 150 <-> 140, B 100 <-> 90: never a
   reason to change state), 10 instances removed and added back, one renamed;
2. interface: eth3 of A (250 instances) deleted, then created again (new ifindex);
3. VIP already present: the VIP of VI_0_5 added by hand on B's eth0 while B is backup, then
   A's VI_0_5 priority lowered by a reload so that B becomes master and finds it there;
4. netlink overrun: a storm of 300 veth pairs created in each namespace with A's eth2 set
   down at its end, then deleted with eth2 set up at its end; both daemons run with
   keepalived's `vrrp_netlink_monitor_rcv_bufs 1024` (force; the kernel raises it to its minimum, a few KiB) throughout.

For each phase: state changes of the instances the phase did not mean to touch (flaps), from
the daemons' "(NAME) Entering X STATE" lines; the intended ones beside them. Before and
after: VmRSS / VmHWM, runner slots allocated vs live, sockets open, and the counters of
`vrrpd status --json`. Reload durations from "Reload finished: ... in N ms". Prints a
markdown report on stdout; progress on stderr.

Topology, daemons and the base configuration come from ../compare/compare.py.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare"))
import compare  # noqa: E402
from compare import Daemon, Topo, log, sh, wait_until  # noqa: E402

ENTERING = re.compile(r"\((\S+)\) Entering (\w+) STATE")
RELOAD = re.compile(r"Reload finished: \d+ instance\(s\) in (\d+) ms")
MONITOR_BUFS = 1024
TOTAL = 0


def name(i, v):
    return "VI_%d_%d" % (i, v)


# ------------------------------------------------------------------ configuration variants

def blocks(text):
    """compare.conf_scale's text as (global_defs, [(name, block)])."""
    parts = text.split("vrrp_instance ")
    head, out = parts[0], []
    for p in parts[1:]:
        out.append((p.split()[0], "vrrp_instance " + p))
    return head, out


ADDED_REMOVED = {name(3, v) for v in range(241, 251)}
RENAMED = name(0, 1)
LOWERED = name(0, 5)


def conf(node, variant, lower=False):
    """Variant 0 is compare.conf_scale as it is; variant 1 changes the priority of every
    even VRID, drops ADDED_REMOVED and renames RENAMED (RENAMED + "r"). `lower`: A's LOWERED
    instance at priority 50 (below B's 100)."""
    head, bl = blocks(compare.conf_scale(node))
    head = head.replace("global_defs {\n", "global_defs {\n    vrrp_netlink_monitor_rcv_bufs "
                        "%d\n    vrrp_netlink_monitor_rcv_bufs_force\n" % MONITOR_BUFS)
    prio = 150 if node == "A" else 100
    out = [head]
    for n, b in bl:
        vrid = int(re.search(r"virtual_router_id (\d+)", b).group(1))
        if variant == 1:
            if n in ADDED_REMOVED:
                continue
            if n == RENAMED:
                b = b.replace("vrrp_instance %s " % n, "vrrp_instance %sr " % n, 1)
            if vrid % 2 == 0:
                b = b.replace("priority %d" % prio, "priority %d" % (prio - 10))
        if lower and node == "A" and n == LOWERED:
            b = re.sub(r"priority \d+", "priority 50", b)
        out.append(b)
    return "".join(out)


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ------------------------------------------------------------------ observation

def status(d):
    sock = os.path.join(compare.WORKDIR, "%s-vrrpd" % d.ns, "vrrpd.sock")
    r = subprocess.run([d.exe, "status", "--json", "--control", sock],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=30)
    return json.loads(r.stdout) if r.returncode == 0 else None


def states(st):
    return {i["name"]: i["state"] for i in st["instances"]} if st else {}


def changes(d, t0, t1):
    """(instance name, new state) for every state change logged in [t0, t1]."""
    d.refresh()
    out = []
    for t, line in list(d.lines):
        if t0 <= t <= t1:
            m = ENTERING.search(line)
            if m:
                out.append((m.group(1), m.group(2)))
    return out


def reload_ms(d, t0, t1):
    d.refresh()
    return [int(m.group(1)) for t, line in list(d.lines)
            if t0 <= t <= t1 for m in [RELOAD.search(line)] if m]


def mem(d):
    return {"VmRSS": d.status_kib("VmRSS"), "VmHWM": d.status_kib("VmHWM")}


def counters(st):
    c = {k: 0 for k in ["interface_gone", "interface_back", "vip_already_present",
                        "stale_vip_removed", "send_errors", "netlink_errors",
                        "announce_errors", "master_transitions"]}
    for i in st["instances"]:
        for k in c:
            c[k] += i["counters"][k]
    g = st["global"]
    c["netlink_overruns"] = g["netlink_overruns"]
    c["recv_errors"] = g["recv_errors"]
    c["runner_slots_allocated"] = st["slots"]["runner_slots_allocated"]
    c["runner_slots_live"] = st["slots"]["runner_slots_live"]
    c["sockets_open"] = st["slots"]["sockets_open"]
    c["reloads"] = st["reloads"]
    c["reloads_failed"] = st["reloads_failed"]
    return c


def converged(a, b, expect_a=None):
    sa, sb = states(status(a)), states(status(b))
    if len(sa) != TOTAL or len(sb) != TOTAL:
        return False
    want_a = expect_a or (lambda n: "MASTER")
    return all(sa[n] == want_a(n) for n in sa) and all(
        sb[n] == ("BACKUP" if want_a(n) == "MASTER" else "MASTER") for n in sb)


# ------------------------------------------------------------------ phases

class Phase:
    def __init__(self, a, b, label, intended):
        self.label, self.intended = label, intended
        # lines read until now are stamped before the phase
        self.t0 = compare.mark(a, b)
        self.t1 = None
        self.notes = []

    def end(self, a, b):
        self.t1 = compare.mark(a, b)
        self.res = {}
        for who, d in (("A", a), ("B", b)):
            ch = changes(d, self.t0, self.t1)
            self.res[who] = (sum(1 for n, _ in ch if not self.intended(n)),
                             sum(1 for n, _ in ch if self.intended(n)))
        return self


def storm(ns, count, verb, last):
    path = os.path.join(compare.WORKDIR, "storm-%s-%s.batch" % (ns, verb))
    lines = []
    for k in range(count):
        if verb == "add":
            lines.append("link add st%d type veth peer name su%d" % (k, k))
        else:
            lines.append("link del st%d" % k)
    lines.append(last)
    write(path, "\n".join(lines) + "\n")
    return ["ip", "-n", ns, "-batch", path]


def run(exe, window, storm_links):
    global TOTAL
    compare.SCALE_LINKS, compare.SCALE_PER_LINK = 4, 250
    TOTAL = compare.SCALE_LINKS * compare.SCALE_PER_LINK
    topo = Topo("ch", links=4, client=False, addrs=compare.scale_addrs())
    A, B = topo.ns["A"], topo.ns["B"]
    ca = os.path.join(compare.WORKDIR, "A.conf")
    cb = os.path.join(compare.WORKDIR, "B.conf")
    write(ca, conf("A", 0))
    write(cb, conf("B", 0))
    b = Daemon("vrrpd", exe, B, cb, "B")
    a = Daemon("vrrpd", exe, A, ca, "A")
    b.start()
    a.start()
    report = {"phases": []}
    try:
        t_conv = wait_until(lambda: compare.scale_vip_count(A) == TOTAL
                            and compare.scale_vip_count(B) == 0, 120, 0.25)
        if t_conv is None or not wait_until(lambda: converged(a, b), 60, 1.0):
            raise RuntimeError("no steady state (A 1000 MASTER, B 1000 BACKUP)")
        log("converged in %.1f s" % (t_conv - a.t_start))
        time.sleep(3)
        report["before"] = {"A": (mem(a), counters(status(a))), "B": (mem(b), counters(status(b)))}

        # 1. reloads every 2 s
        log("phase 1: SIGHUP every 2 s for %d s" % window)
        p = Phase(a, b, "reload every 2 s for %d s (%d reloads), alternating configs" % (
            window, window // 2), lambda n: n in ADDED_REMOVED or n in (RENAMED, RENAMED + "r"))
        t_start = time.monotonic()
        k = 0
        series = {"A": [], "B": []}     # (reloads done, VmRSS KiB) just before each SIGHUP
        for k in range(1, window // 2 + 1):
            write(ca, conf("A", k % 2))
            write(cb, conf("B", k % 2))
            a.signal_main(signal.SIGHUP)
            b.signal_main(signal.SIGHUP)
            time.sleep(max(0.0, t_start + 2.0 * k - time.monotonic() - 0.05))
            series["A"].append((k, a.status_kib("VmRSS")))
            series["B"].append((k, b.status_kib("VmRSS")))
            time.sleep(max(0.0, t_start + 2.0 * k - time.monotonic()))
        report["rss_series"] = series
        if k % 2 == 1:      # end on variant 0: every instance there
            k += 1
            write(ca, conf("A", 0))
            write(cb, conf("B", 0))
            a.signal_main(signal.SIGHUP)
            b.signal_main(signal.SIGHUP)
        ok = wait_until(lambda: converged(a, b), 60, 1.0)
        p.notes.append("%d reloads each; back to steady state: %s" % (k, "yes" if ok else "NO"))
        report["phases"].append(p.end(a, b))
        report["reload_ms"] = {"A": reload_ms(a, p.t0, p.t1), "B": reload_ms(b, p.t0, p.t1)}
        report["after_reloads"] = {"A": (mem(a), counters(status(a))),
                                   "B": (mem(b), counters(status(b)))}

        # 2. interface deleted and re-created under 250 instances
        log("phase 2: eth3 of A deleted and created again")
        S = topo.ns["S"]
        p = Phase(a, b, "A's eth3 (250 instances) deleted, then created again",
                  lambda n: n.startswith("VI_3_"))
        sh("ip", "-n", A, "link", "del", "eth3")
        on3 = lambda n: "FAULT" if n.startswith("VI_3_") else "MASTER"  # noqa: E731
        ok1 = wait_until(lambda: converged(a, b, on3), 60, 1.0)
        sh("ip", "-n", S, "link", "add", "pa3", "type", "veth", "peer", "name", "eth3",
           "netns", A)
        sh("ip", "-n", S, "link", "set", "pa3", "master", "br3", "up")
        sh("ip", "-n", A, "link", "set", "eth3", "address", compare.MAC["A"] % 3)
        sh("ip", "-n", A, "addr", "add", compare.scale_addrs()[("A", 3)], "dev", "eth3")
        t_up = time.monotonic()
        sh("ip", "-n", A, "link", "set", "eth3", "up")
        ok2 = wait_until(lambda: converged(a, b), 60, 0.5)
        p.notes.append("FAULT on A / MASTER on B: %s; all back on A: %s%s" % (
            "yes" if ok1 else "NO", "yes" if ok2 else "NO",
            " %.1f s after eth3 up" % (ok2 - t_up) if ok2 else ""))
        report["phases"].append(p.end(a, b))

        # 3. VIP already present on B's interface
        log("phase 3: VIP of %s pre-added on B's eth0" % LOWERED)
        p = Phase(a, b, "VIP of %s added by hand on B's eth0 (B backup), then A's priority lowered"
                  % LOWERED, lambda n: n == LOWERED)
        vip = compare.scale_vip(0, 5) + "/32"
        sh("ip", "-n", B, "addr", "add", vip, "dev", "eth0")
        time.sleep(5)
        quiet = states(status(b)).get(LOWERED)
        write(ca, conf("A", 0, lower=True))
        a.signal_main(signal.SIGHUP)
        low = lambda n: "BACKUP" if n == LOWERED else "MASTER"  # noqa: E731
        ok = wait_until(lambda: converged(a, b, low), 60, 0.5)
        n_on_b = sh("ip", "-n", B, "-o", "addr", "show", "dev", "eth0").count(" %s " % vip)
        p.notes.append("B's %s after 5 s with the VIP: %s; B master: %s; VIP on B's eth0 %d "
                       "time(s)" % (LOWERED, quiet, "yes" if ok else "NO", n_on_b))
        write(ca, conf("A", 0))
        a.signal_main(signal.SIGHUP)
        wait_until(lambda: converged(a, b), 60, 0.5)
        report["phases"].append(p.end(a, b))

        # 4. netlink overrun
        log("phase 4: link storm of %d veth pairs per namespace" % storm_links)
        p = Phase(a, b, "storm of %d veth pairs in A and B with A's eth2 set down at its end, then "
                  "deleted with eth2 set up" % storm_links, lambda n: n.startswith("VI_2_"))
        o0 = (status(a)["global"]["netlink_overruns"], status(b)["global"]["netlink_overruns"])
        procs = [subprocess.Popen(storm(A, storm_links, "add", "link set eth2 down")),
                 subprocess.Popen(storm(B, storm_links, "add", "link set lo up"))]
        for pr in procs:
            pr.wait()
        on2 = lambda n: "FAULT" if n.startswith("VI_2_") else "MASTER"  # noqa: E731
        ok1 = wait_until(lambda: converged(a, b, on2), 60, 0.5)
        procs = [subprocess.Popen(storm(A, storm_links, "del", "link set eth2 up")),
                 subprocess.Popen(storm(B, storm_links, "del", "link set lo up"))]
        for pr in procs:
            pr.wait()
        ok2 = wait_until(lambda: converged(a, b), 60, 0.5)
        o1 = (status(a)["global"]["netlink_overruns"], status(b)["global"]["netlink_overruns"])
        p.notes.append("overruns A +%d, B +%d; eth2 down seen (A FAULT, B MASTER): %s; eth2 up "
                       "seen (all back): %s" % (o1[0] - o0[0], o1[1] - o0[1],
                                                "yes" if ok1 else "NO", "yes" if ok2 else "NO"))
        report["phases"].append(p.end(a, b))
        time.sleep(2)
        report["after"] = {"A": (mem(a), counters(status(a))), "B": (mem(b), counters(status(b)))}
        report["alive"] = a.alive() and b.alive()
        return report
    finally:
        for d in (a, b):
            d.stop()
        topo.destroy()


def print_report(r, exe):
    print("# vrrpd under churn at 1000 routers (benches/churn/churn.py)\n")
    print("- date (UTC): %s; vrrpd: %s; load average at the end: %s" % (
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), exe, compare.loadavg()))
    print("- A master (priority 150), B backup (100), 4 interfaces x 250 VRIDs, advert_int 1, "
          "`vrrp_netlink_monitor_rcv_bufs %d` (force) on both\n" % MONITOR_BUFS)
    print("| phase | flaps A | flaps B | intended changes A / B | notes |")
    print("|---|---|---|---|---|")
    for p in r["phases"]:
        print("| %s | %d | %d | %d / %d | %s |" % (
            p.label, p.res["A"][0], p.res["B"][0], p.res["A"][1], p.res["B"][1],
            "; ".join(p.notes)))
    print("\nflaps: state changes of instances the phase did not touch; intended: of the "
          "instances it did (added, removed, renamed, on the deleted or downed interface, "
          "the lowered one).\n")
    ms = r["reload_ms"]
    for who in "AB":
        v = sorted(ms[who])
        if v:
            print("- reload duration %s: %d reloads, median %d ms, max %d ms" % (
                who, len(v), v[len(v) // 2], v[-1]))
    for who in "AB":
        pts = [(k, v) for k, v in r["rss_series"][who] if k in (1, 2, 5) or k % 5 == 0]
        print("- VmRSS %s after N reloads (KiB): %s" % (
            who, ", ".join("%d: %d" % p for p in pts)))
    print()
    keys = ["VmRSS", "VmHWM"]
    print("| node | when | VmRSS KiB | VmHWM KiB | slots allocated / live | sockets | reloads |")
    print("|---|---|---|---|---|---|---|")
    for who in "AB":
        for when in ("before", "after_reloads", "after"):
            m, c = r[when][who]
            print("| %s | %s | %d | %d | %d / %d | %d | %d |" % (
                who, when.replace("_", " "), m[keys[0]], m[keys[1]],
                c["runner_slots_allocated"], c["runner_slots_live"], c["sockets_open"],
                c["reloads"]))
    print()
    ck = ["interface_gone", "interface_back", "vip_already_present", "stale_vip_removed",
          "netlink_overruns", "send_errors", "netlink_errors", "announce_errors",
          "recv_errors", "reloads_failed"]
    print("| counter (end of run) | A | B |")
    print("|---|---|---|")
    for k in ck:
        print("| %s | %d | %d |" % (k, r["after"]["A"][1][k], r["after"]["B"][1][k]))
    print("\nboth daemons alive at the end: %s" % ("yes" if r["alive"] else "NO"))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--vrrpd", default=None)
    ap.add_argument("--reload-window", type=int, default=60)
    ap.add_argument("--storm-links", type=int, default=300)
    ap.add_argument("--keep-logs", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (network namespaces)")
    if args.vrrpd is None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        tgt = os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target")
        args.vrrpd = os.path.join(tgt, "release", "vrrpd")
    args.vrrpd = os.path.abspath(args.vrrpd)
    if not os.access(args.vrrpd, os.X_OK):
        sys.exit("no vrrpd at %s: cargo build --release -p vrrpd, or pass --vrrpd" % args.vrrpd)
    compare.WORKDIR = tempfile.mkdtemp(prefix="vrrp-churn-")
    os.chmod(compare.WORKDIR, 0o755)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        r = run(args.vrrpd, args.reload_window, args.storm_links)
        print_report(r, args.vrrpd)
    finally:
        compare.cleanup()
        if args.keep_logs:
            log("logs kept in %s" % compare.WORKDIR)
        else:
            subprocess.run(["rm", "-rf", compare.WORKDIR])


if __name__ == "__main__":
    main()
