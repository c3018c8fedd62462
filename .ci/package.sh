#!/usr/bin/env bash
# The Debian package of vrrpd, end to end, as root on a Debian machine (.ci/run calls it; it
# can be run by hand): generate the man pages and completions (`cargo xtask dist`), build the
# package (cargo-deb), check it with lintian, install it without starting anything, check
# what it installed (the unit with `systemd-analyze verify`, the installed `vrrpd -t` on a
# good and a bad configuration, `man -l` on every page, the completions), purge it, and
# check that none of its files is left. Needs dpkg, apt, man-db, lintian and systemd (for
# systemd-analyze; systemd need not be running). Refuses to run where vrrpd is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "package: FAIL: $*" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || fail "run as root (it installs and purges the package)"
for tool in dpkg-deb apt-get man systemd-analyze lintian; do
    command -v "$tool" >/dev/null ||
        fail "$tool is missing (apt-get install dpkg apt man-db systemd lintian)"
done
if dpkg-query -W -f='${Status}' vrrpd 2>/dev/null | grep -qx 'install ok installed'; then
    fail "vrrpd is already installed here; this script installs and purges its own build"
fi
if grep -rqs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
    fail "dpkg here drops man pages (path-exclude in /etc/dpkg/dpkg.cfg.d/): they cannot be checked"
fi
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked

echo "-- generate the man pages and completions (cargo xtask dist)"
rm -rf target/dist
cargo xtask dist
echo "-- build the package (cargo deb)"
deb=$(cargo deb -p vrrpd -- --locked | tail -n 1)
[ -f "$deb" ] || fail "cargo deb printed no package path (got '$deb')"
echo "package: $deb"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
# Debian's own checks; errors and warnings fail. initial-upload-closes-no-bugs is about
# uploads to Debian's archive (an ITP bug to close), not about the package.
echo "-- lintian"
lintian --fail-on error,warning --suppress-tags initial-upload-closes-no-bugs --info "$deb"

# Nothing may start while installing: the package does not start its unit, and policy-rc.d
# (as .ci/run uses for keepalived) makes sure no maintainer script starts one anyway.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
fi
installed=0
cleanup() {
    [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ "$installed" = 1 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq vrrpd >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

echo "-- install"
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$(realpath "$deb")"
files=$(mktemp)
dpkg -L vrrpd | sort > "$files"
echo "installed paths:"
cat "$files"

if pidof /usr/sbin/vrrpd >/dev/null; then
    fail "installing started /usr/sbin/vrrpd"
fi
if ls /etc/systemd/system/*.wants/vrrpd.service >/dev/null 2>&1; then
    fail "installing enabled vrrpd.service"
fi

unit=$(grep '/systemd/system/vrrpd.service$' "$files") || fail "no vrrpd.service installed"
template=$(grep '/systemd/system/vrrpd@.service$' "$files") || fail "no vrrpd@.service installed"
for want in /usr/sbin/vrrpd /usr/share/man/man8/vrrpd.8.gz \
    /usr/share/man/man5/vrrpd.keepalived.conf.5.gz \
    /usr/share/bash-completion/completions/vrrpd /usr/share/zsh/vendor-completions/_vrrpd \
    /usr/share/fish/vendor_completions.d/vrrpd.fish /usr/share/doc/vrrpd/copyright \
    /usr/share/doc/vrrpd/keepalived-compat.md \
    /usr/share/doc/vrrpd/changelog.Debian.gz; do
    grep -qx "$want" "$files" || fail "$want is not in the package"
done

echo "-- systemd-analyze verify $unit $template"
systemd-analyze verify "$unit"
# A template is verified as one of its instances.
systemd-analyze verify "$(dirname "$template")/vrrpd@node1.service" ||
    fail "systemd-analyze verify vrrpd@node1.service"
grep -q '^ExecStartPre=/usr/sbin/vrrpd -t ' "$unit" || fail "unit: no ExecStartPre config check"
grep -q '^Conflicts=keepalived.service' "$unit" || fail "unit: no Conflicts=keepalived.service"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$unit" || fail "unit: no SIGHUP reload"

echo "-- the installed binary"
want_version=$(dpkg-query -W -f='${Version}' vrrpd)
out=$(/usr/sbin/vrrpd --version)
echo "$out"
[ "$out" = "vrrpd ${want_version%%-*}" ] || fail "vrrpd --version does not say ${want_version%%-*}"
good=vrrpd/tests/seeds/000-primary.good.conf
bad=vrrpd/tests/seeds/001-attachment.bad.conf
out=$(/usr/sbin/vrrpd -t -f "$good") || fail "vrrpd -t on $good"
echo "$out"
grep -q 'configuration OK' <<<"$out" || fail "vrrpd -t on $good: no 'configuration OK'"
if /usr/sbin/vrrpd -t -f "$bad"; then
    fail "vrrpd -t accepted $bad"
fi

echo "-- man pages (man -l, groff warnings are failures)"
pages=$(grep '^/usr/share/man/.*\.gz$' "$files")
for page in $pages; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) ||
        fail "man -l $page"
    [ -z "$warnings" ] || fail "man -l $page: $warnings"
    echo "ok: $page"
done
for name in 8:vrrpd 8:vrrpd-status 8:vrrpd-demo 8:vrrpd-drain 8:vrrpd-undrain \
    5:vrrpd.keepalived.conf; do
    man -w "${name%%:*}" "${name#*:}" >/dev/null || fail "man ${name%%:*} ${name#*:} not found"
done

echo "-- completions"
bash -c 'source /usr/share/bash-completion/completions/vrrpd && complete -p vrrpd' ||
    fail "the bash completion does not register vrrpd"
if command -v zsh >/dev/null; then zsh -n /usr/share/zsh/vendor-completions/_vrrpd; fi
if command -v fish >/dev/null; then fish --no-execute /usr/share/fish/vendor_completions.d/vrrpd.fish; fi

deb_bytes=$(stat -c %s "$deb")
installed_kib=$(dpkg-query -W -f='${Installed-Size}' vrrpd)
file_count=0
while read -r p; do [ -d "$p" ] || file_count=$((file_count + 1)); done < "$files"

echo "-- purge"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq vrrpd
installed=0
if dpkg-query -W -f='${Status}' vrrpd 2>/dev/null | grep -qx 'install ok installed'; then
    fail "vrrpd is still installed after purge"
fi
left=0
while read -r p; do
    [ -e "$p" ] || [ -L "$p" ] || continue
    # A directory other packages also own (/usr/share/man/man8...) stays; nothing else may.
    if [ -d "$p" ] && [ ! -L "$p" ] && dpkg-query -S "$p" >/dev/null 2>&1; then
        continue
    fi
    echo "left after purge: $p" >&2
    left=$((left + 1))
done < "$files"
for p in /etc/systemd/system/vrrpd.service /etc/systemd/system/*.wants/vrrpd.service \
    /var/lib/systemd/deb-systemd-helper-enabled/vrrpd.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-masked/vrrpd.service; do
    if [ -e "$p" ] || [ -L "$p" ]; then
        echo "left after purge: $p" >&2
        left=$((left + 1))
    fi
done
rm -f "$files"
[ "$left" = 0 ] || fail "$left path(s) left after purge"
echo "package: OK: $(basename "$deb"), $deb_bytes bytes, Installed-Size $installed_kib KiB," \
    "$file_count files (and no path left after purge)"
