#!/usr/bin/python3
"""Build VRRP test vectors with scapy's own VRRP/VRRPv3 layers.

Usage: /usr/bin/python3 scapy_vectors.py [OUTDIR]   (default: the scapy/ dir next to this file)

scapy 2.5's VRRPv3 layer computes the IPv4 checksum WITH the pseudo-header (in4_chksum, as
RFC 9568 §5.2.8 says) and the IPv6 one with the IPv6 pseudo-header; its VRRP (v2) layer the
message-only sum. The v3 message-only vector is made by overwriting the checksum with
scapy's plain `checksum()` of the message.

Each file records the whole IP packet and the field values this script set; checksums are
computed by scapy (pseudo-header forms by its layer, the message-only form by scapy's
`checksum()` over the message), never by the decoder under test.
"""
import os
import sys

import scapy
from scapy.all import IP, IPv6, IPOption_Router_Alert, checksum, raw
from scapy.layers.vrrp import VRRP, VRRPv3

sys.dont_write_bytecode = True  # importing vecfmt must not leave __pycache__ here
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vecfmt import checksum_forms, write_vector  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "scapy")
os.makedirs(OUT, exist_ok=True)
V4S, V4D = "192.0.2.1", "224.0.0.18"
V6S, V6D = "fe80::1", "ff02::12"


def write(name, pkt, fields, built_form, expect_error=None):
    ip = pkt[IP] if IP in pkt else pkt[IPv6]
    lines = ["source: scapy", "kind: advert", f"case: {name}", f"family: {4 if IP in pkt else 6}"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    forms = checksum_forms(pkt)
    assert built_form in forms, (name, built_form, forms)
    lines += [f"checksum: {' '.join(forms)}", f"ip_src: {ip.src}", f"ip_dst: {ip.dst}",
              f"ttl: {ip.ttl if IP in pkt else ip.hlim}"]
    if expect_error:
        lines.append(f"expect_error: {expect_error}")
    lines.append(f"packet: {raw(ip).hex()}")
    write_vector(OUT, f"{name}.vec", [f"built with scapy {scapy.VERSION} by scapy_vectors.py; expected values "
                                      f"are what it set; checksum by scapy: {built_form}"], lines)


def v2(name, vrid, prio, adv, addrs, authtype=0, pw=b"", **kw):
    pwp = pw.ljust(8, b"\0")
    vr = VRRP(version=2, type=1, vrid=vrid, priority=prio, ipcount=len(addrs), authtype=authtype, adv=adv,
              addrlist=addrs, auth1=int.from_bytes(pwp[:4], "big"), auth2=int.from_bytes(pwp[4:], "big"))
    pkt = IP(src=V4S, dst=V4D, ttl=255, tos=0xc0, **kw) / vr
    pkt = IP(raw(pkt))
    auth = "none" if authtype == 0 else (f"pass:{pw.hex()}" if authtype == 1 else "ah")
    write(name, pkt, {"version": 2, "vrid": vrid, "priority": prio, "interval_s": adv, "auth": auth,
                      "addresses": " ".join(addrs)}, "message-only",
          "AuthAhUnsupported" if authtype == 2 else None)


def v3_4(name, vrid, prio, adv, addrs, message_only=False, expect_error=None):
    pkt = IP(src=V4S, dst=V4D, ttl=255, tos=0xc0) / VRRPv3(version=3, type=1, vrid=vrid, priority=prio,
                                                           ipcount=len(addrs), adv=adv, addrlist=addrs)
    pkt = IP(raw(pkt))
    form = "pseudo-header"
    if message_only:
        body = raw(pkt[VRRPv3])
        zeroed = body[:6] + b"\0\0" + body[8:]
        pkt[VRRPv3].chksum = checksum(zeroed)
        pkt = IP(raw(pkt))
        form = "message-only"
    write(name, pkt, {"version": 3, "vrid": vrid, "priority": prio, "interval_cs": adv,
                      "addresses": " ".join(addrs)}, form, expect_error)


def v3_6(name, vrid, prio, adv, addrs):
    pkt = IPv6(src=V6S, dst=V6D, hlim=255) / VRRPv3(version=3, type=1, vrid=vrid, priority=prio,
                                                   ipcount=len(addrs), adv=adv, addrlist=addrs)
    pkt = IPv6(raw(pkt))
    write(name, pkt, {"version": 3, "vrid": vrid, "priority": prio, "interval_cs": adv,
                      "addresses": " ".join(addrs)}, "pseudo-header")


v2("scapy_v2_noauth", 1, 100, 1, ["192.0.2.10"])
v2("scapy_v2_pass", 255, 254, 3, ["192.0.2.10", "192.0.2.11"], authtype=1, pw=b"s3cr3t")
v2("scapy_v2_ah", 7, 100, 1, ["192.0.2.10"], authtype=2)
v2("scapy_v2_prio0", 9, 0, 1, ["192.0.2.12"])
v2("scapy_v2_owner", 10, 255, 1, ["192.0.2.1"])
v2("scapy_v2_ip_options", 11, 100, 1, ["192.0.2.13"], options=[IPOption_Router_Alert()])
v3_4("scapy_v3_ipv4", 20, 1, 100, ["192.0.2.20"])
v3_4("scapy_v3_ipv4_message_only", 21, 150, 50, ["192.0.2.21", "192.0.2.22"], message_only=True)
v3_4("scapy_v3_ipv4_max_interval", 22, 200, 4095, ["192.0.2.23"])
v3_4("scapy_v3_ipv4_many", 23, 100, 100, [f"198.51.100.{i}" for i in range(1, 21)])
v3_4("scapy_v3_ipv4_no_address", 24, 100, 100, [], expect_error="NoAddresses")
v3_6("scapy_v3_ipv6", 30, 100, 100, ["2001:db8::1"])
v3_6("scapy_v3_ipv6_many", 31, 255, 5, [f"2001:db8::{i:x}" for i in range(1, 6)])
print(f"scapy_vectors.py: wrote vectors to {OUT}")
