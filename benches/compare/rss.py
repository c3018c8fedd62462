#!/usr/bin/python3
"""Peak memory of one daemon pair on compare.py's 1000-router scale setup (issue 14).

Run as root:  /usr/bin/python3 benches/compare/rss.py [--vrrpd PATH] [--wait S]
                                                      [--advert 1|0.1] [--wrap CMD]

Builds compare.py's scale topology (4 links x 250 VRIDs, A master, B backup), starts the
daemon on B then A, waits, and prints for each node VmHWM, VmRSS, RssAnon, RssFile and the
resident size of every mapping of each (smaps, grouped by file: binary, libc, heap, anonymous).
`--wrap "heaptrack -o /tmp/ht"` runs A's (`--wrap-node B`: B's) daemon under a wrapper (its
figures then are the wrapper's); with `--wrap-signal 9` heaptrack reports what is live at the
end as leaked. Removes what it made.
"""

import argparse
import importlib.util
import os
import shlex
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("compare", os.path.join(HERE, "compare.py"))
cmp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cmp)


def smaps(pid):
    """Resident KiB per mapping name of pid."""
    out = {}
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5 and ":" not in fields[0]:
                name = fields[5] if len(fields) > 5 else "[anon]"
            elif fields[0] == "Rss:":
                out[name] = out.get(name, 0) + int(fields[1])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vrrpd", default=os.path.join(HERE, "../../target/release/vrrpd"))
    ap.add_argument("--wait", type=float, default=10.0)
    ap.add_argument("--advert", default="1")
    ap.add_argument("--wrap", default=None)
    ap.add_argument("--wrap-node", choices=["A", "B"], default="A")
    ap.add_argument("--wrap-signal", type=int, default=15,
                    help="signal for the wrapped daemon (9: what is live then is 'leaked')")
    ap.add_argument("--trim", action="store_true",
                    help="then call malloc_trim(0) in A (gdb) and show its RSS again: how much "
                         "of A's heap is free memory glibc keeps")
    ap.add_argument("--trace", type=float, default=0.0,
                    help="print A's and B's RSS whenever it changes during the first S seconds")
    args = ap.parse_args()
    cmp.WORKDIR = tempfile.mkdtemp(prefix="vrrpd-rss-")
    cmp.SCALE_ADVERT = args.advert
    exe = os.path.abspath(args.vrrpd)
    topo = cmp.Topo("rs", links=cmp.SCALE_LINKS, client=False, addrs=cmp.scale_addrs())
    a = b = None
    try:
        ca = cmp.write_conf("rs", "A", cmp.conf_scale("A"))
        cb = cmp.write_conf("rs", "B", cmp.conf_scale("B"))
        a_exe = exe
        if args.wrap:
            a_exe = os.path.join(cmp.WORKDIR, "wrap.sh")
            with open(a_exe, "w") as f:
                f.write("#!/bin/sh\nexec %s %s \"$@\"\n" % (args.wrap, shlex.quote(exe)))
            os.chmod(a_exe, 0o755)
        a = cmp.Daemon("vrrpd", a_exe if args.wrap_node == "A" else exe, topo.ns["A"], ca, "A")
        b = cmp.Daemon("vrrpd", a_exe if args.wrap_node == "B" else exe, topo.ns["B"], cb, "B")
        b.start()
        a.start()
        t0 = time.monotonic()
        if args.trace:
            last = None
            while time.monotonic() - t0 < args.trace:
                now = tuple(d.status_kib(k) for d in (a, b) for k in ("VmRSS", "RssAnon"))
                if now != last:
                    print("  %.3fs A VmRSS %d RssAnon %d, B VmRSS %d RssAnon %d KiB" % (
                        (time.monotonic() - t0,) + now))
                    last = now
                time.sleep(0.002)
        time.sleep(max(0.0, args.wait - (time.monotonic() - t0)))
        n = cmp.scale_vip_count(topo.ns["A"]), cmp.scale_vip_count(topo.ns["B"])
        print("VIPs A=%d B=%d" % n)
        for d in (a, b):
            print("%s: " % d.label + ", ".join(
                "%s %.2f MiB" % (k, d.status_kib(k) / 1024)
                for k in ("VmHWM", "VmRSS", "RssAnon", "RssFile")))
        for d in (a, b):
            if d.pids():
                for name, kib in sorted(smaps(max(d.pids())).items(), key=lambda x: -x[1]):
                    if kib:
                        print("  %s %-50s %6d KiB" % (d.label, name, kib))
        pids = a.pids()
        if args.trim and pids:
            import subprocess
            subprocess.run(["gdb", "-p", str(max(pids)), "-batch", "-ex",
                            "call (int) malloc_trim(0)"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            print("A after malloc_trim: " + ", ".join(
                "%s %.2f MiB" % (k, a.status_kib(k) / 1024) for k in ("VmRSS", "RssAnon")))
        if args.wrap:
            # SIGTERM to the daemon itself (not the wrapper), so the wrapper writes its data.
            for pid in (a if args.wrap_node == "A" else b).pids():
                try:
                    if os.readlink("/proc/%d/exe" % pid) == exe:
                        os.kill(pid, args.wrap_signal)
                except OSError:
                    pass
            time.sleep(5)
    finally:
        for d in (a, b):
            if d:
                d.stop()
        topo.destroy()


if __name__ == "__main__":
    sys.exit(main())
