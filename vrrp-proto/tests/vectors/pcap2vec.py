#!/usr/bin/python3
"""Turn capture.sh's pcap into vector files.

Usage: /usr/bin/python3 pcap2vec.py PCAP CASES OUTDIR

CASES is capture.sh's case table (the selected lines): the expected values written into each
advert vector come from it, i.e. from the keepalived configuration, not from the packet.
Writes one file per (case, advert | shutdown), one per GARP'd / NA'd address, and
observations.txt (what keepalived did: GARP/NA counts, IPv6 source, PASS truncation).
Exits non-zero if a selected case produced no advert or no priority-0 advert.
"""
import datetime
import subprocess
import sys
from collections import Counter

sys.dont_write_bytecode = True  # importing vecfmt must not leave __pycache__ here

from scapy.all import ARP, IP, IPv6, rdpcap  # noqa: E402
from scapy.layers.inet6 import ICMPv6ND_NA  # noqa: E402

from vecfmt import checksum_forms, write_vector  # noqa: E402


def keepalived_version():
    out = subprocess.run(["keepalived", "-v"], capture_output=True, text=True)
    return (out.stdout + out.stderr).splitlines()[0].strip()


def read_cases(path):
    cases = {}
    for line in open(path):
        f = line.split()
        if not f:
            continue
        letter, name, vrid, ver, prio, adv, auth, uni, extra, *vips = f
        cases[int(vrid)] = dict(letter=letter, name=name, version=int(ver), priority=int(prio),
                                adv=adv, auth=None if auth == "-" else auth, unicast=uni == "1",
                                extra=extra, vips=vips)
    return cases


def expected_lines(c, shutdown):
    """The field values keepalived was configured to send."""
    lines = [f"case: {c['name']}", f"family: {6 if ':' in c['vips'][0] else 4}",
             f"version: {c['version']}", f"vrid: {c['vrid']}",
             f"priority: {0 if shutdown else c['priority']}"]
    if c["version"] == 2:
        lines.append(f"interval_s: {int(c['adv'])}")
        # RFC 3768 §5.3.10: 8 bytes of authentication data; a longer auth_pass cannot fit.
        pw = c["auth"].encode()[:8].ljust(8, b"\0") if c["auth"] else None
        lines.append("auth: " + (f"pass:{pw.rstrip(bytes(1)).hex()}" if pw else "none"))
    else:
        lines.append(f"interval_cs: {round(float(c['adv']) * 100)}")
    lines.append(f"addresses: {' '.join(c['vips'])}")
    return lines


def main():
    pcap, cases_path, outdir = sys.argv[1:4]
    cases = read_cases(cases_path)
    for vrid, c in cases.items():
        c["vrid"] = vrid
    head = [f"captured from {keepalived_version()} on {datetime.date.today().isoformat()} "
            "by capture.sh (expected values from its keepalived.conf)"]
    seen, garps, nas, notes = set(), Counter(), Counter(), []
    garp_times = {}
    for pkt in rdpcap(pcap):
        if ARP in pkt and pkt[ARP].psrc == pkt[ARP].pdst:
            a = pkt[ARP]
            garps[a.psrc] += 1
            garp_times.setdefault(a.psrc, []).append(float(pkt.time))
            if garps[a.psrc] == 1:
                write_vector(outdir, f"garp_{a.psrc}.vec", head, [
                    "source: keepalived", "kind: garp", f"ip: {a.psrc}", f"mac: {pkt.src}",
                    f"op: {a.op}", f"target_mac: {a.hwdst}", f"frame: {bytes(pkt).hex()}"])
            continue
        if ICMPv6ND_NA in pkt:
            na = pkt[ICMPv6ND_NA]
            nas[na.tgt] += 1
            if nas[na.tgt] == 1:
                write_vector(outdir, f"na_{na.tgt.replace(':', '_')}.vec", head, [
                    "source: keepalived", "kind: na", f"ip: {na.tgt}", f"mac: {pkt.src}",
                    f"ip_src: {pkt[IPv6].src}", f"ip_dst: {pkt[IPv6].dst}",
                    f"router_flag: {int(na.R)}", f"override_flag: {int(na.O)}",
                    f"frame: {bytes(pkt).hex()}"])
            continue
        ip = pkt[IP] if IP in pkt else (pkt[IPv6] if IPv6 in pkt else None)
        if ip is None or (IP in pkt and ip.proto != 112) or (IPv6 in pkt and ip.nh != 112):
            continue
        body = bytes(ip.payload)
        if len(body) < 2 or body[1] not in cases:
            continue
        c = cases[body[1]]
        kind = "shutdown" if body[2] == 0 else "advert"
        if (c["name"], kind) in seen:
            continue
        seen.add((c["name"], kind))
        forms = checksum_forms(pkt)
        lines = ["source: keepalived", "kind: advert"] + expected_lines(c, kind == "shutdown")
        lines += [f"checksum: {' '.join(forms)}", f"ip_src: {ip.src}", f"ip_dst: {ip.dst}",
                  f"ttl: {ip.ttl if IP in pkt else ip.hlim}", f"packet: {bytes(ip).hex()}"]
        comments = head + [f"config: advert_int {c['adv']}"
                           + (f", auth_pass {c['auth']}" if c["auth"] else "")
                           + (", unicast" if c["unicast"] else ", multicast")
                           + ("" if c["extra"] == "-" else f", {c['extra']}")]
        write_vector(outdir, f"{c['name']}_{kind}.vec", comments, lines)
        notes.append(f"{c['name']} {kind}: src {ip.src} dst {ip.dst} checksum {' '.join(forms) or 'NONE'}")
        if c["auth"]:
            notes.append(f"{c['name']} {kind}: auth_pass {c['auth']!r} sent as {body[-8:]!r}")
    for ip, times in sorted(garp_times.items()):
        offsets = " ".join(f"+{t - times[0]:.2f}" for t in times)
        notes.append(f"GARP {ip}: {len(times)} sent, at {offsets} s")
    notes += [f"NA {ip}: {n} sent" for ip, n in sorted(nas.items())]
    missing = [(c["name"], k) for c in cases.values() for k in ("advert", "shutdown")
               if (c["name"], k) not in seen]
    notes += [f"MISSING {name} {kind}" for name, kind in missing]
    with open(f"{outdir}/observations.txt", "w") as f:
        f.write(f"# {head[0]}\n" + "".join(f"{n}\n" for n in notes))
    print(f"pcap2vec.py: {len(seen)} adverts, {len(garps)} GARP'd and {len(nas)} NA'd addresses "
          f"-> {outdir}")
    if missing:
        print(f"pcap2vec.py: nothing captured for {missing}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
