#!/usr/bin/env bash
# Builds the Debian package of usp-agent from a build publish.sh made:
#   deploy/deb/build.sh [--aot] RID [OUT_DIR]      RID: linux-x64 (amd64) or linux-arm64 (arm64)
# reads out/<rid>/ (or out/<rid>-aot/ with --aot) and writes OUT_DIR/usp-agent_<version>_<arch>.deb
# (OUT_DIR defaults to out/deb/; the NativeAOT package is written as usp-agent_<version>_<arch>-aot.deb
# there, the package inside is the same usp-agent). Depends: is computed by dpkg-shlibdeps from the ELF files;
# a foreign architecture needs its libc6, libstdc++6 and libgcc-s1 installed (dpkg multiarch).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../layout.sh"
usp_read_build_args "$@"
out_dir=${usp_rest[0]:-$repo/out/deb}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/usp-agent"

# Debian 12 keeps units and udev rules under /lib (files may not move between / and /usr there yet).
usp_stage "$root" /lib/systemd/system /lib/udev/rules.d

doc="$root/usr/share/doc/usp-agent"
install -d -m 0755 "$doc" "$root/usr/share/lintian/overrides"
gzip -9n <"$deploy/README.md" >"$doc/README.md.gz"
install -m 0644 "$deploy/deb/copyright" "$doc/copyright"
{
  printf 'usp-agent (%s) unstable; urgency=medium\n\n  * Built from the Usp.Agent repository (%s, %s).\n\n' "$version" "$flavor" "$rid"
  printf ' -- %s  %s\n' "$(sed -n 's/^Maintainer: //p' "$deploy/deb/control.in")" \
    "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz" "$doc/README.md.gz"
install -m 0644 "$deploy/deb/lintian-overrides" "$root/usr/share/lintian/overrides/usp-agent"

# Depends: from the libraries the executable and SQLite's library link against.
mkdir -p "$work/shlibs/debian"
printf 'Source: usp-agent\n\nPackage: usp-agent\nArchitecture: any\n' >"$work/shlibs/debian/control"
elf_files=()
for f in $(usp_native_files); do elf_files+=("-e$root/usr/lib/usp-agent/$f"); done
if ! shlibs=$(cd "$work/shlibs" && DEB_HOST_ARCH=$deb_arch dpkg-shlibdeps -O --warnings=0 "${elf_files[@]}" 2>"$work/shlibdeps.log"); then
  cat "$work/shlibdeps.log" >&2
  echo "build.sh: dpkg-shlibdeps could not resolve the $deb_arch libraries; install them first:" >&2
  echo "  dpkg --add-architecture $deb_arch && apt-get update && apt-get install libc6:$deb_arch libstdc++6:$deb_arch libgcc-s1:$deb_arch" >&2
  exit 1
fi
depends="${shlibs#shlibs:Depends=}, adduser"

# libgpiod is loaded on first use by System.Device.Gpio's libgpiod driver, if the build contains it.
recommends=""
grep -qa 'libgpiod' "$root/usr/lib/usp-agent/usp-agent" && recommends="libgpiod2"

install -d -m 0755 "$root/DEBIAN"
{
  sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$deb_arch/" -e "s/@DEPENDS@/$depends/" \
    -e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" "$deploy/deb/control.in"
} >"$root/DEBIAN/control"
[ -n "$recommends" ] && sed -i "/^Depends:/a Recommends: $recommends" "$root/DEBIAN/control"
echo /etc/usp-agent/usp-agent.json >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "$deploy/deb/$script" "$root/DEBIAN/$script"
done
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles"

suffix=""
[ "$aot" -eq 1 ] && suffix="-aot"
deb="$out_dir/usp-agent_${version}_${deb_arch}${suffix}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "built $deb ($(du -h "$deb" | cut -f1), installed $(sed -n 's/^Installed-Size: //p' "$root/DEBIAN/control") KiB; Depends: $depends${recommends:+; Recommends: $recommends})"
