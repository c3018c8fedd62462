"""Shared by pcap2vec.py and scapy_vectors.py: the vector file format and the checksum-form
detection (each form recomputed with scapy, never with the decoder under test).

A vector file is `key: value` lines (`#` starts a comment). Keys: source, kind (advert |
garp | na), case, family (4 | 6), version, vrid, priority, interval_s (v2, seconds) or
interval_cs (v3, centiseconds), auth (none | pass:HEX of the 8 wire bytes | ah), addresses
(in order), checksum (every form the packet satisfies: message-only, pseudo-header,
old-unicast), ip_src, ip_dst, ttl (IPv4 TTL or IPv6 hop limit), optional expect_error, and
packet (the whole IP packet, header included, in hex) or frame (Ethernet, for garp/na).
"""
import os

from scapy.all import IP, IPv6, checksum, in4_chksum, in6_chksum


def checksum_forms(pkt):
    """Every checksum form the VRRP message in `pkt` (IP or IPv6 layer first) satisfies."""
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
        # keepalived's pre-1.3.6 v3 unicast form (`old_unicast_checksum`): the pseudo-header
        # built with the multicast group 224.0.0.18 as destination.
        old = IP(src=ip.src, dst="224.0.0.18", proto=112)
        if in4_chksum(112, old, zeroed) == got:
            forms.append("old-unicast")
    return forms


def write_vector(outdir, fname, comments, lines):
    """Write `# comment` lines then `key: value` lines to OUTDIR/FNAME."""
    with open(os.path.join(outdir, fname), "w") as f:
        f.write("".join(f"# {c}\n" for c in comments))
        f.write("".join(f"{line}\n" for line in lines))
