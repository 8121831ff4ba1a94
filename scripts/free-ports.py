"""Prints N free TCP ports (default 7) on 127.0.0.1, chosen below the
ephemeral range: a port found by binding port 0 and letting go can be taken
by any outgoing connection before its owner binds it."""
import random
import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 7
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
socks = []
while len(socks) < count:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(10000, max(low, 11000))))
        socks.append(s)
    except OSError:
        s.close()
print(" ".join(str(s.getsockname()[1]) for s in socks))
