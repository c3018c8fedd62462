#!/usr/bin/python3
"""Hostile VRRP packets for vrrpd/tests/hostile.rs, sent from the peer namespace.

Usage: inject.py IFACE DST_MAC
Reads lines "KIND COUNT [RATE]" on stdin; for each, sends COUNT packets of that kind on
IFACE (raw Ethernet frames: multicast MAC for 224.0.0.18, DST_MAC for unicast) and answers
"sent KIND COUNT" on stdout once they are all out (or "error ..." for an unknown kind).
Without RATE they go 20 ms apart through scapy; with RATE (packets a second) the frame is
built once and sent through one AF_PACKET socket in bursts of 50, a flood.

The VRRP bytes are built here by hand so that every field, the length and the checksum
are exactly what each kind needs; scapy only adds the Ethernet and IPv4 headers (IPv4
checksum and total length computed by scapy, so only the VRRP layer is hostile).
"""

import socket
import struct
import sys
import time

from scapy.all import IP, Ether, Raw, conf, get_if_hwaddr, sendp

conf.verb = 0

GROUP = "224.0.0.18"
GROUP_MAC = "01:00:5e:00:00:12"
PEER = "192.0.2.2"  # the namespace we send from (the unicast instance's peer)
STRANGER = "192.0.2.3"  # nobody's address, not a configured peer
DAEMON = "192.0.2.1"  # vrrpd's address (the unicast instance's unicast_src_ip)
VIP_V2 = "192.0.2.100"  # VI_1's virtual address
VIP_V3 = "192.0.2.101"  # VI_2's virtual address
PASSWORD = b"1111"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def v2(
    vrid=51,
    prio=100,
    count=None,
    addrs=(VIP_V2,),
    auth_type=1,
    password=PASSWORD,
    interval=1,
    version=2,
    msg_type=1,
):
    """A VRRPv2 advert (RFC 3768 §5.1), checksum over the message only."""
    raw_addrs = b"".join(socket.inet_aton(a) for a in addrs)
    if count is None:
        count = len(addrs)
    hdr = bytes([(version << 4) | msg_type, vrid, prio, count, auth_type, interval, 0, 0])
    return hdr + raw_addrs + password.ljust(8, b"\0")[:8]


def v3(vrid=52, prio=100, addrs=(VIP_V3,), interval_cs=100, version=3, msg_type=1):
    """A VRRPv3 advert (RFC 9568 §5.1); checksum left zero (see fix_v3)."""
    raw_addrs = b"".join(socket.inet_aton(a) for a in addrs)
    hdr = bytes([(version << 4) | msg_type, vrid, prio, len(addrs)])
    hdr += struct.pack("!HH", interval_cs & 0x0FFF, 0)
    return hdr + raw_addrs


def fix_v2(msg):
    """Put the RFC 3768 checksum (message only) into bytes 6-7."""
    msg = bytearray(msg)
    msg[6:8] = b"\0\0"
    msg[6:8] = struct.pack("!H", csum(bytes(msg)))
    return bytes(msg)


def fix_v3(msg, src, dst):
    """Put the RFC 9568 checksum (IPv4 pseudo-header + message) into bytes 6-7."""
    msg = bytearray(msg)
    msg[6:8] = b"\0\0"
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst)
    pseudo += struct.pack("!BBH", 0, 112, len(msg))
    msg[6:8] = struct.pack("!H", csum(pseudo + bytes(msg)))
    return bytes(msg)


def bad(msg):
    """Flip the checksum so that it verifies in no form."""
    msg = bytearray(msg)
    msg[6] ^= 0x5A
    return bytes(msg)


# kind -> (src, dst, ttl, VRRP bytes). Every kind but the checksum one carries a checksum
# that verifies, so each exercises exactly one check.
KINDS = {
    # Global drops (RFC 8347 vrrp-global statistics).
    "ttl": (PEER, GROUP, 64, fix_v2(v2())),
    "checksum": (PEER, GROUP, 255, bad(fix_v2(v2()))),
    "version1": (PEER, GROUP, 255, fix_v2(v2(version=1))),
    "version4": (PEER, GROUP, 255, fix_v2(v2(version=4))),
    "vrid0": (PEER, GROUP, 255, fix_v2(v2(vrid=0))),
    "unknown_vrid": (PEER, GROUP, 255, fix_v2(v2(vrid=77))),
    # Per-router drops, attributed by the VRID byte (VI_1: 51).
    "type2": (PEER, GROUP, 255, fix_v2(v2(msg_type=2))),
    "truncated_header": (PEER, GROUP, 255, fix_v2(v2())[:6]),
    "truncated_auth": (PEER, GROUP, 255, fix_v2(v2()[:12])),
    "longer_than_declared": (PEER, GROUP, 255, fix_v2(v2() + b"\0\0\0\0")),
    "count_more_than_addresses": (PEER, GROUP, 255, fix_v2(v2(count=2))),
    "count_zero": (PEER, GROUP, 255, fix_v2(v2(addrs=()))),
    "auth_password": (PEER, GROUP, 255, fix_v2(v2(password=b"2222"))),
    "auth_type_none": (PEER, GROUP, 255, fix_v2(v2(auth_type=0, password=b""))),
    "auth_type_ah": (PEER, GROUP, 255, fix_v2(v2(auth_type=2))),
    "auth_type_7": (PEER, GROUP, 255, fix_v2(v2(auth_type=7))),
    "interval_3": (PEER, GROUP, 255, fix_v2(v2(interval=3))),
    "interval_0": (PEER, GROUP, 255, fix_v2(v2(interval=0))),
    # Accepted (lower priority) but the address list differs: counted, not dropped.
    "address_list": (PEER, GROUP, 255, fix_v2(v2(addrs=("192.0.2.99",)))),
    # Well-formed lower-priority adverts (priority 1, the right addresses), for floods:
    # VI_1 of the flood test (v2, VRID 51) and VI_3 (v3 multicast, VRID 53, 192.0.2.102).
    "prio1": (PEER, GROUP, 255, fix_v2(v2(prio=1))),
    # A higher priority (vrrpd/tests/wire_keepalived.rs: `higher_prio_send_advert`).
    "prio254": (PEER, GROUP, 255, fix_v2(v2(prio=254))),
    "prio1_v3": (PEER, GROUP, 255, fix_v3(v3(vrid=53, prio=1, addrs=("192.0.2.102",)), PEER, GROUP)),
    # VI_2: VRRPv3, unicast_src_ip 192.0.2.1, unicast_peer { 192.0.2.2 }, VRID 52.
    "v3_stranger": (STRANGER, DAEMON, 255, fix_v3(v3(), STRANGER, DAEMON)),
    "v3_stranger_prio255": (STRANGER, DAEMON, 255, fix_v3(v3(prio=255), STRANGER, DAEMON)),
    "v2_to_v3_instance": (PEER, DAEMON, 255, fix_v2(v2(vrid=52, addrs=(VIP_V3,)))),
}


def send(kind, count, iface, dst_mac, rate=None):
    src, dst, ttl, msg = KINDS[kind]
    mac = GROUP_MAC if dst == GROUP else dst_mac
    # The source MAC explicitly: scapy finds none for 224.0.0.18 (no route in the
    # namespace) and a bridge drops frames from 00:00:00:00:00:00.
    ip = IP(src=src, dst=dst, ttl=ttl, proto=112, tos=0xC0)
    frame = Ether(src=get_if_hwaddr(iface), dst=mac) / ip / Raw(msg)
    if rate is not None:
        flood(bytes(frame), count, iface, rate)
        return
    for _ in range(count):
        sendp(frame, iface=iface)
        time.sleep(0.02)


def flood(raw, count, iface, rate, burst=50):
    """`count` copies of the frame `raw`, `rate` a second, in bursts of `burst`."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    start = time.monotonic()
    sent = 0
    while sent < count:
        n = min(burst, count - sent)
        for _ in range(n):
            s.send(raw)
        sent += n
        ahead = start + sent / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    s.close()


def main():
    iface, dst_mac = sys.argv[1], sys.argv[2]
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) not in (2, 3) or words[0] not in KINDS:
            print("error", line.strip(), flush=True)
            continue
        rate = int(words[2]) if len(words) == 3 else None
        send(words[0], int(words[1]), iface, dst_mac, rate)
        print("sent", words[0], words[1], flush=True)


if __name__ == "__main__":
    main()
