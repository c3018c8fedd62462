#!/usr/bin/python3
"""Side-by-side measurements of vrrpd and keepalived (issue 7).

Run as root:  sudo /usr/bin/python3 benches/compare/compare.py [--reps N] [--only SCENARIO]
                                                           [--vrrpd PATH] [--keepalived PATH]

Every run builds its own network namespaces (routers A and B, client C, and a "switch"
namespace holding one bridge per link), writes ONE keepalived.conf template per scenario
(only the interface addresses, state and priority differ between A and B), starts the
daemons in the same order with the same command-line shape, observes them with the same
probes, and removes everything it made (also on Ctrl-C). See README.md next to this file.
"""

import argparse
import os
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

PREFIX = "cmp%d" % os.getpid()
CREATED_NS = []          # namespaces this process made (removed in cleanup)
STARTED = []             # Popen objects this process started (killed in cleanup)
WORKDIR = None

VIP = "192.0.2.100"
ADDR = {"A": "192.0.2.1", "B": "192.0.2.2", "C": "192.0.2.3"}
MAC = {"A": "02:00:00:00:0a:%02x", "B": "02:00:00:00:0b:%02x", "C": "02:00:00:00:0c:%02x"}

SCENARIOS = ["cut", "sigterm", "kill9", "nopreempt", "fast", "scale", "loss"]


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def sh(*args, check=True, quiet=False):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s -> %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# --------------------------------------------------------------------------- topology

class Topo:
    """S (bridges br0..brN-1), A and B (eth0..ethN-1, one per bridge), C (eth0 on br0)."""

    def __init__(self, tag, links=1, client=True, addrs=None, bridge=True):
        self.tag = tag
        self.ns = {n: "%s%s%s" % (PREFIX, tag, n) for n in "SABC"}
        self.links = links
        nodes = ["A", "B"] + (["C"] if client else [])
        for n in ["S"] + nodes:
            sh("ip", "netns", "add", self.ns[n])
            CREATED_NS.append(self.ns[n])
            sh("ip", "-n", self.ns[n], "link", "set", "lo", "up")
        S = self.ns["S"]
        for i in range(links):
            sh("ip", "-n", S, "link", "add", "br%d" % i, "type", "bridge", "forward_delay", "0",
               "mcast_snooping", "0")
            sh("ip", "-n", S, "link", "set", "br%d" % i, "up")
        for n in nodes:
            for i in range(links if n != "C" else 1):
                port = "p%s%d" % (n.lower(), i)
                sh("ip", "-n", S, "link", "add", port, "type", "veth", "peer", "name",
                   "eth%d" % i, "netns", self.ns[n])
                if bridge or i > 0:
                    sh("ip", "-n", S, "link", "set", port, "master", "br%d" % i, "up")
                else:
                    sh("ip", "-n", S, "link", "set", port, "up")
                sh("ip", "-n", self.ns[n], "link", "set", "eth%d" % i, "address", MAC[n] % i)
                a = (addrs or {}).get((n, i)) or (ADDR[n] + "/24" if i == 0 else None)
                if a:
                    sh("ip", "-n", self.ns[n], "addr", "add", a, "dev", "eth%d" % i)
                sh("ip", "-n", self.ns[n], "link", "set", "eth%d" % i, "up")

    def destroy(self):
        for n in "CBAS":
            name = self.ns[n]
            if name in CREATED_NS:
                subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)
                CREATED_NS.remove(name)


# --------------------------------------------------------------------------- daemons

class Daemon:
    """keepalived or vrrpd in a namespace; its own session so that killpg reaches every
    process it forks (keepalived: parent + VRRP child) and nothing else."""

    def __init__(self, kind, exe, ns, conf, label):
        self.kind, self.exe, self.ns, self.conf, self.label = kind, exe, ns, conf, label
        self.lines = []            # (monotonic time read, line)
        self.proc = None
        self.t_start = None

    def start(self):
        d = os.path.join(WORKDIR, "%s-%s" % (self.ns, self.kind))
        os.makedirs(d, exist_ok=True)
        if self.kind == "keepalived":
            args = [self.exe, "-n", "-l", "-D", "-P", "-f", self.conf,
                    "-p", d + "/ka.pid", "-r", d + "/vrrp.pid", "-c", d + "/check.pid"]
        else:
            args = [self.exe, "-n", "-l", "-f", self.conf, "-p", d + "/vrrpd.pid",
                    "--control", d + "/vrrpd.sock"]
        # stdout/stderr straight into a file (no pipe: a slow reader must not throttle the
        # daemon); refresh() reads what is new and stamps it with the time it was read.
        self.logpath = d + "/%s.log" % self.label
        self.logfile = open(self.logpath, "ab")
        self._pos = self.logfile.tell()
        self._partial = b""
        self.t_start = time.monotonic()
        # `ip netns exec` execs the daemon: self.proc.pid is the daemon's (main) pid.
        pin = ["taskset", "-c", str(PIN[self.label])] if PIN else []
        self.proc = subprocess.Popen(pin + ["ip", "netns", "exec", self.ns] + args,
                                     stdout=self.logfile, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        STARTED.append(self.proc)

    def refresh(self):
        """Read the log lines written since the last call; stamp them with now."""
        if not self.proc:
            return
        with open(self.logpath, "rb") as f:
            f.seek(self._pos)
            data = f.read()
        self._pos += len(data)
        data = self._partial + data
        parts = data.split(b"\n")
        self._partial = parts.pop()
        now = time.monotonic()
        for raw in parts:
            self.lines.append((now, raw.decode(errors="replace")))

    def pids(self):
        """Every live process of this daemon's session."""
        out = []
        if not self.proc:
            return out
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % p) as f:
                    st = f.read()
            except OSError:
                continue
            fields = st[st.rindex(")") + 2:].split()
            if int(fields[3]) == self.proc.pid:   # session id
                out.append(int(p))
        return out

    def cpu_seconds(self):
        tck = os.sysconf("SC_CLK_TCK")
        total = 0
        for p in self.pids():
            try:
                with open("/proc/%d/stat" % p) as f:
                    st = f.read()
            except OSError:
                continue
            fields = st[st.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])     # utime, stime
        return total / tck

    def status_kib(self, field):
        """Sum of a /proc/PID/status field (kB) over the daemon's processes."""
        total = 0
        for p in self.pids():
            try:
                with open("/proc/%d/status" % p) as f:
                    for line in f:
                        if line.startswith(field + ":"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def rss_hwm_kib(self):
        return self.status_kib("VmHWM")

    def transitions(self, since=0.0, until=None, word=None):
        self.refresh()
        n = 0
        for t, line in list(self.lines):
            if t < since or (until is not None and t > until):
                continue
            if "Entering" in line and "STATE" in line and (word is None or word in line):
                n += 1
        return n

    def seen(self, text, since=0.0):
        self.refresh()
        return any(text in line for t, line in list(self.lines) if t >= since)

    def close_log(self):
        try:
            self.logfile.close()
        except Exception:
            pass

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal_main(self, sig):
        os.kill(self.proc.pid, sig)

    def signal_all(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self):
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.signal_main(signal.SIGTERM)
            try:
                self.proc.wait(8)
            except subprocess.TimeoutExpired:
                pass
        self.signal_all(signal.SIGKILL)   # leftovers of the session, if any
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        if self.proc in STARTED:
            STARTED.remove(self.proc)
        self.close_log()


# --------------------------------------------------------------------------- observers

def vip_count(ns, prefix=None):
    """Number of VIP (/32) addresses in ns; with prefix=None: 1 if VIP is there else 0."""
    out = subprocess.run(["ip", "-n", ns, "-o", "-4", "addr", "show"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    if prefix is None:
        return 1 if (" %s/32 " % VIP) in out else 0
    return sum(1 for line in out.splitlines() if " inet %s" % prefix in line and "/32 " in line)


def scale_vip_count(ns):
    return vip_count(ns, "")


class Sampler:
    """Samples `ip -n NS -o addr` every `period` seconds in its own thread."""

    def __init__(self, ns, period=0.01, prefix=None):
        self.ns, self.period, self.prefix = ns, period, prefix
        self.samples = []      # (t, count)
        self._stop = False
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        nxt = time.monotonic()
        while not self._stop:
            c = vip_count(self.ns, self.prefix)
            self.samples.append((time.monotonic(), c))
            nxt += self.period
            d = nxt - time.monotonic()
            if d > 0:
                time.sleep(d)
            else:
                nxt = time.monotonic()

    def last(self):
        return self.samples[-1][1] if self.samples else None

    def stop(self):
        self._stop = True
        self.th.join(2)


def merged(sa, sb, t0, t1):
    """Step-function merge of two samplers: list of (t, a, b) from t0 to t1."""
    ev = sorted([(t, "A", c) for t, c in sa.samples if t0 <= t <= t1] +
                [(t, "B", c) for t, c in sb.samples if t0 <= t <= t1])
    a = b = None
    out = []
    for t, who, c in ev:
        if who == "A":
            a = c
        else:
            b = c
        if a is not None and b is not None:
            out.append((t, a, b))
    return out


def both_time(sa, sb, t0, t1):
    m = merged(sa, sb, t0, t1)
    tot = 0.0
    for (t, a, b), (t2, _, _) in zip(m, m[1:] + [(t1, 0, 0)]):
        if a and b:
            tot += t2 - t
    return tot


class Probe:
    """compare.py --probe in C's namespace: pings the VIP every 10 ms, reports the source
    MAC of each echo reply, every VRRP advert and every ARP for the VIP (kernel timestamps)."""

    def __init__(self, ns):
        self.events = []     # (t, kind, who, extra)
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable,
                                      os.path.abspath(__file__), "--probe", VIP, "eth0"],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        STARTED.append(self.proc)
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for raw in self.proc.stdout:
            p = raw.decode().split()
            self.events.append((float(p[1]), p[0], p[2], p[3] if len(p) > 3 else ""))

    def first(self, kind, who, after, extra=None):
        for t, k, w, x in list(self.events):
            if k == kind and w == who and t > after and (extra is None or x == extra):
                return t
        return None

    def last(self, kind, who, before):
        r = None
        for t, k, w, x in list(self.events):
            if k == kind and w == who and t <= before:
                r = t
        return r

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        STARTED.remove(self.proc)


def probe_main(vip, ifname):
    """Runs inside C's namespace."""
    ETH_P_ALL = 3
    SO_TIMESTAMPNS = 35
    pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    pk.bind((ifname, 0))
    pk.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    pk.setblocking(False)
    ic = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    vipb = socket.inet_aton(vip)
    ident = os.getpid() & 0xFFFF
    out = sys.stdout
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))

    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        s = (s >> 16) + (s & 0xFFFF)
        s += s >> 16
        return ~s & 0xFFFF

    seq = 0
    nxt = time.monotonic()
    off = time.time() - time.monotonic()
    while True:
        now = time.monotonic()
        if now >= nxt:
            seq = (seq + 1) & 0xFFFF
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"probe"
            pkt = struct.pack("!BBHHH", 8, 0, csum(hdr), ident, seq) + b"probe"
            try:
                ic.sendto(pkt, (vip, 0))
            except OSError:
                pass
            nxt += 0.01
            if nxt < now:
                nxt = now + 0.01
            if seq % 100 == 0:
                off = time.time() - time.monotonic()
        select.select([pk], [], [], max(0.0, nxt - time.monotonic()))
        while True:
            try:
                data, anc, _, addr = pk.recvmsg(2048, 64)
            except BlockingIOError:
                break
            if addr[2] == 4:      # PACKET_OUTGOING
                continue
            ts = None
            for lvl, typ, val in anc:
                if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", val[:16])
                    ts = sec + nsec / 1e9 - off
            if ts is None:
                ts = time.monotonic()
            src = ":".join("%02x" % x for x in data[6:12])
            et = data[12:14]
            if et == b"\x08\x00":
                ihl = (data[14] & 15) * 4
                proto = data[23]
                sip = data[26:30]
                if proto == 1 and sip == vipb and data[14 + ihl] == 0:
                    rid, = struct.unpack("!H", data[14 + ihl + 4:14 + ihl + 6])
                    if rid == ident:
                        out.write("R %.6f %s\n" % (ts, src))
                elif proto == 112:
                    prio = data[14 + ihl + 2]
                    out.write("V %.6f %s %d\n" % (ts, src, prio))
            elif et == b"\x08\x06" and data[14 + 14:14 + 18] == vipb:
                out.write("G %.6f %s\n" % (ts, src))
        out.flush()


def impair_main(ports, impaired, loss, delay_ms):
    """Runs inside the switch namespace when netem is missing: a userspace switch between
    `ports` (AF_PACKET, flooding every frame to every other port); frames leaving through a
    port in `impaired` are dropped with probability `loss` % and the rest held `delay_ms`
    (in order), which is what `tc qdisc add dev PORT root netem loss L% delay D ms` does."""
    import heapq
    import random
    ETH_P_ALL = 3
    ports = ports.split(",")
    impaired = set(impaired.split(","))
    loss = float(loss) / 100.0
    delay = float(delay_ms) / 1000.0
    socks = {}
    for p in ports:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((p, 0))
        s.setblocking(False)
        socks[p] = s
    byfd = {s.fileno(): p for p, s in socks.items()}
    queue = []     # (due, n, port, frame)
    n = 0
    counts = {"in": 0, "dropped": 0, "sent": 0}
    signal.signal(signal.SIGTERM, lambda *a: (sys.stdout.write("%s\n" % counts),
                                              sys.stdout.flush(), os._exit(0)))
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, p, frame = heapq.heappop(queue)
            try:
                socks[p].send(frame)
                counts["sent"] += 1
            except OSError:
                pass
        timeout = max(0.0, queue[0][0] - now) if queue else 1.0
        r, _, _ = select.select(list(socks.values()), [], [], timeout)
        for s in r:
            src = byfd[s.fileno()]
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == 4:     # PACKET_OUTGOING: our own sends
                    continue
                counts["in"] += 1
                t = time.monotonic()
                for p in ports:
                    if p == src:
                        continue
                    if p in impaired:
                        if random.random() < loss:
                            counts["dropped"] += 1
                            continue
                        heapq.heappush(queue, (t + delay, n, p, frame))
                    else:
                        heapq.heappush(queue, (t, n, p, frame))
                    n += 1


# --------------------------------------------------------------------------- configs

def conf_single(node, version, advert_int, nopreempt=False):
    state = "BACKUP" if nopreempt or node == "B" else "MASTER"
    prio = 150 if node == "A" else 100
    return """global_defs {
    router_id cmp_%(node)s
}
vrrp_instance VI_1 {
    state %(state)s
    interface eth0
    virtual_router_id 51
    priority %(prio)d
    advert_int %(adv)s
    version %(ver)d
%(np)s    virtual_ipaddress {
        %(vip)s
    }
}
""" % dict(node=node, state=state, prio=prio, adv=advert_int, ver=version,
           np="    nopreempt\n" if nopreempt else "", vip=VIP)


# --pin: CPU of each node's daemon (both daemons alike), or None
PIN = None

SCALE_LINKS = 4
SCALE_PER_LINK = 250


SCALE_VIPS = "dup"
# scale: advert_int of every instance ("1": VRRPv2; below 1 s: VRRPv3, centiseconds)
SCALE_ADVERT = "1"


def scale_vip(i, v):
    if SCALE_VIPS == "dup":      # 192.0.2.v on every link
        return "192.0.2.%d" % v
    return "%s.%d" % (("192.0.2", "198.51.100")[i % 2], v)


def scale_addrs():
    a = {}
    for i in range(SCALE_LINKS):
        if SCALE_VIPS == "dup":
            # node addresses: eth i of A/B in 198.51.100.64*i/26; VIPs 192.0.2.1..250 on each
            a[("A", i)] = "198.51.100.%d/26" % (64 * i + 1)
            a[("B", i)] = "198.51.100.%d/26" % (64 * i + 2)
        else:
            base = ("192.0.2", "198.51.100")[i % 2]
            a[("A", i)] = "%s.%d/24" % (base, 251 + 2 * (i // 2))
            a[("B", i)] = "%s.%d/24" % (base, 252 + 2 * (i // 2))
    return a


def conf_scale(node):
    state = "MASTER" if node == "A" else "BACKUP"
    prio = 150 if node == "A" else 100
    version = "" if SCALE_ADVERT == "1" else "    version 3\n"
    parts = ["global_defs {\n    router_id cmp_%s\n}\n" % node]
    for i in range(SCALE_LINKS):
        for v in range(1, SCALE_PER_LINK + 1):
            parts.append("""vrrp_instance VI_%d_%d {
    state %s
    interface eth%d
    virtual_router_id %d
    priority %d
    advert_int %s
%s    virtual_ipaddress {
        %s
    }
}
""" % (i, v, state, i, v, prio, SCALE_ADVERT, version, scale_vip(i, v)))
    return "".join(parts)


def write_conf(tag, node, text):
    p = os.path.join(WORKDIR, "%s-%s.conf" % (tag, node))
    with open(p, "w") as f:
        f.write(text)
    return p


# --------------------------------------------------------------------------- helpers

def mark(*daemons):
    """Read every daemon's log up to now; returns a time after which new lines are stamped."""
    for d in daemons:
        d.refresh()
    return time.monotonic()


class Fail(Exception):
    pass


def wait_until(pred, timeout, step=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return time.monotonic()
        time.sleep(step)
    return None


def start_pair(kind, exe, topo, conf_a, conf_b):
    """Same order for both daemons: B first, then A immediately."""
    b = Daemon(kind, exe, topo.ns["B"], conf_b, "B")
    a = Daemon(kind, exe, topo.ns["A"], conf_a, "A")
    b.start()
    a.start()
    return a, b


def wait_steady(a, b, topo, timeout=20):
    """A holds the VIP and logged MASTER, B logged BACKUP, both alive."""
    ok = wait_until(lambda: a.seen("Entering MASTER STATE") and b.seen("Entering BACKUP STATE")
                    and vip_count(topo.ns["A"]) == 1 and vip_count(topo.ns["B"]) == 0,
                    timeout, 0.05)
    if not ok:
        raise Fail("no steady state (A master, B backup) within %ds" % timeout)
    if not (a.alive() and b.alive()):
        raise Fail("a daemon exited")


# --------------------------------------------------------------------------- scenarios
# each returns {metric: value or None (failed/timeout)}, plus "_note"

def sc_failover(kind, exe, how, version=2, advert_int="1"):
    tag = "%s%d" % (how[:2], version)
    topo = Topo(tag)
    a = b = probe = None
    res = {}
    try:
        ca = write_conf(tag, "A", conf_single("A", version, advert_int))
        cb = write_conf(tag, "B", conf_single("B", version, advert_int))
        probe = Probe(topo.ns["C"])
        a, b = start_pair(kind, exe, topo, ca, cb)
        wait_steady(a, b, topo)
        time.sleep(2.0)
        macA, macB = MAC["A"] % 0, MAC["B"] % 0
        now = time.monotonic()
        if probe.first("R", macA, now - 0.5) is None:
            raise Fail("no echo replies from A before the event")
        spurious = b.transitions(since=b.t_start, word="MASTER")
        # The clock is read before the event: a daemon may answer (a priority-0 advert)
        # before the call that caused it returns.
        t_ev = time.monotonic()
        if how == "cut":
            sh("ip", "-n", topo.ns["A"], "link", "set", "dev", "eth0", "down")
        else:
            a.signal_main(signal.SIGTERM)
        deadline = 3 * float(advert_int) + 8
        t_r = wait_until(lambda: probe.first("R", macB, t_ev) is not None, deadline)
        time.sleep(0.2)
        t_r = probe.first("R", macB, t_ev)
        t_v = probe.first("V", macB, t_ev)
        t_lastA = probe.last("V", macA, t_ev)
        res["event→first echo reply from B (ms)"] = None if t_r is None else (t_r - t_ev) * 1e3
        res["event→first advert from B (ms)"] = None if t_v is None else (t_v - t_ev) * 1e3
        # RFC 9568 §6.1: B (priority 100) takes over Skew_Time after a priority-0 advert,
        # Master_Down_Interval after the last advert it heard.
        skew_ms = (256 - 100) * float(advert_int) * 1e3 / 256
        if how == "cut":
            took = None if (t_v is None or t_lastA is None) else (t_v - t_lastA) * 1e3
            res["last advert from A→first advert from B (ms)"] = took
            bound = 3 * float(advert_int) * 1e3 + skew_ms
            res["…beyond Master_Down_Interval (ms)"] = None if took is None else took - bound
        else:
            t_zero = probe.first("V", macA, t_ev, extra="0")
            took = None if (t_v is None or t_zero is None) else (t_v - t_zero) * 1e3
            res["priority-0 advert from A→first advert from B (ms)"] = took
            res["…beyond Skew_Time (ms)"] = None if took is None else took - skew_ms
        if advert_int != "1":
            res["B MASTER transitions before the cut (spurious)"] = spurious
        return res
    finally:
        for x in (a, b):
            if x:
                x.stop()
        if probe:
            probe.stop()
        topo.destroy()


def sc_kill9(kind, exe):
    tag = "k9"
    topo = Topo(tag, client=False)
    a = b = a2 = sa = sb = None
    res = {}
    try:
        ca = write_conf(tag, "A", conf_single("A", 2, "1"))
        cb = write_conf(tag, "B", conf_single("B", 2, "1"))
        a, b = start_pair(kind, exe, topo, ca, cb)
        wait_steady(a, b, topo)
        time.sleep(2.0)
        sa, sb = Sampler(topo.ns["A"]), Sampler(topo.ns["B"])
        time.sleep(0.3)
        a.signal_all(signal.SIGKILL)
        t_kill = time.monotonic()
        a.proc.wait(5)
        t_b = wait_until(lambda: sb.last() == 1, 15)
        if t_b is None:
            raise Fail("B never took the VIP after SIGKILL of A")
        stale = sa.last() == 1
        a2 = Daemon(kind, exe, topo.ns["A"], ca, "A")
        a2.start()
        t_restart = a2.t_start
        t_conv = wait_until(lambda: sa.last() == 1 and sb.last() == 0 and a2.seen("Entering MASTER"),
                            20)
        time.sleep(2.0)
        t_end = time.monotonic()
        res["kill→B holds VIP (ms)"] = (t_b - t_kill) * 1e3
        res["VIP on both nodes (ms)"] = both_time(sa, sb, t_kill, t_end) * 1e3
        res["restart→reconverged: VIP only on A (ms)"] = (
            None if t_conv is None else (t_conv - t_restart) * 1e3)
        res["_note"] = "stale VIP left on A after SIGKILL: %s" % ("yes" if stale else "no")
        return res
    finally:
        for x in (sa, sb):
            if x:
                x.stop()
        for x in (a, a2, b):
            if x:
                x.stop()
        topo.destroy()


def sc_nopreempt(kind, exe):
    tag = "np"
    topo = Topo(tag, client=False)
    a = b = sa = sb = None
    res = {}
    try:
        ca = write_conf(tag, "A", conf_single("A", 2, "1", nopreempt=True))
        cb = write_conf(tag, "B", conf_single("B", 2, "1", nopreempt=True))
        a, b = start_pair(kind, exe, topo, ca, cb)
        wait_steady(a, b, topo)
        time.sleep(1.0)
        sa, sb = Sampler(topo.ns["A"]), Sampler(topo.ns["B"])
        time.sleep(0.3)
        sh("ip", "-n", topo.ns["A"], "link", "set", "dev", "eth0", "down")
        t_cut = time.monotonic()
        t_b = wait_until(lambda: sb.last() == 1, 15)
        if t_b is None:
            raise Fail("B never took over")
        time.sleep(1.0)
        t_plug = mark(a, b)
        sh("ip", "-n", topo.ns["A"], "link", "set", "dev", "eth0", "up")
        time.sleep(10.0)
        t_end = mark(a, b)
        m = merged(sa, sb, t_plug, t_end)
        moves = 0
        prev = None
        for t, x, y in m:
            holder = (bool(x), bool(y))
            if prev is not None and holder != prev:
                moves += 1
            prev = holder
        res["cut→B holds VIP (ms)"] = (t_b - t_cut) * 1e3
        res["VIP moves in 10 s after plug-in"] = moves
        res["MASTER transitions in 10 s after plug-in"] = (
            a.transitions(t_plug, t_end, "MASTER") + b.transitions(t_plug, t_end, "MASTER"))
        res["state changes (all) in 10 s after plug-in"] = (
            a.transitions(t_plug, t_end) + b.transitions(t_plug, t_end))
        res["VIP on both nodes after plug-in (ms)"] = both_time(sa, sb, t_plug, t_end) * 1e3
        return res
    finally:
        for x in (sa, sb):
            if x:
                x.stop()
        for x in (a, b):
            if x:
                x.stop()
        topo.destroy()


def sc_scale(kind, exe, window=30.0, conv_timeout=120):
    tag = "sc"
    topo = Topo(tag, links=SCALE_LINKS, client=False, addrs=scale_addrs())
    a = b = None
    total = SCALE_LINKS * SCALE_PER_LINK
    res = {}
    try:
        ca = write_conf(tag, "A", conf_scale("A"))
        cb = write_conf(tag, "B", conf_scale("B"))
        a, b = start_pair(kind, exe, topo, ca, cb)
        t0 = b.t_start
        t_conv = wait_until(lambda: scale_vip_count(topo.ns["A"]) == total
                            and scale_vip_count(topo.ns["B"]) == 0, conv_timeout, 0.25)
        if not (a.alive() and b.alive()):
            raise Fail("a daemon exited")
        notes = []
        if t_conv is None:
            # report the timeout, and still measure the window (flagged in the notes)
            notes.append("NOT converged in %d s (A has %d VIPs, B %d); the window below starts "
                         "unconverged" % (conv_timeout, scale_vip_count(topo.ns["A"]),
                                          scale_vip_count(topo.ns["B"])))
            res["start→all %d VIPs on A (s)" % total] = None
        else:
            res["start→all %d VIPs on A (s)" % total] = t_conv - t0
        c0a, c0b = a.cpu_seconds(), b.cpu_seconds()
        t1 = mark(a, b)
        time.sleep(window)
        c1a, c1b = a.cpu_seconds(), b.cpu_seconds()
        t2 = mark(a, b)
        res["CPU s in %ds, master A" % window] = c1a - c0a
        res["CPU s in %ds, backup B" % window] = c1b - c0b
        res["CPU s in %ds, A+B" % window] = (c1a - c0a) + (c1b - c0b)
        res["peak RSS MiB (VmHWM), master A"] = a.rss_hwm_kib() / 1024
        res["peak RSS MiB (VmHWM), backup B"] = b.rss_hwm_kib() / 1024
        # what the daemon itself allocated (heap, stacks), as opposed to mapped files
        res["anonymous RSS MiB (RssAnon) at window end, master A"] = a.status_kib("RssAnon") / 1024
        res["anonymous RSS MiB (RssAnon) at window end, backup B"] = b.status_kib("RssAnon") / 1024
        res["state changes in window (spurious)"] = a.transitions(t1, t2) + b.transitions(t1, t2)
        na, nb = scale_vip_count(topo.ns["A"]), scale_vip_count(topo.ns["B"])
        notes.append("VIPs at window end A=%d B=%d; processes A=%d B=%d" % (
            na, nb, len(a.pids()), len(b.pids())))
        res["_note"] = "; ".join(notes)
        return res
    finally:
        t = time.monotonic()
        for x in (a, b):
            if x:
                x.stop()
        t2 = time.monotonic()
        topo.destroy()
        log("scale %s: stop %.1fs, namespaces removed in %.1fs" % (
            kind, t2 - t, time.monotonic() - t2))


def netem_available():
    ns = PREFIX + "nt"
    sh("ip", "netns", "add", ns)
    CREATED_NS.append(ns)
    try:
        sh("ip", "-n", ns, "link", "add", "t0", "type", "veth", "peer", "name", "t1")
        r = subprocess.run(["tc", "-n", ns, "qdisc", "add", "dev", "t0", "root", "netem",
                            "loss", "10%", "delay", "20ms"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return r.returncode == 0, r.stdout.strip()
    finally:
        subprocess.run(["ip", "netns", "del", ns])
        CREATED_NS.remove(ns)


def sc_loss(kind, exe, loss, duration=60.0, netem=True, advert="1"):
    tag = "ls"
    topo = Topo(tag, client=False, bridge=netem)
    a = b = sa = sb = sw = None
    res = {}
    try:
        if netem:
            for port in ("pa0", "pb0"):
                sh("tc", "-n", topo.ns["S"], "qdisc", "add", "dev", port, "root", "netem",
                   "loss", "%d%%" % loss, "delay", "20ms")
        else:
            sw = subprocess.Popen(["ip", "netns", "exec", topo.ns["S"], sys.executable,
                                   os.path.abspath(__file__), "--impair", "pa0,pb0", "pa0,pb0",
                                   str(loss), "20"], stdout=subprocess.PIPE, text=True,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
            STARTED.append(sw)
            time.sleep(0.3)
        # VRRPv2 at the default 1 s; a sub-second interval needs VRRPv3
        version = 2 if float(advert) >= 1 else 3
        ca = write_conf(tag, "A", conf_single("A", version, advert))
        cb = write_conf(tag, "B", conf_single("B", version, advert))
        a, b = start_pair(kind, exe, topo, ca, cb)
        try:
            wait_steady(a, b, topo)
        except Fail:
            pass   # under loss the start may already flap; the window counts what happens
        time.sleep(1.0)
        sa, sb = Sampler(topo.ns["A"], 0.05), Sampler(topo.ns["B"], 0.05)
        t1 = mark(a, b)
        time.sleep(duration)
        t2 = mark(a, b)
        res["state changes in %ds (%d%% loss)" % (duration, loss)] = (
            a.transitions(t1, t2) + b.transitions(t1, t2))
        res["s with VIP on both nodes in %ds (%d%% loss)" % (duration, loss)] = both_time(
            sa, sb, t1, t2)
        return res
    finally:
        for x in (sa, sb):
            if x:
                x.stop()
        if sw:
            sw.terminate()
            try:
                out, _ = sw.communicate(timeout=3)
                res["_note"] = "userspace switch counters: %s" % out.strip()
            except subprocess.TimeoutExpired:
                sw.kill()
            STARTED.remove(sw)
        for x in (a, b):
            if x:
                x.stop()
        topo.destroy()


# --------------------------------------------------------------------------- driver

GOALS = {
    "fast": "≤ 51 ms (36 ms + 15)",
    "scale:CPU": "≤ 0.5× keepalived",
    "scale:RSS": "≤ 0.5× keepalived",
    "spurious": "0",
    "moves": "0",
    "MASTER transitions in 10": "0",
    "loss": "≤ keepalived",
}


def goal_for(scen, metric):
    if scen.startswith("fast") and "last advert" in metric:
        return GOALS["fast"]
    if scen.startswith("fast") and "spurious" in metric:
        return "0"
    if scen.startswith("scale") and metric.startswith("CPU"):
        return GOALS["scale:CPU"]
    if scen.startswith("scale") and metric.startswith("peak RSS"):
        return GOALS["scale:RSS"]
    if metric.startswith("anonymous RSS"):
        return "(breakdown of the above)"
    if metric.startswith("…beyond"):
        return "≤ 2 ms"
    if "spurious" in metric or "VIP moves" in metric or "MASTER transitions in 10" in metric:
        return "0"
    if scen.startswith("loss"):
        return GOALS["loss"]
    return "≤ keepalived"


def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, int):
        return str(v)
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.3g" % v


def summarize(vals):
    if not vals:
        return None, "not run"
    ok = [v for v in vals if v is not None]
    bad = len(vals) - len(ok)
    if not ok:
        return None, "all %d failed" % len(vals)
    s = "%s / %s / %s" % (fmt(min(ok)), fmt(statistics.median(ok)), fmt(max(ok)))
    if bad:
        s += " (%d failed)" % bad
    return statistics.median(ok), s


def main():
    global WORKDIR
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--reps-long", type=int, default=None,
                    help="repetitions for scale and loss (default: min(reps, 3))")
    ap.add_argument("--only", action="append", choices=SCENARIOS,
                    help="run only this scenario (repeatable)")
    ap.add_argument("--vrrpd", default=None, help="vrrpd binary (default: "
                    "$CARGO_TARGET_DIR or ./target, release/vrrpd)")
    ap.add_argument("--keepalived", default=shutil.which("keepalived") or "/usr/sbin/keepalived")
    ap.add_argument("--pin", action="store_true",
                    help="run A's daemon on CPU 0 and B's on CPU 1 (taskset, both daemons "
                    "alike): on a shared CPU each advert wakes the backup, which preempts the "
                    "master; pinned, they behave as on two machines. Scenario names say so")
    ap.add_argument("--daemon", action="append", choices=["keepalived", "vrrpd"],
                    help="run only this daemon (repeatable; default both). For working on one "
                    "side: no ratio is printed without both")
    ap.add_argument("--scale-window", type=float, default=30.0)
    ap.add_argument("--scale-links", type=int, default=4, help="scale: interfaces (max 4)")
    ap.add_argument("--scale-per-link", type=int, default=250, help="scale: VRIDs per interface")
    ap.add_argument("--scale-vips", choices=["dup", "split"], default="dup",
                    help="scale: dup = VIP 192.0.2.VRID on every interface (1000 instances); "
                    "split = 192.0.2.VRID on even, 198.51.100.VRID on odd interfaces (unique "
                    "only up to 2 interfaces)")
    ap.add_argument("--scale-advert", default="1",
                    help="scale: advert_int in seconds (default 1, VRRPv2; below 1 runs VRRPv3: "
                    "0.1 is 10 000 adverts a second from the master)")
    ap.add_argument("--loss-window", type=float, default=60.0)
    ap.add_argument("--loss-levels", default="10,30", help="loss: percentages (default 10,30)")
    ap.add_argument("--loss-advert", default="1",
                    help="loss: advert_int in seconds (default 1, VRRPv2; below 1 runs VRRPv3). "
                    "At 0.1 a 60 s window holds ten times the adverts, so ten times the loss "
                    "events to compare")
    ap.add_argument("--keep-logs", action="store_true", help="keep the daemons' logs and configs")
    ap.add_argument("--no-userspace-loss", action="store_true",
                    help="without netem, skip the loss scenario instead of emulating loss and "
                    "delay in a userspace switch")
    ap.add_argument("--probe", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--impair", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        return probe_main(*args.probe)
    if args.impair:
        return impair_main(*args.impair)
    if os.geteuid() != 0:
        sys.exit("run as root (network namespaces)")
    if args.vrrpd is None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        tgt = os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target")
        args.vrrpd = os.path.join(tgt, "release", "vrrpd")
    args.vrrpd = os.path.abspath(args.vrrpd)
    if not os.access(args.vrrpd, os.X_OK):
        sys.exit("no vrrpd at %s: cargo build --release -p vrrpd, or pass --vrrpd" % args.vrrpd)
    reps_long = args.reps_long or min(args.reps, 3)
    global SCALE_LINKS, SCALE_PER_LINK, SCALE_VIPS, SCALE_ADVERT, PIN
    if args.pin:
        PIN = {"A": 0, "B": 1}
    SCALE_LINKS, SCALE_PER_LINK = args.scale_links, args.scale_per_link
    SCALE_VIPS = args.scale_vips
    SCALE_ADVERT = args.scale_advert
    WORKDIR = tempfile.mkdtemp(prefix="vrrp-compare-")
    os.chmod(WORKDIR, 0o755)

    def on_signal(sig, frm):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)

    scen = args.only or SCENARIOS
    machine = {
        "date (UTC)": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "nproc": str(os.cpu_count()),
        "load average at start": loadavg(),
        "kernel": os.uname().release,
        "keepalived -v": subprocess.run([args.keepalived, "-v"], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True).stdout.splitlines()[0],
        "vrrpd": args.vrrpd + " (" + subprocess.run(
            [args.vrrpd, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True).stdout.strip() + ")",
    }
    t_begin = time.monotonic()
    results = {}         # (scenario, metric) -> {kind: [values]}
    notes = []
    exes = {"keepalived": args.keepalived, "vrrpd": args.vrrpd}

    jobs = []
    if "cut" in scen:
        jobs += [("cut v2", lambda k, e: sc_failover(k, e, "cut", 2), args.reps),
                 ("cut v3", lambda k, e: sc_failover(k, e, "cut", 3), args.reps)]
    if "sigterm" in scen:
        jobs += [("sigterm", lambda k, e: sc_failover(k, e, "sigterm", 2), args.reps)]
    if "kill9" in scen:
        jobs += [("kill9", sc_kill9, args.reps)]
    if "nopreempt" in scen:
        jobs += [("nopreempt", sc_nopreempt, args.reps)]
    if "fast" in scen:
        jobs += [("fast", lambda k, e: sc_failover(k, e, "cut", 3, "0.01"), args.reps)]
    if "scale" in scen:
        name = "scale" if SCALE_ADVERT == "1" else "scale, advert_int %s" % SCALE_ADVERT
        jobs += [(name, lambda k, e: sc_scale(k, e, args.scale_window), reps_long)]
    if "loss" in scen:
        ok, why = netem_available()
        if not ok:
            notes.append("loss: netem is NOT available here — `tc qdisc add ... netem` fails (%s);"
                         " this kernel has no sch_netem (nor the gact/matchall tc modules). %s"
                         % (why, "Skipped (--no-userspace-loss)." if args.no_userspace_loss else
                            "Loss and delay are emulated instead by a userspace switch "
                            "(compare.py --impair, AF_PACKET) in place of the bridge: scenario "
                            "named 'loss N% (userspace, not netem)'."))
            log(notes[-1])
        if ok or not args.no_userspace_loss:
            adv = "" if args.loss_advert == "1" else ", advert_int %s" % args.loss_advert
            for loss in [int(x) for x in args.loss_levels.split(",")]:
                jobs += [("loss %d%%%s%s" % (loss, "" if ok else " (userspace, not netem)", adv),
                          (lambda L: lambda k, e: sc_loss(k, e, L, args.loss_window, ok,
                                                          args.loss_advert))(loss),
                          reps_long)]

    if PIN:
        jobs = [(name + ", A on CPU 0, B on CPU 1", fn, reps) for name, fn, reps in jobs]
    order = []
    runs = {}            # (scenario, kind) -> runs made; a failed run is a failed value of each metric
    try:
        for name, fn, reps in jobs:
            for rep in range(reps):
                # alternate which daemon goes first, so slow drift in load hits both alike
                kinds = ["keepalived", "vrrpd"] if rep % 2 == 0 else ["vrrpd", "keepalived"]
                kinds = [k for k in kinds if not args.daemon or k in args.daemon]
                for kind in kinds:
                    t = time.monotonic()
                    try:
                        r = fn(kind, exes[kind])
                    except Fail as e:
                        r = {"_fail": str(e)}
                    runs[(name, kind)] = runs.get((name, kind), 0) + 1
                    note = r.pop("_note", None)
                    fail = r.pop("_fail", None)
                    for m, v in r.items():
                        key = (name, m)
                        if key not in results:
                            results[key] = {"keepalived": [], "vrrpd": []}
                            order.append(key)
                        results[key][kind].append(v)
                    if fail:
                        notes.append("%s rep %d %s: FAILED: %s" % (name, rep + 1, kind, fail))
                    if note:
                        notes.append("%s rep %d %s: %s" % (name, rep + 1, kind, note))
                    log("%s rep %d/%d %-10s %.1fs load %s  %s%s" % (
                        name, rep + 1, reps, kind, time.monotonic() - t, loadavg(),
                        ", ".join("%s=%s" % (m, fmt(v)) for m, v in r.items()),
                        ("  FAILED: " + fail) if fail else ""))
    except KeyboardInterrupt:
        notes.append("interrupted: results below are partial")
        log("interrupted")
    finally:
        cleanup()
        if not args.keep_logs:
            shutil.rmtree(WORKDIR, ignore_errors=True)
        else:
            log("logs and configs kept in %s" % WORKDIR)

    machine["load average at end"] = loadavg()
    machine["wall time of this run"] = "%.0f s" % (time.monotonic() - t_begin)
    print("\n## vrrpd vs keepalived — side by side\n")
    for k, v in machine.items():
        print("- %s: %s" % (k, v))
    print("\nmin / median / max over the repetitions; ratio = vrrpd median ÷ keepalived median; "
          "— = no value (timeout or failure).\n")
    print("| scenario | metric | keepalived min/med/max | vrrpd min/med/max | ratio | goal |")
    print("|---|---|---|---|---|---|")
    for key in order:
        for kind in ("keepalived", "vrrpd"):
            vals = results[key][kind]
            vals += [None] * (runs.get((key[0], kind), 0) - len(vals))
    for key in order:
        name, metric = key
        mk, sk = summarize(results[key]["keepalived"])
        mv, sv = summarize(results[key]["vrrpd"])
        ratio = "—"
        if mk is not None and mv is not None:
            ratio = "%.2f" % (mv / mk) if mk != 0 else ("1.00" if mv == 0 else "∞")
        print("| %s | %s | %s | %s | %s | %s |" % (name, metric, sk, sv, ratio,
                                                   goal_for(name, metric)))
    if "loss" in scen and not any(k[0].startswith("loss") for k in order):
        print("| loss | state changes / s with VIP on both | not measured | not measured | — | "
              "≤ keepalived |")
    print("\nRaw values (run order):\n")
    for key in order:
        print("- %s / %s: keepalived %s; vrrpd %s" % (
            key[0], key[1], [fmt(v) for v in results[key]["keepalived"]],
            [fmt(v) for v in results[key]["vrrpd"]]))
    if notes:
        print("\nNotes:\n")
        for n in notes:
            print("- " + n)


def cleanup():
    for p in list(STARTED):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        STARTED.remove(p)
    for ns in list(CREATED_NS):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        CREATED_NS.remove(ns)


if __name__ == "__main__":
    try:
        main()
    finally:
        if not (len(sys.argv) > 1 and sys.argv[1] in ("--probe", "--impair")):
            cleanup()
