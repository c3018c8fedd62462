#!/usr/bin/python3
"""Print the VRRP adverts of a pcap, one per line, for the end-to-end tests' wire checks.

Usage: /usr/bin/python3 adverts.py PCAP
Line: SRC DST TTL VERSION TYPE VRID PRIORITY COUNT FORMS ADDR...
FORMS: checksum forms the message satisfies (vrrp-proto/tests/vectors/vecfmt.py), comma
separated, or "none". Fields are read from the bytes here, by scapy's IP layers and plain
slicing, independently of vrrp-proto.
"""
import ipaddress
import os
import sys

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "vrrp-proto", "tests", "vectors"))

from scapy.all import IP, IPv6, rdpcap  # noqa: E402

from vecfmt import checksum_forms  # noqa: E402

for pkt in rdpcap(sys.argv[1]):
    if IP in pkt and pkt[IP].proto == 112:
        ip, ttl, width = pkt[IP], pkt[IP].ttl, 4
    elif IPv6 in pkt and pkt[IPv6].nh == 112:
        ip, ttl, width = pkt[IPv6], pkt[IPv6].hlim, 16
    else:
        continue
    body = bytes(ip.payload)
    if len(body) < 8:
        print(ip.src, ip.dst, ttl, "short")
        continue
    version, kind = body[0] >> 4, body[0] & 0x0F
    vrid, prio, count = body[1], body[2], body[3]
    addrs = [
        str(ipaddress.ip_address(body[8 + i * width: 8 + (i + 1) * width]))
        for i in range(count)
        if 8 + (i + 1) * width <= len(body)
    ]
    forms = ",".join(checksum_forms(pkt)) or "none"
    print(ip.src, ip.dst, ttl, version, kind, vrid, prio, count, forms, *addrs)
