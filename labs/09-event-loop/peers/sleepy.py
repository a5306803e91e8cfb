"""Lab 9, Things to try 2: a client that joins and then never reads.

Its kernel buffers fill, then its outbox in the server; then the server drops
it: `[dropped] sleepy ...: 256 lines wait in its outbox and the kernel takes no
more: it is not reading`. Flood the room from another terminal meanwhile (see
the guide). Works against labs 6 and 10 too (ports 5555, 5510).

Usage: python3 sleepy.py [PORT]   (default 5509)
"""

import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5509
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"sleepy\n")
print("joined as sleepy; not reading a byte for 10 minutes (Ctrl-C to stop)")
time.sleep(600)
