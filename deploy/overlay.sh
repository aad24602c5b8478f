#!/usr/bin/env bash
# Builds the root-filesystem overlay of usp-agent from a build publish.sh made:
#   deploy/overlay.sh [--aot] RID OUT.tar.gz      RID: linux-x64 or linux-arm64
# The tarball holds the same files as the Debian package, laid out to be unpacked over a Yocto, Buildroot or
# Raspberry Pi OS root filesystem (tar -xzf OUT.tar.gz -C ROOT): only paths under /usr and /etc, so a merged-/usr
# root's /lib and /bin symlinks are never replaced. The unit is enabled by its multi-user.target.wants link;
# the usp-agent user and the gpio/i2c groups are made on first boot by systemd-sysusers (sysusers.d) and the
# data directory by systemd-tmpfiles (tmpfiles.d). Owner root:root, reproducible given SOURCE_DATE_EPOCH.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/layout.sh"
usp_read_build_args "$@"
[ ${#usp_rest[@]} -eq 1 ] || { echo "usage: $(basename "$0") [--aot] RID OUT.tar.gz" >&2; exit 2; }
out=${usp_rest[0]}
case "$out" in *.tar.gz|*.tgz) ;; *) echo "$(basename "$0"): OUT must end in .tar.gz" >&2; exit 2 ;; esac
mkdir -p "$(dirname "$out")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

usp_stage "$root" /usr/lib/systemd/system /usr/lib/udev/rules.d
install -d -m 0755 "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d" "$root/etc/systemd/system/multi-user.target.wants" \
  "$root/usr/share/doc/usp-agent"
install -m 0644 "$deploy/overlay/usp-agent.sysusers" "$root/usr/lib/sysusers.d/usp-agent.conf"
install -m 0644 "$deploy/overlay/usp-agent.tmpfiles" "$root/usr/lib/tmpfiles.d/usp-agent.conf"
ln -s /usr/lib/systemd/system/usp-agent.service "$root/etc/systemd/system/multi-user.target.wants/usp-agent.service"
gzip -9n <"$deploy/README.md" >"$root/usr/share/doc/usp-agent/README.md.gz"; chmod 0644 "$root/usr/share/doc/usp-agent/README.md.gz"
install -m 0644 "$deploy/deb/copyright" "$root/usr/share/doc/usp-agent/copyright"

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
# Members are ./etc/... and ./usr/... only (no ./ entry, whose mode would be applied to the target's root).
(cd "$root" && find etc usr -print0 | LC_ALL=C sort -z | \
  tar --null --no-recursion -T - --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - ) | gzip -9n >"$out"
echo "built $out ($(du -h "$out" | cut -f1), $(du -sk "$root" | cut -f1) KiB unpacked) for $rid ($flavor)"
