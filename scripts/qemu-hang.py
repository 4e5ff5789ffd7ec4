#!/usr/bin/env python3
"""usage: scripts/qemu-hang.py (--monitor SOCKET | --registers FILE) [--map SYSTEM_MAP]

Where each vCPU of a hung boot is: stop the guest through QEMU's human
monitor (a unix socket, boot.sh's -monitor) and ask it for "info
registers -a", or read such a dump from FILE; print one line per vCPU
with its RIP (EIP outside long mode) and, given the kernel's System.map
(no KASLR: the test kernel has no CONFIG_RELOCATABLE), the symbol it is
in.  The raw dump follows.  A monitor that does not answer within 10
seconds is said so: then QEMU itself is stuck, not the guest.
"""
import argparse
import bisect
import re
import socket
import sys
import time

PROMPT = "(qemu) "
ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\r")


def ask_monitor(path, commands, wait=10.0):
    """Each command's answer, read up to the monitor's next prompt."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(wait)
    s.connect(path)
    end = time.monotonic() + wait
    buf = ""

    def until_prompt():
        nonlocal buf
        while not ESCAPES.sub("", buf).endswith(PROMPT):
            if time.monotonic() > end:
                raise TimeoutError("no prompt within %gs" % wait)
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("the monitor closed the connection")
            buf += chunk.decode(errors="replace")
        out, buf = ESCAPES.sub("", buf), ""
        return out[: -len(PROMPT)]

    until_prompt()  # the banner
    answers = []
    for c in commands:
        s.sendall(c.encode() + b"\n")
        # Less the first line: readline's echo of the command.
        answers.append(until_prompt().split("\n", 1)[-1])
    s.close()
    return answers


def read_map(path):
    addrs, names = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                addrs.append(int(parts[0], 16))
                names.append(parts[2])
    order = sorted(range(len(addrs)), key=addrs.__getitem__)
    return [addrs[i] for i in order], [names[i] for i in order]


def symbol(addr, table):
    addrs, names = table
    i = bisect.bisect_right(addrs, addr) - 1
    if i < 0 or addr - addrs[i] > 0x100000:
        return "?"
    return "%s+0x%x" % (names[i], addr - addrs[i])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--monitor")
    src.add_argument("--registers")
    ap.add_argument("--map")
    a = ap.parse_args()
    if a.monitor:
        try:
            # Stopped first: every vCPU's registers from one moment.
            dump = ask_monitor(a.monitor, ["stop", "info registers -a"])[1]
        except (OSError, TimeoutError, ConnectionError) as e:
            print("qemu-hang: the QEMU monitor (%s) did not answer: %s;"
                  " QEMU itself is stuck, or never started" % (a.monitor, e))
            return 1
    else:
        with open(a.registers) as f:
            dump = f.read()
    table = ([], [])
    if a.map:
        try:
            table = read_map(a.map)
        except (OSError, ValueError) as e:
            print("qemu-hang: no symbols from %s: %s" % (a.map, e))
    cpus = re.split(r"^CPU#(\d+)", dump, flags=re.M)
    found = 0
    for n, regs in zip(cpus[1::2], cpus[2::2]):
        m = re.search(r"\b([RE]IP)=([0-9a-f]+)", regs)
        if not m:
            continue
        found += 1
        ip = int(m.group(2), 16)
        where = " " + symbol(ip, table) if m.group(1) == "RIP" and table[0] else ""
        mode = "" if m.group(1) == "RIP" else " (not in long mode)"
        halted = " (halted)" if re.search(r"\bHLT=1\b", regs) else ""
        print("qemu-hang: vCPU %s at %s %x%s%s%s" %
              (n, m.group(1), ip, where, mode, halted))
    if not found:
        print("qemu-hang: no vCPU registers in the monitor's answer")
    print(dump)
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
