#!/bin/bash
# Capture VRRP adverts, gratuitous ARPs and unsolicited NAs sent by the real keepalived.
#
# Usage (root):  capture.sh [OUTDIR]            (default: the keepalived/ dir next to this file)
#                CAPTURE_CASES="a c e f" capture.sh OUTDIR   (a subset of the letters below)
#
# Runs inside `vrrp-lab pair` (the workspace's lab/ crate, built with cargo): two network
# namespaces (vrrpv-PID-N) joined by a veth pair, addresses from 192.0.2.0/24 and
# 2001:db8::/64 only, removed by vrrp-lab when this script ends. keepalived runs in A in the foreground with one
# instance per selected case (all `state MASTER`); tcpdump captures in B. keepalived is then
# stopped with SIGTERM, so every instance also sends its priority-0 advert. pcap2vec.py
# writes one vector file per packet kind into OUTDIR; the expected field values in each file
# come from the case table below (the keepalived configuration), never from our decoder.
#
# Everything made here is removed on exit (trap): temp dir, and only the pids this script
# started; the namespaces go with vrrp-lab.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${1:-$HERE/keepalived}")
CASES_WANTED=${CAPTURE_CASES:-a b c d e f h}

if [ "$(id -u)" != 0 ]; then
    echo "capture.sh: needs root (network namespaces)" >&2
    exit 2
fi

if [ -z "${VRRP_LAB_NS_A:-}" ]; then
    exec cargo run -q --manifest-path "$HERE/../../../Cargo.toml" -p vrrp-lab -- \
        pair vrrpv -- "$0" "$@"
fi
NS_A=$VRRP_LAB_NS_A
NS_B=$VRRP_LAB_NS_B
DEV_A=$VRRP_LAB_IF_A
DEV_B=$VRRP_LAB_IF_B
A4=$VRRP_LAB_A4
B4=$VRRP_LAB_B4
TMP=$(mktemp -d /tmp/vrrpcap.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The case table. letter name vrid version priority advert_int auth(-|password) unicast(0|1)
# extra-option(-|word) VIPs...   (g, priority 0, is every case's SIGTERM advert.)
# d: keepalived 2.2.7 has no option to send the message-only v3/IPv4 checksum (no such
#    keyword in keepalived.conf(5) nor in the binary); its only checksum knob is the per
#    instance `old_unicast_checksum`, captured here. Message-only v3 comes from scapy.
CASE_TABLE="\
a v2_noauth               51 2 150 1   -               0 -                    192.0.2.100
b v2_pass                 52 2 200 1   secret12        0 -                    192.0.2.101 192.0.2.102 192.0.2.103
b v2_pass_long            53 2 180 2   longpassword123 0 -                    192.0.2.104
c v3_ipv4                 54 3 100 0.5 -               0 -                    192.0.2.110 192.0.2.111 192.0.2.112
d v3_unicast_old_checksum 58 3 111 1   -               1 old_unicast_checksum 192.0.2.123
e v3_ipv6                 55 3 120 0.2 -               0 -                    2001:db8::100 2001:db8::101
f v2_unicast              56 2 90  1   pw              1 -                    192.0.2.120
f v3_unicast              57 3 110 1   -               1 -                    192.0.2.121 192.0.2.122
h v3_owner                59 3 255 1   -               0 -                    192.0.2.130
h v2_owner                60 2 255 1   -               0 -                    198.51.100.130
"

selected() {
    while read -r letter rest; do
        [ -n "$letter" ] || continue
        case " $CASES_WANTED " in *" $letter "*) echo "$letter $rest" ;; esac
    done <<<"$CASE_TABLE"
}

write_config() {
    cat <<EOF
global_defs {
  router_id vectors
}
EOF
    selected | while read -r _ name vrid ver prio adv auth uni extra vips; do
        echo "vrrp_instance $name {"
        echo "  state MASTER"
        echo "  interface $DEV_A"
        echo "  virtual_router_id $vrid"
        echo "  priority $prio"
        echo "  advert_int $adv"
        echo "  version $ver"
        if [ "$auth" != - ]; then
            echo "  authentication {"
            echo "    auth_type PASS"
            echo "    auth_pass $auth"
            echo "  }"
        fi
        if [ "$uni" = 1 ]; then
            echo "  unicast_src_ip $A4"
            echo "  unicast_peer {"
            echo "    $B4"
            echo "  }"
        fi
        [ "$extra" = - ] || echo "  $extra"
        echo "  virtual_ipaddress {"
        for v in $vips; do echo "    $v"; done
        echo "  }"
        echo "}"
    done
}

main() {
    mkdir -p "$OUT"
    selected >"$TMP/cases"
    [ -s "$TMP/cases" ] || { echo "capture.sh: no case selected by '$CASES_WANTED'" >&2; exit 2; }
    write_config >"$TMP/keepalived.conf"

    ip netns exec "$NS_B" tcpdump -q -n -U -i "$DEV_B" -w "$TMP/cap.pcap" \
        'ip proto 112 or ip6 proto 112 or arp or icmp6' >/dev/null 2>"$TMP/tcpdump.log" &
    PIDS+=($!)
    local dump=$!
    sleep 1.5

    ip netns exec "$NS_A" keepalived -n -l -D -P -f "$TMP/keepalived.conf" \
        -p "$TMP/keepalived.pid" -r "$TMP/vrrp.pid" -c "$TMP/check.pid" \
        >"$TMP/keepalived.log" 2>&1 &
    PIDS+=($!)
    local ka=$!
    # Longest Master_Down_Interval in the table: 3 x 2 s + skew; then adverts and GARPs.
    sleep "${CAPTURE_SECONDS:-9}"
    kill -TERM "$ka"
    wait "$ka" || true
    sleep 1
    kill -INT "$dump"
    wait "$dump" || true
    PIDS=() # both reaped: never signal those pids again, they may be reused

    if ! /usr/bin/python3 "$HERE/pcap2vec.py" "$TMP/cap.pcap" "$TMP/cases" "$OUT"; then
        echo "capture.sh: extraction failed; keepalived log follows" >&2
        cat "$TMP/keepalived.log" >&2
        exit 1
    fi
}

main
