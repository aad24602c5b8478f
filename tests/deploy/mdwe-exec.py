# Runs a command under the seccomp rules systemd 252 installs for MemoryDenyWriteExecute=yes (seccomp-util.c):
# mmap() asking for writable and executable memory, mprotect()/pkey_mprotect() adding PROT_EXEC and shmat() with
# SHM_EXEC fail with EPERM. Lets a test see whether a build can run under the unit's setting without systemd.
#   /usr/bin/python3 tests/deploy/mdwe-exec.py COMMAND [ARG...]
import errno
import os
import sys

import seccomp

PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000

rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
rules.add_rule(seccomp.ERRNO(errno.EPERM), "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC | PROT_WRITE, PROT_EXEC | PROT_WRITE))
rules.add_rule(seccomp.ERRNO(errno.EPERM), "mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
rules.add_rule(seccomp.ERRNO(errno.EPERM), "pkey_mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
rules.add_rule(seccomp.ERRNO(errno.EPERM), "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
rules.load()
os.execv(sys.argv[1], sys.argv[1:])
