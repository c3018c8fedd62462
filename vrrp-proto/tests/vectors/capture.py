#!/usr/bin/python3
"""Capture VRRP adverts, gratuitous ARPs and unsolicited NAs sent by a real keepalived.

Usage (root): /usr/bin/python3 capture.py OUTDIR

Makes two network namespaces joined by a veth pair (192.0.2.0/24, 2001:db8::/64), runs
keepalived in the first with one instance per case below (all `state MASTER`), captures with
tcpdump in the second, stops keepalived with SIGTERM (so each instance sends its priority-0
advert), and writes one vector file per packet kind into OUTDIR. The expected field values in
each file come from the keepalived configuration written here, never from the decoder under
test; the checksum form is found by recomputing both forms with scapy.

Everything it made is removed on exit (namespaces, processes it started, temp files).
"""
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import ARP, IP, IPv6, rdpcap, checksum, in4_chksum, in6_chksum
from scapy.layers.inet6 import ICMPv6ND_NA

PID = os.getpid()
NS_A = f"vrrpcapa{PID}"
NS_B = f"vrrpcapb{PID}"
VETH_A = "vca0"
VETH_B = "vcb0"
A4, B4 = "192.0.2.1", "192.0.2.2"
A6, B6 = "2001:db8::1", "2001:db8::2"

# name, vrid, version, priority, advert_int (config text), auth, VIPs, unicast, extra lines
CASES = [
    ("v2_noauth", 51, 2, 150, "1", None, ["192.0.2.100"], False, []),
    ("v2_pass", 52, 2, 200, "1", "secret12", ["192.0.2.101", "192.0.2.102", "192.0.2.103"], False, []),
    ("v2_pass_long", 53, 2, 180, "2", "longpassword123", ["192.0.2.104"], False, []),
    ("v3_ipv4", 54, 3, 100, "0.5", None, ["192.0.2.110", "192.0.2.111", "192.0.2.112"], False, []),
    ("v3_ipv6", 55, 3, 120, "0.2", None, ["2001:db8::100", "2001:db8::101"], False, []),
    ("v2_unicast", 56, 2, 90, "1", "pw", ["192.0.2.120"], True, []),
    ("v3_unicast", 57, 3, 110, "1", None, ["192.0.2.121", "192.0.2.122"], True, []),
    ("v3_unicast_old_checksum", 58, 3, 111, "1", None, ["192.0.2.123"], True, ["old_unicast_checksum"]),
]

started = []


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, **kw)


def cleanup():
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait()
    for ns in (NS_A, NS_B):
        sh("ip", "netns", "del", ns, check=False, stderr=subprocess.DEVNULL)


def setup():
    sh("ip", "netns", "add", NS_A)
    sh("ip", "netns", "add", NS_B)
    sh("ip", "link", "add", VETH_A, "netns", NS_A, "type", "veth", "peer", "name", VETH_B, "netns", NS_B)
    for ns, dev, a4, a6 in ((NS_A, VETH_A, A4, A6), (NS_B, VETH_B, B4, B6)):
        ex = ["ip", "netns", "exec", ns]
        sh(*ex, "sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_dad=0")
        sh(*ex, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
        sh(*ex, "ip", "link", "set", "lo", "up")
        sh(*ex, "ip", "addr", "add", f"{a4}/24", "dev", dev)
        sh(*ex, "ip", "-6", "addr", "add", f"{a6}/64", "dev", dev, "nodad")
        sh(*ex, "ip", "link", "set", dev, "up")


def config():
    out = ["global_defs {", "  router_id vectors", "  vrrp_garp_master_delay 1", "  vrrp_garp_master_repeat 1", "}"]
    for name, vrid, ver, prio, adv, auth, vips, uni, extra in CASES:
        out += [f"vrrp_instance {name} {{", "  state MASTER", f"  interface {VETH_A}",
                f"  virtual_router_id {vrid}", f"  priority {prio}", f"  advert_int {adv}",
                f"  version {ver}"]
        if auth:
            out += ["  authentication {", "    auth_type PASS", f"    auth_pass {auth}", "  }"]
        if uni:
            out += [f"  unicast_src_ip {A4}", "  unicast_peer {", f"    {B4}", "  }"]
        out += ["  virtual_ipaddress {"] + [f"    {v}" for v in vips] + ["  }"]
        out += [f"  {e}" for e in extra] + ["}"]
    return "\n".join(out) + "\n"


def checksum_form(pkt):
    """Which checksum form the captured VRRP message carries (scapy recomputes each)."""
    ip = pkt[IP] if IP in pkt else pkt[IPv6]
    body = bytes(ip.payload)
    zeroed = body[:6] + b"\0\0" + body[8:]
    got = int.from_bytes(body[6:8], "big")
    forms = []
    if checksum(zeroed) == got:
        forms.append("message-only")
    pseudo = in4_chksum(112, ip, zeroed) if IP in pkt else in6_chksum(112, ip, zeroed)
    if pseudo == got:
        forms.append("pseudo-header")
    if IP in pkt:
        # keepalived's pre-1.3.6 unicast form: pseudo-header with the multicast group as
        # destination (old_unicast_checksum).
        old = IP(src=ip.src, dst="224.0.0.18", proto=112)
        if in4_chksum(112, old, zeroed) == got:
            forms.append("old-unicast")
    return forms


def write(outdir, fname, lines):
    stamp = datetime.date.today().isoformat()
    kv = subprocess.run(["keepalived", "-v"], capture_output=True, text=True)
    version = (kv.stdout + kv.stderr).splitlines()[0].strip()
    head = [f"# captured from {version} on {stamp} by capture.py", "source: keepalived"]
    with open(os.path.join(outdir, fname), "w") as f:
        f.write("\n".join(head + lines) + "\n")


def main():
    outdir = os.path.abspath(sys.argv[1])
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="vrrpcap")
    conf = os.path.join(tmp, "keepalived.conf")
    with open(conf, "w") as f:
        f.write(config())
    pcap = os.path.join(tmp, "cap.pcap")
    try:
        setup()
        time.sleep(0.5)
        dump = subprocess.Popen(["ip", "netns", "exec", NS_B, "tcpdump", "-q", "-n", "-U", "-i", VETH_B, "-w", pcap,
                                 "ip proto 112 or ip6 proto 112 or arp or icmp6"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(dump)
        time.sleep(1.5)
        ka = subprocess.Popen(["ip", "netns", "exec", NS_A, "keepalived", "-n", "-l", "-D", "-P", "-f", conf,
                               "-p", f"{tmp}/k.pid", "-r", f"{tmp}/v.pid", "-c", f"{tmp}/c.pid"],
                              stdout=open(f"{tmp}/keepalived.log", "w"), stderr=subprocess.STDOUT)
        started.append(ka)
        # Longest Master_Down_Interval here: 3 x 2 s + skew, then one advert.
        time.sleep(9)
        ka.send_signal(signal.SIGTERM)
        ka.wait(timeout=10)
        time.sleep(1)
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
        if not extract(rdpcap(pcap), outdir):
            sys.stderr.write(open(f"{tmp}/keepalived.log").read())
    finally:
        cleanup()
        subprocess.run(["rm", "-rf", tmp])


def extract(packets, outdir):
    by_vrid = {c[1]: c for c in CASES}
    seen = set()
    for pkt in packets:
        if ARP in pkt and pkt[ARP].psrc == pkt[ARP].pdst and ("garp", pkt[ARP].psrc) not in seen:
            seen.add(("garp", pkt[ARP].psrc))
            a = pkt[ARP]
            write(outdir, f"garp_{a.psrc}.vec", [
                "kind: garp", f"ip: {a.psrc}", f"mac: {pkt.src}", f"op: {a.op}",
                f"target_mac: {a.hwdst}", f"frame: {bytes(pkt).hex()}"])
            continue
        if ICMPv6ND_NA in pkt and ("na", pkt[ICMPv6ND_NA].tgt) not in seen:
            na = pkt[ICMPv6ND_NA]
            seen.add(("na", na.tgt))
            write(outdir, f"na_{na.tgt.replace(':', '_')}.vec", [
                "kind: na", f"ip: {na.tgt}", f"mac: {pkt.src}", f"ip_src: {pkt[IPv6].src}",
                f"ip_dst: {pkt[IPv6].dst}", f"router_flag: {int(na.R)}", f"override_flag: {int(na.O)}",
                f"frame: {bytes(pkt).hex()}"])
            continue
        ip = pkt[IP] if IP in pkt else (pkt[IPv6] if IPv6 in pkt else None)
        if ip is None or (IP in pkt and ip.proto != 112) or (IPv6 in pkt and ip.nh != 112):
            continue
        body = bytes(ip.payload)
        vrid = body[1]
        if vrid not in by_vrid:
            continue
        name, _, ver, prio, adv, auth, vips, uni, extra = by_vrid[vrid]
        kind = "shutdown" if body[2] == 0 else "advert"
        if (name, kind) in seen:
            continue
        seen.add((name, kind))
        lines = ["kind: advert", f"case: {name}", f"family: {4 if IP in pkt else 6}", f"version: {ver}",
                 f"vrid: {vrid}", f"priority: {0 if kind == 'shutdown' else prio}"]
        if ver == 2:
            lines.append(f"interval_s: {adv}")
            pw = auth.encode()[:8] if auth else None
            lines.append(f"auth: {'pass:' + pw.hex() if pw else 'none'}")
        else:
            lines.append(f"interval_cs: {round(float(adv) * 100)}")
        lines.append(f"addresses: {' '.join(vips)}")
        lines.append(f"checksum: {' '.join(checksum_form(pkt))}")
        lines.append(f"ip_src: {ip.src}")
        lines.append(f"ip_dst: {ip.dst}")
        lines.append(f"ttl: {ip.ttl if IP in pkt else ip.hlim}")
        lines.append(f"packet: {bytes(ip).hex()}")
        write(outdir, f"{name}_{kind}.vec", lines)
    missing = [(c[0], k) for c in CASES for k in ("advert", "shutdown") if (c[0], k) not in seen]
    if missing:
        print(f"capture.py: no packet captured for {missing}", file=sys.stderr)
    print(f"capture.py: wrote {len(seen)} vectors to {outdir}")
    return not missing


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("capture.py: needs root (network namespaces)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
