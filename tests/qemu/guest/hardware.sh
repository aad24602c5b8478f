#!/bin/bash
# Guest hardware for tests/qemu: a gpio-sim bank and a BME280 on i2c-stub.
#   hardware.sh setup BME280-REGISTERS   gpio-sim chip "usp-gpio" (8 lines; line 3 "relay", line 4 "button"),
#                                        i2c-stub with a chip at 0x76 whose registers are set from the
#                                        argument: REG=VALUE,... (hex); prints gpiochip= and i2cbus= lines
#                                        (run at boot by usp-qemu-board.service, before the agent starts)
#   hardware.sh info                     the gpiochip= and i2cbus= lines again
#   hardware.sh line NAME value|pull [pull-up|pull-down]   the simulator's side of a gpio-sim line
set -euo pipefail
config=/sys/kernel/config/gpio-sim/usp

sim_line_dir() { # NAME -> /sys/.../sim_gpioN of the line with that name
  local chip offset
  chip=$(cat "$config/bank0/chip_name")
  case "$1" in relay) offset=3 ;; button) offset=4 ;; *) echo "unknown line $1" >&2; return 2 ;; esac
  echo "/sys/devices/platform/$(cat "$config/dev_name")/$chip/sim_gpio$offset"
}

stub_bus() {
  local adapter
  for adapter in /sys/bus/i2c/devices/i2c-*; do
    [ "$(cat "$adapter/name")" = "SMBus stub driver" ] && { echo "${adapter##*/i2c-}"; return 0; }
  done
  return 1
}

case "${1:-}" in
  info)
    echo "gpiochip=$(cat "$config/bank0/chip_name")"
    echo "i2cbus=$(stub_bus)"
    ;;
  setup)
    modprobe configfs
    mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
    modprobe gpio-sim
    mkdir "$config" "$config/bank0" "$config/bank0/line3" "$config/bank0/line4"
    echo usp-gpio > "$config/bank0/label"
    echo 8 > "$config/bank0/num_lines"
    echo relay > "$config/bank0/line3/name"
    echo button > "$config/bank0/line4/name"
    echo 1 > "$config/live"
    echo "gpiochip=$(cat "$config/bank0/chip_name")"
    modprobe i2c-dev
    modprobe i2c-stub chip_addr=0x76
    bus=$(stub_bus) || { echo "no i2c-stub adapter" >&2; exit 1; }
    for _ in $(seq 1 50); do [ -e "/dev/i2c-$bus" ] && break; sleep 0.1; done
    IFS=',' read -ra registers <<< "${2:-}"
    for r in "${registers[@]}"; do i2cset -y "$bus" 0x76 "0x${r%%=*}" "0x${r#*=}"; done
    echo "i2cbus=$bus"
    ;;
  line)
    dir=$(sim_line_dir "$2")
    case "$3" in
      value) cat "$dir/value" ;;
      pull) echo "$4" > "$dir/pull"; cat "$dir/pull" ;;
      *) echo "line NAME value|pull" >&2; exit 2 ;;
    esac
    ;;
  *) echo "usage: $0 setup REGISTERS | info | line NAME value|pull [pull-up|pull-down]" >&2; exit 2 ;;
esac
