#!/usr/bin/env bash
# Tests what deploy/ ships: the systemd unit (systemd-analyze verify and security), the Debian packages of both
# architectures (dpkg-deb --info/--contents, lintian), the amd64 package installed into a debootstrapped Debian 12
# root (chroot, policy-rc.d denying starts), removed and purged, and the image overlays (unpacked over the same
# root, systemd-sysusers and systemd-tmpfiles applied). Run by tests/run.sh, which installs systemd, lintian,
# debootstrap, dpkg-dev and the arm64 libraries dpkg-shlibdeps reads.
#   tests/deploy/run.sh RESULTS_FILE
# Builds with publish.sh unless USP_AGENT_PUBLISHED=1 says out/linux-x64 and out/linux-arm64 are fresh; the NativeAOT
# checks run when USP_AGENT_PUBLISHED=1 and out/linux-x64-aot and out/linux-arm64-aot exist (.ci/run publishes all
# four), and are counted as skipped otherwise.
# Prints "ok - NAME" or "not ok - NAME" per check and writes "passed=N failed=N skipped=N" to RESULTS_FILE.
# The debootstrapped root is cached under /var/cache/usp-agent-tests, keyed by a hash of what makes it.
set -u  # no pipefail: a check that reads a pipe with grep -q must not fail when grep stops reading early

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
results_file=${1:?usage: tests/deploy/run.sh RESULTS_FILE}
cd "$repo"
# The exposure systemd-analyze security reports for each flavor's unit, as the README claims it (the ReadyToRun
# unit allows sched_setaffinity of @resources for CoreCLR: 0.1 more).
claimed_exposure_r2r=1.6
claimed_exposure_aot=1.5

work=$(mktemp -d /var/tmp/usp-agent-deploy-tests.XXXXXX)
mounts=()
cleanup() {
  local m
  for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

passed=0 failed=0 skipped=0
say() { printf '[tests/deploy] %s\n' "$*" >&2; }
check() {  # check NAME COMMAND...: one test, passed when COMMAND succeeds; its output is shown when it fails.
  local name=$1 log="$work/check.log"; shift
  if "$@" >"$log" 2>&1; then
    echo "ok - $name"; passed=$((passed + 1))
  else
    echo "not ok - $name"; sed 's/^/    /' "$log" | tail -n 40; failed=$((failed + 1))
  fi
}
finish() { echo "passed=$passed failed=$failed skipped=$skipped" >"$results_file"; exit 0; }

# --- builds --------------------------------------------------------------------------------------------
if [ "${USP_AGENT_PUBLISHED:-0}" != 1 ]; then
  for rid in linux-x64 linux-arm64; do
    say "publishing $rid"
    ./publish.sh "$rid" >&2 || { echo "not ok - publish $rid"; failed=$((failed + 1)); finish; }
  done
fi
debs="$work/debs"
for rid in linux-x64 linux-arm64; do
  deploy/deb/build.sh "$rid" "$debs" >&2 || { echo "not ok - deploy/deb/build.sh $rid"; failed=$((failed + 1)); finish; }
  deploy/overlay.sh "$rid" "$work/overlay-$rid.tar.gz" >&2 || { echo "not ok - deploy/overlay.sh $rid"; failed=$((failed + 1)); finish; }
done
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
deb_amd64="$debs/usp-agent_${version}_amd64.deb"
deb_arm64="$debs/usp-agent_${version}_arm64.deb"

# --- the unit ------------------------------------------------------------------------------------------
exposure_of() {  # exposure_of UNIT_FILE: the overall exposure systemd-analyze security reports offline
  systemd-analyze security --offline=true "$1" 2>/dev/null | sed -n 's/.*Overall exposure level for usp-agent.service: \([0-9.]*\) .*/\1/p'
}
unit_of() {  # unit_of r2r|aot: the path of that flavor's unit as deploy/layout.sh installs it
  local dir="$work/unit-$1"
  mkdir -p "$dir"
  (aot=0; [ "$1" = aot ] && aot=1; deploy=deploy; source <(sed -n '/^usp_unit() {/,/^}/p' deploy/layout.sh); usp_unit) >"$dir/usp-agent.service"
  echo "$dir/usp-agent.service"
}
exposure_is_claimed() {
  local unit value claimed
  unit=$(unit_of "$1")
  claimed=$claimed_exposure_r2r; [ "$1" = aot ] && claimed=$claimed_exposure_aot
  if [ "$1" = aot ]; then
    grep -qx 'MemoryDenyWriteExecute=yes' "$unit" || { echo "no MemoryDenyWriteExecute=no line switched"; return 1; }
    ! grep -q 'sched_setaffinity' "$unit" || { echo "the NativeAOT unit kept the CoreCLR relaxation"; return 1; }
  fi
  value=$(exposure_of "$unit")
  echo "exposure $1: $value (claimed $claimed, goal <= 2.0)"
  [ "$value" = "$claimed" ] && awk -v v="$value" 'BEGIN { exit !(v <= 2.0) }'
}
check "systemd-analyze security: exposure of the ReadyToRun unit is $claimed_exposure_r2r (OK)" exposure_is_claimed r2r
check "systemd-analyze security: exposure of the NativeAOT unit is $claimed_exposure_aot (OK)" exposure_is_claimed aot

every_relaxation_is_commented() {
  # Hardening switched off on purpose must be explained right above: ProcSubset, PrivateUsers, PrivateDevices,
  # PrivateNetwork, MemoryDenyWriteExecute=no, SystemCallFilter=sched_setaffinity.
  local word
  for word in ProcSubset PrivateUsers PrivateDevices PrivateNetwork; do
    grep -q "^# Relaxation: .*$word\|^# .*no $word" deploy/usp-agent.service || { echo "no comment explains $word"; return 1; }
  done
  grep -B3 '^MemoryDenyWriteExecute=no$' deploy/usp-agent.service | grep -q 'JIT' || { echo "MemoryDenyWriteExecute=no unexplained"; return 1; }
  grep -B3 '^SystemCallFilter=sched_setaffinity$' deploy/usp-agent.service | grep -q '^# Relaxation: sched_setaffinity' || { echo "SystemCallFilter=sched_setaffinity unexplained"; return 1; }
}
check "the unit explains each relaxation in a comment" every_relaxation_is_commented

unit_has() {
  local line
  for line in Type=notify NotifyAccess=main WatchdogSec=30 Restart=on-failure RestartForceExitStatus=75 SuccessExitStatus=75 \
      StateDirectory=usp-agent ConfigurationDirectory=usp-agent RuntimeDirectory=usp-agent User=usp-agent \
      'SupplementaryGroups=gpio i2c' NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
      ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes ProtectControlGroups=yes \
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' RestrictNamespaces=yes LockPersonality=yes \
      SystemCallFilter=@system-service DevicePolicy=closed 'DeviceAllow=char-gpiochip rw' 'DeviceAllow=char-i2c rw' \
      CapabilityBoundingSet= 'ExecStart=/usr/bin/usp-agent run'; do
    grep -qxF "$line" deploy/usp-agent.service || { echo "missing: $line"; return 1; }
  done
  grep -qE '^MemoryMax=[0-9]+M$' deploy/usp-agent.service || { echo "no MemoryMax"; return 1; }
}
check "the unit sets the service type, watchdog, restart, directories, user and hardening the issue lists" unit_has

# --- the packages ----------------------------------------------------------------------------------------
package_info_is_right() {  # package_info_is_right DEB ARCH [aot]
  local deb=$1 arch=$2 flavor=${3:-r2r} field deps
  dpkg-deb --info "$deb"
  [ "$(dpkg-deb --field "$deb" Package)" = usp-agent ] || return 1
  [ "$(dpkg-deb --field "$deb" Architecture)" = "$arch" ] || { echo "Architecture is not $arch"; return 1; }
  [ "$(dpkg-deb --field "$deb" Version)" = "$version" ] || { echo "Version is not $version"; return 1; }
  field=$(dpkg-deb --field "$deb" Depends)
  # The ReadyToRun host links the C++ runtime; the NativeAOT executable only glibc.
  deps=('libc6 (>= 2.' adduser)
  [ "$flavor" = aot ] || deps+=('libstdc++6 (>= ' 'libgcc-s1 (>= ')
  for dep in "${deps[@]}"; do
    case "$field" in *"$dep"*) ;; *) echo "Depends lacks $dep: $field"; return 1 ;; esac
  done
  [ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)" = /etc/usp-agent/usp-agent.json ] || { echo "conffiles is not the configuration"; return 1; }
  dpkg-deb --ctrl-tarfile "$deb" | tar -tf - | grep -qx './postinst' || return 1
  [ "$(dpkg-deb --field "$deb" Installed-Size)" -gt 1000 ]
}
expected_deb_contents() {
  printf '%s\n' ./etc/usp-agent/usp-agent.json ./lib/systemd/system/usp-agent.service ./lib/udev/rules.d/60-usp-agent.rules \
    ./usr/bin/usp-agent ./usr/lib/usp-agent/libe_sqlite3.so ./usr/lib/usp-agent/usp-agent \
    ./usr/share/doc/usp-agent/README.md.gz ./usr/share/doc/usp-agent/changelog.gz ./usr/share/doc/usp-agent/copyright \
    ./usr/share/lintian/overrides/usp-agent ./usr/share/usp-agent/factory-defaults.txt
}
package_contents_are_right() {  # package_contents_are_right DEB ELF_MACHINE
  local deb=$1 machine=$2 listing="$work/contents"
  dpkg-deb --contents "$deb" | tee "$listing"
  diff <(expected_deb_contents) <(awk '$1 !~ /^d/ { print $6 }' "$listing" | sort) || return 1
  grep -q '^-rwxr-xr-x root/root .* ./usr/lib/usp-agent/usp-agent$' "$listing" || { echo "the executable is not 0755 root"; return 1; }
  grep -q '^lrwxrwxrwx root/root .* ./usr/bin/usp-agent -> ../lib/usp-agent/usp-agent$' "$listing" || return 1
  mkdir -p "$work/x" && dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/lib/usp-agent/usp-agent | head -c 64 >"$work/x/elf"
  file "$work/x/elf" | grep -q "$machine" || { file "$work/x/elf"; echo "not an $machine executable"; return 1; }
}
check "dpkg-deb --info: amd64 package: architecture, version, conffile, computed Depends" package_info_is_right "$deb_amd64" amd64
check "dpkg-deb --info: arm64 package: architecture, version, conffile, computed Depends" package_info_is_right "$deb_arm64" arm64
check "dpkg-deb --contents: amd64 package holds exactly the agent's files, an x86-64 executable" package_contents_are_right "$deb_amd64" x86-64
check "dpkg-deb --contents: arm64 package holds exactly the agent's files, an ARM aarch64 executable" package_contents_are_right "$deb_arm64" aarch64

depends_match_dpkg_shlibdeps_on_the_host() {
  # The Depends the build computed for amd64 are what dpkg-shlibdeps says for the files once installed.
  local dir="$work/shlibs"
  mkdir -p "$dir/debian" && printf 'Source: x\n\nPackage: usp-agent\nArchitecture: any\n' >"$dir/debian/control"
  dpkg-deb -x "$deb_amd64" "$dir/root"
  (cd "$dir" && dpkg-shlibdeps -O --warnings=0 -eroot/usr/lib/usp-agent/usp-agent -eroot/usr/lib/usp-agent/libe_sqlite3.so) | tee "$dir/out"
  [ "$(sed 's/^shlibs:Depends=//' "$dir/out"), adduser" = "$(dpkg-deb --field "$deb_amd64" Depends)" ]
}
check "Depends of the amd64 package are dpkg-shlibdeps's plus adduser" depends_match_dpkg_shlibdeps_on_the_host

lintian_clean() {  # lintian_clean DEB: no error and no warning left (the remaining tags are overridden with reasons)
  lintian --no-tag-display-limit "$1" 2>&1 | grep -v 'running with root privileges' | tee "$work/lintian.log"
  ! grep -qE '^[EW]: ' "$work/lintian.log"
}
check "lintian: amd64 package has no error or warning" lintian_clean "$deb_amd64"
check "lintian: arm64 package has no error or warning" lintian_clean "$deb_arm64"

# --- a Debian 12 root to install into ---------------------------------------------------------------------
debootstrap_base() {
  # Cached: the same inputs give the same root, so it is made once per machine (about 3 minutes) and copied.
  local mirror suite=bookworm includes=systemd,adduser key cache
  mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  [ -n "$mirror" ] || { echo "no Debian mirror in the apt sources" >&2; return 1; }
  key=$(printf 'v1 %s minbase amd64 %s %s' "$suite" "$includes" "$mirror" | sha256sum | cut -c1-16)
  cache=/var/cache/usp-agent-tests/debootstrap-$key
  if [ ! -f "$cache/.complete" ]; then
    say "debootstrap $suite (minbase + $includes) into $cache (cold cache)"
    local started=$SECONDS
    rm -rf "$cache.tmp" && mkdir -p "$(dirname "$cache")"
    debootstrap --variant=minbase --include="$includes" "$suite" "$cache.tmp" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -n 20 "$work/debootstrap.log" >&2; return 1; }
    rm -rf "$cache" && mv "$cache.tmp" "$cache" && touch "$cache/.complete"
    say "debootstrap took $((SECONDS - started)) s"
  fi
  echo "$cache"
}
new_root() {  # new_root NAME: a fresh copy of the cached root in $new_root_dir, with /proc mounted (not in a subshell:
  # the mount is recorded for the clean-up)
  local started=$SECONDS
  new_root_dir="$work/$1"
  cp -a "$base" "$new_root_dir"
  mount -t proc proc "$new_root_dir/proc" && mounts+=("$new_root_dir/proc")
  say "copied the cached root in $((SECONDS - started)) s"
}
snapshot() {  # snapshot ROOT: every path outside the changing places, sorted
  (cd "$1" && find . -xdev \( -path ./proc -o -path ./tmp -o -path ./var/cache -o -path ./var/log -o -path ./var/lib/dpkg \
    -o -path ./var/lib/apt -o -path ./run \) -prune -o -print | LC_ALL=C sort)
}

started=$SECONDS
base=$(debootstrap_base) || { echo "not ok - debootstrap a Debian 12 root"; failed=$((failed + 1)); finish; }
say "base root ready in $((SECONDS - started)) s"

new_root chroot
root=$new_root_dir
cat >"$root/usr/sbin/policy-rc.d" <<'POLICY'
#!/bin/sh
# Denies every start, and records what was asked.
echo "$*" >>/var/log/policy-rc.d.calls
exit 101
POLICY
chmod 0755 "$root/usr/sbin/policy-rc.d"
# As if systemd ran (so the postinst asks to start the unit); policy-rc.d must stop it from starting.
mkdir -p "$root/run/systemd/system"
cp "$deb_amd64" "$root/tmp/usp-agent.deb"
snapshot "$root" >"$work/before"

installs() {
  chroot "$root" dpkg -i /tmp/usp-agent.deb || return 1
  chroot "$root" dpkg-query -W -f='${Status}\n' usp-agent | grep -qx 'install ok installed'
}
check "dpkg -i of the amd64 package in a debootstrapped Debian 12 chroot succeeds" installs

installed_as_described() {
  chroot "$root" getent passwd usp-agent | grep -q ':/var/lib/usp-agent:/usr/sbin/nologin$' || { echo "no usp-agent system user"; return 1; }
  chroot "$root" getent group gpio >/dev/null && chroot "$root" getent group i2c >/dev/null || { echo "no gpio/i2c groups"; return 1; }
  [ "$(chroot "$root" stat -c '%U %a' /var/lib/usp-agent)" = "usp-agent 700" ] || { echo "state directory not usp-agent 0700"; return 1; }
  [ "$(readlink "$root/etc/systemd/system/multi-user.target.wants/usp-agent.service")" = /lib/systemd/system/usp-agent.service ] ||
    { echo "the unit is not enabled"; return 1; }
  grep -qx 'usp-agent.service start' "$root/var/log/policy-rc.d.calls" || { echo "policy-rc.d was not asked to start the unit"; return 1; }
  chroot "$root" usp-agent --version | grep -q "^usp-agent $version "
}
check "the install made the user and groups, the state directory, enabled the unit and asked policy-rc.d before starting it" installed_as_described

unit_verifies_in_the_root() {
  systemd-analyze verify --root="$root" usp-agent.service 2>&1 | tee "$work/verify.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] && ! grep -q 'usp-agent' "$work/verify.log"
}
check "systemd-analyze verify passes on the installed unit" unit_verifies_in_the_root

runs_as_its_user_on_the_installed_files() {
  # The service's view: its user, the state and runtime directories systemd would give it, the installed
  # configuration, factory defaults and SQLite library. The offline data-model verb opens the real database.
  mkdir -p "$root/run/usp-agent" && chroot "$root" chown usp-agent:usp-agent /run/usp-agent
  chroot --userspec=usp-agent:usp-agent "$root" env STATE_DIRECTORY=/var/lib/usp-agent RUNTIME_DIRECTORY=/run/usp-agent \
    CONFIGURATION_DIRECTORY=/etc/usp-agent usp-agent get Device.DeviceInfo.SoftwareVersion | tee "$work/get.log"
  grep -q "$version" "$work/get.log" && [ -f "$root/var/lib/usp-agent/usp-agent.db" ]
}
check "the installed agent runs as usp-agent on /var/lib/usp-agent with the packaged defaults" runs_as_its_user_on_the_installed_files

removal_keeps_configuration_and_state() {
  chroot "$root" dpkg -r usp-agent || return 1
  [ ! -e "$root/usr/lib/usp-agent/usp-agent" ] && [ ! -e "$root/lib/systemd/system/usp-agent.service" ] || { echo "files left after remove"; return 1; }
  [ -f "$root/etc/usp-agent/usp-agent.json" ] || { echo "the conffile went on remove"; return 1; }
  [ -d "$root/var/lib/usp-agent" ] || { echo "the state went on remove"; return 1; }
}
check "dpkg -r removes the agent and keeps its configuration and state" removal_keeps_configuration_and_state

purge_leaves_nothing() {
  chroot "$root" dpkg --purge usp-agent || return 1
  chroot "$root" dpkg-query -W usp-agent 2>/dev/null && { echo "dpkg still knows usp-agent"; return 1; }
  rm -f "$root/tmp/usp-agent.deb"
  # The system user and the gpio/i2c groups stay (Debian keeps system users); no path is left behind.
  diff "$work/before" <(snapshot "$root")
}
check "dpkg --purge leaves the root as it was before the install (but for the system user)" purge_leaves_nothing

# --- the overlays ------------------------------------------------------------------------------------------
expected_overlay_members() {
  printf '%s\n' etc/systemd/system/multi-user.target.wants/usp-agent.service etc/usp-agent/usp-agent.json usr/bin/usp-agent \
    usr/lib/systemd/system/usp-agent.service usr/lib/sysusers.d/usp-agent.conf usr/lib/tmpfiles.d/usp-agent.conf \
    usr/lib/udev/rules.d/60-usp-agent.rules usr/lib/usp-agent/libe_sqlite3.so usr/lib/usp-agent/usp-agent \
    usr/share/doc/usp-agent/README.md.gz usr/share/doc/usp-agent/copyright usr/share/usp-agent/factory-defaults.txt
}
overlay_is_laid_out() {  # overlay_is_laid_out TARBALL
  tar -tvzf "$1" | tee "$work/overlay.list"
  diff <(expected_overlay_members) <(tar -tzf "$1" | grep -v '/$' | sort) || return 1
  # Only etc/ and usr/: unpacking must not replace a merged-/usr root's /lib or /bin symlinks.
  ! tar -tzf "$1" | grep -qvE '^(etc|usr)/' || { echo "members outside etc/ and usr/"; return 1; }
  grep -q ' 0/0 .* etc/systemd/system/multi-user.target.wants/usp-agent.service -> /usr/lib/systemd/system/usp-agent.service$' "$work/overlay.list"
}
check "overlay linux-x64: the package's files under /usr and /etc, the unit enabled by its wants link" overlay_is_laid_out "$work/overlay-linux-x64.tar.gz"
check "overlay linux-arm64: the package's files under /usr and /etc, the unit enabled by its wants link" overlay_is_laid_out "$work/overlay-linux-arm64.tar.gz"

overlay_boots_its_user_and_directories() {
  # Runs in the check's own shell (not a subshell), so its /proc mount is unmounted by the clean-up.
  local root
  new_root overlay
  root=$new_root_dir
  tar -xzf "$work/overlay-linux-x64.tar.gz" -C "$root" || return 1
  [ -L "$root/lib" ] || [ -d "$root/lib/systemd" ] || { echo "the root's /lib was replaced"; return 1; }
  chroot "$root" getent passwd usp-agent && { echo "the user exists before first boot"; return 1; }
  # What first boot does: systemd-sysusers and systemd-tmpfiles --create on the root.
  systemd-sysusers --root="$root" || return 1
  systemd-tmpfiles --root="$root" --create usp-agent.conf || return 1
  chroot "$root" getent passwd usp-agent && chroot "$root" getent group gpio && chroot "$root" getent group i2c || return 1
  [ "$(chroot "$root" stat -c '%U %G %a' /var/lib/usp-agent)" = "usp-agent usp-agent 700" ] || { echo "state directory wrong"; return 1; }
  systemd-analyze verify --root="$root" usp-agent.service || return 1
  chroot "$root" usp-agent --version | grep -q "^usp-agent $version "
}
check "overlay over a Debian 12 root: sysusers.d and tmpfiles.d make the user, groups and state directory; the unit verifies" overlay_boots_its_user_and_directories

# --- MemoryDenyWriteExecute and the NativeAOT flavor ----------------------------------------------------------
starts_and_stops() {  # starts_and_stops WRAPPER... BINARY: the agent under WRAPPER gets to ready, then status 0 on SIGTERM
  local dir="$work/confined" out="$work/confined.out" pid i
  rm -rf "$dir" && mkdir -p "$dir"
  "$@" run --data-dir "$dir/var" --no-mdns --bind 127.0.0.1 --coap-port 0 --coaps-port 0 >"$out" 2>&1 &
  pid=$!
  for i in $(seq 600); do
    grep -q '^usp-agent ready' "$out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^usp-agent ready' "$out"; then
    kill -KILL "$pid" 2>/dev/null; wait "$pid"; echo "exit status $?"; tail -n 5 "$out"; return 1
  fi
  kill -TERM "$pid" && wait "$pid"
}
# MemoryDenyWriteExecute=yes's rules, emulated with libseccomp as systemd 252 installs them.
runs_under_mdwe() { starts_and_stops /usr/bin/python3 tests/deploy/mdwe-exec.py "$1"; }
r2r_needs_the_relaxation() { ! runs_under_mdwe out/linux-x64/usp-agent; }
check "the ReadyToRun build cannot run under MemoryDenyWriteExecute=yes (why its unit says no)" r2r_needs_the_relaxation

# The unit's SystemCallFilter= lines, emulated with libseccomp as systemd builds them (tests/deploy/unit-filter-exec.py).
starts_under_unit_filter() { starts_and_stops /usr/bin/python3 tests/deploy/unit-filter-exec.py "$1" "$2"; }  # UNIT BINARY
coreclr_needs_sched_setaffinity() {
  local strict="$work/unit-strict.service"
  grep -v '^SystemCallFilter=sched_setaffinity$' "$(unit_of r2r)" >"$strict"
  ! starts_under_unit_filter "$strict" out/linux-x64/usp-agent && grep -q 'Failed to create CoreCLR, HRESULT: 0x8007054F' "$work/confined.out"
}
check "the ReadyToRun build starts under its unit's system-call filter" starts_under_unit_filter "$(unit_of r2r)" out/linux-x64/usp-agent
check "without sched_setaffinity CoreCLR cannot start (why the ReadyToRun unit allows it)" coreclr_needs_sched_setaffinity

aot_unit_denies_write_execute() {  # aot_unit_denies_write_execute DEB
  dpkg-deb --fsys-tarfile "$1" | tar -xOf - ./lib/systemd/system/usp-agent.service | grep -qx 'MemoryDenyWriteExecute=yes'
}
if [ "${USP_AGENT_PUBLISHED:-0}" = 1 ] && [ -x out/linux-x64-aot/usp-agent ] && [ -x out/linux-arm64-aot/usp-agent ]; then
  for rid in linux-x64 linux-arm64; do
    deploy/deb/build.sh --aot "$rid" "$debs" >&2 || { echo "not ok - deploy/deb/build.sh --aot $rid"; failed=$((failed + 1)); finish; }
    deploy/overlay.sh --aot "$rid" "$work/overlay-$rid-aot.tar.gz" >&2 || { echo "not ok - deploy/overlay.sh --aot $rid"; failed=$((failed + 1)); finish; }
  done
  check "the NativeAOT build runs under MemoryDenyWriteExecute=yes" runs_under_mdwe out/linux-x64-aot/usp-agent
  check "the NativeAOT build starts under its unit's system-call filter" starts_under_unit_filter "$(unit_of aot)" out/linux-x64-aot/usp-agent
  for arch in amd64 arm64; do
    aot_deb="$debs/usp-agent_${version}_${arch}-aot.deb"
    machine=x86-64; [ "$arch" = arm64 ] && machine=aarch64
    check "dpkg-deb --info: $arch NativeAOT package: architecture, version, conffile, computed Depends" package_info_is_right "$aot_deb" "$arch" aot
    check "dpkg-deb --contents: $arch NativeAOT package holds exactly the agent's files, an $machine executable" package_contents_are_right "$aot_deb" "$machine"
    check "the $arch NativeAOT package's unit sets MemoryDenyWriteExecute=yes" aot_unit_denies_write_execute "$aot_deb"
    check "lintian: $arch NativeAOT package has no error or warning" lintian_clean "$aot_deb"
  done
  check "overlay linux-x64 NativeAOT: the package's files under /usr and /etc" overlay_is_laid_out "$work/overlay-linux-x64-aot.tar.gz"
  check "overlay linux-arm64 NativeAOT: the package's files under /usr and /etc" overlay_is_laid_out "$work/overlay-linux-arm64-aot.tar.gz"
else
  say "NativeAOT checks skipped: publish.sh --aot linux-x64 linux-arm64 and USP_AGENT_PUBLISHED=1 run them (.ci/run does)"
  skipped=$((skipped + 12))
fi

finish
