#!/usr/bin/env bash
# Builds the boot files of a minimal Debian 12 guest for tests/qemu/run.sh:
#   OUT/root/        the guest's root file system (debootstrap minbase + systemd, udev, kmod, iproute2, libgpiod2,
#                    gpiod, i2c-tools), the distribution kernel's modules plus out-of-tree gpio-sim (+ irq_sim)
#                    and, on arm64, i2c-stub, built from Debian's linux-source-6.1 against the matching headers;
#                    run.sh makes each run's ext4 image from it (with the agent's overlay, on arm64)
#   OUT/vmlinuz      the distribution kernel (pinned below)
#   OUT/initrd.img   a small initramfs made here on the host: busybox, the modules that reach the root disk
#                    (virtio-pci, virtio-blk, ext4) and an /init that mounts /dev/vda and switches to it.
#                    Debian's initramfs-tools is not used: under qemu-user it takes ~16 minutes on arm64.
#
#   tests/qemu/image/build.sh x64|arm64 OUT
#
# Needs root (debootstrap, chroot), debootstrap, qemu-user-static (arm64: registered with binfmt_misc here),
# gcc-12 (x64) or gcc-aarch64-linux-gnu (arm64), make, busybox is fetched for the guest's architecture.
set -euo pipefail

# The kernel every guest boots. Bump the three together when the mirror no longer serves this version.
kernel_version=6.1.192-3
kernel_abi=6.1.0-57

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf '[qemu image %s] %s\n' "$arch" "$*" >&2; }
die() { say "error: $*"; exit 1; }

arch=${1:-}
out=${2:-}
case "$arch" in
  x64) deb_arch=amd64 ;;
  arm64) deb_arch=arm64 ;;
  *) echo "usage: $0 x64|arm64 OUTDIR" >&2; exit 2 ;;
esac
[ -n "$out" ] || { echo "usage: $0 x64|arm64 OUTDIR" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot)"
kernel_release="$kernel_abi-$deb_arch"

mirror=${USP_QEMU_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1 || true)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]\+bookworm[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1 || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.build-$arch.XXXXXX")
debootstrap_pid=""
cleanup() {
  [ -z "$debootstrap_pid" ] || pkill -TERM -P "$debootstrap_pid" 2>/dev/null || true
  for m in proc sys dev; do mountpoint -q "$work/root/$m" 2>/dev/null && umount -l "$work/root/$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
root="$work/root"
start=$SECONDS

# --- arm64 programs run through qemu-user (debootstrap's second stage) ---------------------------------
register_binfmt() {
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && return 0
  local conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -f "$conf" ] || die "$conf is missing: install qemu-user-static"
  # Another process may register it at the same moment: only its absence afterwards is an error.
  grep -v '^#' "$conf" > /proc/sys/fs/binfmt_misc/register 2>/dev/null || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || die "could not register qemu-aarch64 with binfmt_misc"
}
[ "$arch" = arm64 ] && register_binfmt

# --- kernel packages through apt with a private state (the host's dpkg is left alone) -----------------
downloads=${USP_QEMU_DOWNLOADS:-$(dirname "$out")/downloads}
private_apt() { # apt-get|apt-cache ARCH ARGS...
  local tool=$1 a=$2; shift 2
  local state="$downloads/apt-$a"
  mkdir -p "$state/lists/partial" "$state/archives/partial"
  "$tool" -q -o APT::Architecture="$a" -o APT::Architectures::="$a" -o Dir::State::Lists="$state/lists" \
    -o Dir::Cache="$state" -o Dir::State::status=/dev/null -o Debug::NoLocking=1 "$@"
}
fetch() { # ARCH PACKAGE=VERSION... into $downloads/ARCH (kept: the next build reuses them)
  local a=$1; shift
  mkdir -p "$downloads/$a"
  # Both architectures' builds may run at once and share the amd64 downloads.
  exec 9>"$downloads/.lock-$a"
  flock 9
  local missing=()
  for p in "$@"; do
    local name=${p%%=*} version=${p#*=}
    ls "$downloads/$a/${name}_"*"${version#*:}_"*.deb >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && { exec 9>&-; return 0; }
  private_apt apt-get "$a" update >/dev/null 2>&1 || die "apt-get update for $a failed"
  (cd "$downloads/$a" && private_apt apt-get "$a" download "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) \
    || die "could not download ${missing[*]} for $a: is kernel $kernel_version still on the mirror? (update kernel_version/kernel_abi in $0)"
  for p in "${missing[@]}"; do
    local name=${p%%=*} version=${p#*=}
    ls "$downloads/$a/${name}_"*"${version#*:}_"*.deb >/dev/null 2>&1 || die "download of $p for $a did not arrive"
  done
  exec 9>&-
}
deb() { ls "$downloads/$1/$2_"*.deb | head -n 1; }

say "fetching kernel $kernel_version ($kernel_release), its headers and busybox"
fetch "$deb_arch" "linux-image-$kernel_release=$kernel_version" "linux-headers-$kernel_release=$kernel_version" \
  "linux-headers-$kernel_abi-common=$kernel_version"
# The module build runs on the host: the host's kbuild tools (fixdep, modpost) and Debian's kernel source.
fetch amd64 "linux-kbuild-6.1=$kernel_version" "linux-source-6.1=$kernel_version"
ls "$downloads/apt-$deb_arch/lists/"*Packages* >/dev/null 2>&1 || private_apt apt-get "$deb_arch" update >/dev/null 2>&1 || true
busybox_version=$(private_apt apt-cache "$deb_arch" policy busybox-static 2>/dev/null | sed -n 's/^  Candidate: //p')
[ -n "$busybox_version" ] && [ "$busybox_version" != "(none)" ] || die "busybox-static is not on the mirror for $deb_arch"
fetch "$deb_arch" "busybox-static=$busybox_version"

# --- debootstrap, in the background while the modules build --------------------------------------------
packages=systemd,systemd-sysv,udev,kmod,iproute2,libgpiod2,gpiod,i2c-tools,libstdc++6,libssl3,ca-certificates
# The x64 guest installs the agent's .deb, whose maintainer scripts create its user with adduser.
[ "$arch" = x64 ] && packages="$packages,adduser"
# The bootstrapped root is kept as a tarball keyed by what debootstrap was given, so that a change to the
# rest of this script rebuilds the image in about a minute instead of bootstrapping again.
root_tar="$downloads/root-$deb_arch-$(printf '%s %s' "$packages" "$mirror" | sha256sum | cut -c1-12).tar"
if [ -f "$root_tar" ]; then
  say "root from $root_tar"
  (mkdir -p "$root" && tar -C "$root" -xf "$root_tar") &
else
  say "debootstrap bookworm ($deb_arch) from $mirror"
  (debootstrap --arch="$deb_arch" --variant=minbase --include="$packages" bookworm "$root" "$mirror" \
     >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
   tar -C "$root" -cf "$root_tar.tmp" . && mv "$root_tar.tmp" "$root_tar") &
fi
debootstrap_pid=$!

# --- out-of-tree modules: gpio-sim (+ its irq_sim), and i2c-stub where the kernel lacks it ---------------
build_modules() {
  local kb="$work/kbuild" mod="$work/modules"
  mkdir -p "$kb" "$mod" "$work/src"
  dpkg-deb -x "$(deb "$deb_arch" "linux-headers-$kernel_release")" "$kb"
  dpkg-deb -x "$(deb "$deb_arch" "linux-headers-$kernel_abi-common")" "$kb"
  dpkg-deb -x "$(deb amd64 linux-kbuild-6.1)" "$kb"
  local headers="$kb/usr/src/linux-headers-$kernel_release"
  # The headers' Makefile includes the common tree by its installed, absolute path.
  sed -i "s|^include /usr/src/|include $kb/usr/src/|" "$headers/Makefile"
  local files=(drivers/gpio/gpio-sim.c drivers/gpio/gpiolib.h kernel/irq/irq_sim.c)
  local objects="irq_sim.o gpio-sim.o"
  if [ "$arch" = arm64 ]; then files+=(drivers/i2c/i2c-stub.c); objects="$objects i2c-stub.o"; fi
  dpkg-deb --fsys-tarfile "$(deb amd64 linux-source-6.1)" | tar -xO ./usr/src/linux-source-6.1.tar.xz \
    | xz -dc | tar -x -C "$work/src" "${files[@]/#/linux-source-6.1/}"
  for f in "${files[@]}"; do cp "$work/src/linux-source-6.1/$f" "$mod/"; done
  # irq_sim is built into kernels that select IRQ_SIM, so its source has no module boilerplate, and it
  # reaches the irq descriptor through irq_to_desc(), which the kernel does not export to modules;
  # generic_handle_irq() runs the same flow handler (handle_simple_irq, set in irq_sim_domain_map).
  grep -q 'handle_simple_irq(irq_to_desc(irqnum));' "$mod/irq_sim.c" || { echo "irq_sim.c changed upstream" >&2; return 1; }
  sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$mod/irq_sim.c"
  printf '\nMODULE_LICENSE("GPL");\nMODULE_DESCRIPTION("Interrupt simulator (built out of tree for tests/qemu)");\n' >> "$mod/irq_sim.c"
  echo "obj-m := $objects" > "$mod/Kbuild"
  local cross=()
  [ "$arch" = arm64 ] && cross=(CROSS_COMPILE=aarch64-linux-gnu-)
  make -C "$headers" M="$mod" "${cross[@]}" -j"$(nproc)" modules >"$work/modules.log" 2>&1 \
    || { tail -n 30 "$work/modules.log" >&2; return 1; }
}
say "building out-of-tree modules"
build_modules || { kill "$debootstrap_pid" 2>/dev/null || true; die "module build failed"; }
wait "$debootstrap_pid" || die "debootstrap failed"
say "debootstrap done at $((SECONDS - start)) s"

# --- kernel, modules and configuration into the root ----------------------------------------------------
kimage="$work/kimage"
dpkg-deb -x "$(deb "$deb_arch" "linux-image-$kernel_release")" "$kimage"
mkdir -p "$root/lib/modules"
# Drivers a small virtual gateway never loads are left out (about half of the modules' size).
tar -C "$kimage/lib/modules" -c \
  --exclude="$kernel_release/kernel/drivers/gpu" --exclude="$kernel_release/kernel/drivers/media" \
  --exclude="$kernel_release/kernel/drivers/net/wireless" --exclude="$kernel_release/kernel/drivers/staging" \
  --exclude="$kernel_release/kernel/drivers/infiniband" --exclude="$kernel_release/kernel/sound" \
  "$kernel_release" | tar -C "$root/lib/modules" -x
mkdir -p "$root/lib/modules/$kernel_release/extra"
cp "$work/modules/"*.ko "$root/lib/modules/$kernel_release/extra/"
depmod -b "$root" "$kernel_release"

cat > "$root/etc/fstab" <<'EOF'
/dev/vda / ext4 rw,errors=remount-ro 0 0
EOF
echo usp-gateway > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 usp-gateway\n' > "$root/etc/hosts"
mkdir -p "$root/etc/systemd/network" "$root/etc/systemd/journald.conf.d"
cat > "$root/etc/systemd/network/10-qemu.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOF
printf '[Journal]\nStorage=volatile\n' > "$root/etc/systemd/journald.conf.d/volatile.conf"
ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
install -m 0755 "$here/usp-qemu-guest" "$root/usr/local/sbin/usp-qemu-guest"
for unit in usp-qemu-guest.service usp-qemu-board.service; do
  install -m 0644 "$here/$unit" "$root/etc/systemd/system/$unit"
  ln -sf "/etc/systemd/system/$unit" "$root/etc/systemd/system/multi-user.target.wants/$unit"
done
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* 2>/dev/null || true

# --- initramfs: busybox, the root disk's modules in dependency order, /init --------------------------------
initrd="$work/initrd"
mkdir -p "$initrd/bin" "$initrd/lib/modules"
dpkg-deb -x "$(deb "$deb_arch" busybox-static)" "$work/busybox"
cp "$work/busybox/bin/busybox" "$initrd/bin/busybox"
for applet in sh mount umount insmod mkdir sleep switch_root cat; do ln -s busybox "$initrd/bin/$applet"; done
moddir="$root/lib/modules/$kernel_release"
order=()
add_module() { # PATH relative to moddir, its dependencies first
  local path=$1 seen dep
  for seen in "${order[@]}"; do [ "$seen" = "$path" ] && return 0; done
  local line
  line=$(grep -m1 "^$path:" "$moddir/modules.dep") || die "module $path is not in modules.dep"
  for dep in ${line#*:}; do add_module "$dep"; done
  order+=("$path")
}
for name in virtio_pci virtio_blk crc32c_generic ext4; do
  path=$(grep -m1 -oE "^[^:]*/$name\.ko" "$moddir/modules.dep") || die "module $name not found"
  add_module "$path"
done
for path in "${order[@]}"; do
  mkdir -p "$initrd/lib/modules/$(dirname "$path")"
  cp "$moddir/$path" "$initrd/lib/modules/$path"
  echo "/lib/modules/$path" >> "$initrd/modules.order"
done
install -m 0755 "$here/initramfs-init" "$initrd/init"
(cd "$initrd" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.img"

# --- the boot files; run.sh makes the ext4 image of each run from root/ --------------------------------------
mkdir -p "$out.tmp"
cp "$kimage/boot/vmlinuz-$kernel_release" "$out.tmp/vmlinuz"
mv "$work/initrd.img" "$root" "$out.tmp/"
echo "$kernel_release" > "$out.tmp/kernel-release"
rm -rf "$out"
mv "$out.tmp" "$out"
say "done in $((SECONDS - start)) s: $out"
