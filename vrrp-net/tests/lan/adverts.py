#!/usr/bin/python3
"""Print the VRRP adverts of a pcap, one per line, for the end-to-end tests' wire checks.

Usage: /usr/bin/python3 adverts.py [--long] PCAP
Line: SRC DST TTL VERSION TYPE VRID PRIORITY COUNT FORMS ADDR...
With --long each line starts with TIME INTERVAL AUTH: the capture time (seconds since the
epoch), the advert interval field (v2: seconds; v3: centiseconds, the reserved bits
dropped) and, for v2, AUTHTYPE:HEX of the 8 authentication bytes ("-" for v3).
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

args = sys.argv[1:]
long_form = args[:1] == ["--long"]
if long_form:
    args = args[1:]

for pkt in rdpcap(args[0]):
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
    head = []
    if long_form:
        if version == 2:
            interval = body[5]
            tail = body[8 + count * width:]
            auth = f"{body[4]}:{tail.hex()}"
        else:
            interval = int.from_bytes(body[4:6], "big") & 0x0FFF
            auth = "-"
        head = [f"{float(pkt.time):.6f}", interval, auth]
    print(*head, ip.src, ip.dst, ttl, version, kind, vrid, prio, count, forms, *addrs)
