# Runs a command under the system-call filter a unit file's SystemCallFilter= lines describe, the way systemd
# builds it: the first line an allow list, each later "~" line taking its calls out, each later plain line putting
# calls back; the groups (@system-service, ...) expanded by this machine's systemd-analyze; every call outside the
# list fails with SystemCallErrorNumber (EPERM). Lets a test see whether a build starts under the shipped filter
# without systemd.
#   /usr/bin/python3 tests/deploy/unit-filter-exec.py UNIT_FILE COMMAND [ARG...]
import errno
import os
import subprocess
import sys

import seccomp


def expand(name, seen):
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    lines = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True, capture_output=True, text=True).stdout.splitlines()
    calls = set()
    for line in lines[1:]:
        entry = line.strip()
        if entry and not entry.startswith("#"):
            calls |= expand(entry, seen)
    return calls


def allowed_calls(unit_file):
    allowed = None
    with open(unit_file) as unit:
        for line in unit:
            if not line.startswith("SystemCallFilter="):
                continue
            value = line.split("=", 1)[1].strip()
            deny = value.startswith("~")
            names = set()
            for item in value.lstrip("~").split():
                names |= expand(item, set())
            if allowed is None:
                if deny:
                    sys.exit("unit-filter-exec.py: a deny-list first line is not emulated")
                allowed = names
            elif deny:
                allowed -= names
            else:
                allowed |= names
    if allowed is None:
        sys.exit("unit-filter-exec.py: the unit has no SystemCallFilter=")
    return allowed


rules = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.EPERM))
for call in sorted(allowed_calls(sys.argv[1])):
    try:
        rules.add_rule(seccomp.ALLOW, call)
    except (RuntimeError, ValueError):
        pass  # a call this architecture does not have
# execve itself must pass for the exec below (systemd adds it too).
rules.add_rule(seccomp.ALLOW, "execve")
rules.load()
os.execv(sys.argv[2], sys.argv[2:])
