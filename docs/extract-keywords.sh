#!/bin/sh
# Extract every keyword of keepalived 2.2.7's VRRP side (and the rest of global_defs, marked
# not applicable) from keepalived's source, one "SECTION KEYWORD SCOPE" line each, to stdout.
#
# Regenerate the checked-in list with:
#   docs/extract-keywords.sh > docs/keepalived-2.2.7-keywords.txt
# KEEPALIVED_GIT (default /work/.mirror/acassen+keepalived/repo) is a git directory holding
# keepalived's history; KEEPALIVED_REV (default v2.2.7) the version read.
#
# SCOPE is "vrrp" for what keepalived's VRRP process uses, or what else it is for
# ("lvs", "bfd", "snmp", "dbus", "general") for global_defs keywords outside VRRP: the
# #ifdef around each install_keyword() call tells. Sources read:
#   keepalived/core/global_parser.c   init_global_keywords()      -> global_defs, top-level
#   keepalived/vrrp/vrrp_parser.c     init_vrrp_keywords()        -> top-level and its blocks
#   keepalived/trackers/track_file.c  add_track_file_keywords()   -> track_file, vrrp_track_file
#   keepalived/check/check_parser.c, keepalived/bfd/bfd_parser.c  -> their top-level blocks
#   keepalived/vrrp/vrrp_ipaddress.c  alloc_ipaddress()  -> virtual_ipaddress / static_ipaddress
#   keepalived/vrrp/vrrp_iproute.c    alloc_route(), parse_nexthops() -> *_routes options
#   keepalived/vrrp/vrrp_iprule.c     alloc_rule()       -> *_rules options
#   lib/parser.c                      the config language (include variants, @, $, ~SEQ...)
set -eu
GIT=${KEEPALIVED_GIT:-/work/.mirror/acassen+keepalived/repo}
REV=${KEEPALIVED_REV:-v2.2.7}
src() { git --git-dir="$GIT" show "$REV:$1"; }

# install_keyword_root / install_keyword / install_sublevel calls of one function, in order.
# The first argument is the file, the second the function whose body is read.
installs() {
	src "$1" | awk -v fn="$2" '
		$0 ~ "^" fn "\\(" { inside = 1; next }
		inside && /^}/ { exit }
		inside { print }'
}

# Keyword tree -> "SECTION KEYWORD SCOPE". Roots are listed in section "top-level"; the
# keywords after a root are in the root'"'"'s section, a sublevel opens "ROOT.KEYWORD".
# Scope comes from the #ifdef stack (global_defs only; everything else is vrrp).
tree() {
	awk -v default_scope="$1" '
		function scope(   i, s) {
			s = default_scope
			for (i = 1; i <= depth; i++) {
				if (stack[i] ~ /_WITH_LVS_|IPVS/) s = "lvs"
				else if (stack[i] ~ /_WITH_BFD_/ && s != "lvs") s = "bfd"
				else if (stack[i] ~ /_WITH_SNMP/) s = "snmp"
				else if (stack[i] ~ /_WITH_DBUS_/) s = "dbus"
				else if (stack[i] ~ /_WITH_VRRP_|_HAVE_VRRP_VMAC_|_WITH_TRACK_PROCESS_|IPTABLES|NFTABLES|LIBIPSET/ && s == "general") s = "vrrp"
			}
			return s
		}
		/^#if/ { stack[++depth] = $0; next }
		/^#else/ { stack[depth] = "!" stack[depth]; next }
		/^#endif/ { depth--; next }
		{
			if (!match($0, /install_(keyword_root|keyword|sublevel_end_handler|sublevel_end|sublevel|root_end_handler)\(/)) next
			call = substr($0, RSTART + 8, RLENGTH - 9)
			if (call == "sublevel") { parent = section; section = section "." last; next }
			if (call == "sublevel_end") { section = parent; next }
			if (call ~ /handler$/) next
			if (!match($0, /"[^"]*"/)) next
			kw = substr($0, RSTART + 1, RLENGTH - 2)
			if (call == "keyword_root") {
				root = kw; section = kw; parent = kw
				out = "top-level " kw " " scope()
			} else {
				out = section " " kw " " scope()
				last = kw
			}
			if (!(out in seen)) { seen[out] = 1; print out }
		}'
}

# The words a function compares its arguments with (strcmp(str, "WORD")).
words() {
	src "$1" | awk -v fn="$2" '
		$0 ~ "^" fn "\\(" { inside = 1; next }
		inside && /^}/ { exit }
		inside {
			line = $0
			while (match(line, /strcmp\(str, *"[^"]+"\)/)) {
				w = substr(line, RSTART, RLENGTH)
				sub(/^strcmp\(str, *"/, "", w); sub(/"\)$/, "", w)
				print w
				line = substr(line, RSTART + RLENGTH)
			}
		}' | awk '!seen[$0]++'
}

{
	installs keepalived/core/global_parser.c init_global_keywords | tree general
	installs keepalived/vrrp/vrrp_parser.c init_vrrp_keywords | tree vrrp
	installs keepalived/trackers/track_file.c add_track_file_keywords | tree vrrp
	for f in keepalived/check/check_parser.c keepalived/bfd/bfd_parser.c; do
		case $f in *check*) s=lvs ;; *) s=bfd ;; esac
		src "$f" | grep -o 'install_keyword_root("[^"]*"' | sed 's/.*("//; s/"$//' |
			awk -v s="$s" '!seen[$0]++ { print "top-level " $0 " " s }'
	done

	# Options of a unicast_peer line (alloc_vrrp_unicast_peer in vrrp_data.c).
	src keepalived/vrrp/vrrp_data.c | awk '/^alloc_vrrp_unicast_peer\(/ { f = 1 } f && /^}/ { exit } f' |
		grep -o 'strcmp(strvec_slot(strvec, i), "[^"]*")' | sed 's/.*, "//; s/")$//' |
		awk '!seen[$0]++ { print "vrrp_instance.unicast_peer " $0 " vrrp" }'

	# Address options: track_group only for static addresses, use_vmac only for VIPs.
	for w in $(words keepalived/vrrp/vrrp_ipaddress.c alloc_ipaddress); do
		[ "$w" = track_group ] || echo "virtual_ipaddress $w vrrp"
		[ "$w" = use_vmac ] || echo "static_ipaddress $w vrrp"
	done
	# Route options (alloc_route, then the words of a "nexthop" clause); track_group only
	# for static routes.
	# (low/medium/high and enabled/disabled are the values of pref and ttl-propagate.)
	for w in $(words keepalived/vrrp/vrrp_iproute.c alloc_route | grep -vx 'low\|medium\|high\|enabled\|disabled'); do
		[ "$w" = track_group ] || echo "virtual_routes $w vrrp"
		echo "static_routes $w vrrp"
	done
	# (inet/inet6 there are the address family after via.)
	for w in $(words keepalived/vrrp/vrrp_iproute.c parse_nexthops | grep -vx 'inet\|inet6'); do
		echo "virtual_routes.nexthop $w vrrp"
	done
	for w in $(words keepalived/vrrp/vrrp_iprule.c alloc_rule); do
		[ "$w" = track_group ] || echo "virtual_rules $w vrrp"
		echo "static_rules $w vrrp"
	done

	# The config language (lib/parser.c): each construct is listed only if the code that
	# handles it is found, so a version without it drops the row.
	p=$(src lib/parser.c)
	has() { printf '%s\n' "$p" | grep -q -- "$1"; }
	has 'strncmp(buf, "include", 7)' && echo "language include vrrp"
	if has 'strchr("rmwba", buf\[7\])'; then
		for c in r m w b a; do echo "language include$c vrrp"; done
	fi
	has "buf\[0\] == '@'" && echo "language @ID vrrp"
	has "buf\[1\] == '^'" && echo "language @^ID vrrp"
	has "buf\[0\] == '\$' && (def = check_definition" && echo 'language $NAME=value vrrp'
	has 'multiline_param_def = true' && echo 'language $NAME=multi-line vrrp'
	has "'{'" && echo 'language ${NAME} vrrp'
	has 'max_params' && echo 'language ${NAME}-parameters vrrp'
	for d in $(printf '%s\n' "$p" | grep -o 'add_std_definition("[A-Z_]*"' | sed 's/.*("//; s/"$//'); do
		echo "language \$$d vrrp"
	done
	has 'strncmp(buf, "~SEQ", 4)' && echo "language ~SEQ vrrp"
	has 'strncmp(buf, "~LST", 4)' && echo "language ~LST vrrp"
	has "(\*p == '!' || \*p == '#')" && { echo "language # vrrp"; echo "language ! vrrp"; }
	has "cur_quote == '\"'" && echo 'language "double-quoted" vrrp'
	has "cur_quote == '\\\\''" && echo "language 'single-quoted' vrrp"
	has 'strcmp(str, "yes")' && echo "language yes/no/true/false/on/off vrrp"
	has 'strcmp(buf, BOB)' && echo "language {-on-own-line vrrp"
} | awk '!seen[$0]++'
