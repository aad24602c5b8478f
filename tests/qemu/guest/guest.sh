#!/bin/bash
# The guest's half of tests/qemu: serves the host's commands over the virtio serial port "usp-cmd" until the
# host says bye. Protocol, one line each way:
#   host -> guest   ID BASE64(shell command)
#   guest -> host   res ID EXIT-STATUS BASE64(output)        (and first of all: hello ARCH UPTIME)
# Each command and its result are also written to the serial console (this unit's stdout), so the console
# log the host keeps shows the whole run.
port=/dev/virtio-ports/usp-cmd
for _ in $(seq 1 200); do [ -e "$port" ] && break; sleep 0.1; done
[ -e "$port" ] || { echo "guest.sh: $port did not appear (virtio_console)"; exit 1; }
exec 3<>"$port"
printf 'hello %s %s\n' "$(uname -m)" "$(cut -d' ' -f1 /proc/uptime)" >&3
echo "guest.sh: serving commands on $port (uptime $(cut -d' ' -f1 /proc/uptime) s)"
while IFS=' ' read -r id encoded <&3; do
  [ -n "$id" ] || continue
  command=$(printf '%s' "$encoded" | base64 -d)
  output=$(cd /run/payload && timeout 600 bash -c "$command" 2>&1 </dev/null)
  status=$?
  printf '[%s] $ %s\n[%s] exit %s\n' "$id" "$command" "$id" "$status"
  [ -z "$output" ] || printf '%s\n' "$output" | sed "s/^/[$id]   /"
  printf 'res %s %s %s\n' "$id" "$status" "$(printf '%s' "$output" | base64 -w0)" >&3
  [ "$id" = bye ] && break
done
exit 0
