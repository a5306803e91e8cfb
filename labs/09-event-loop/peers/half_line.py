"""Lab 9, Things to try 1: a line in two pieces.

Joins the room as amy, sends "hel", waits two seconds, sends "lo\n". With
`lab 9 server --trace` running, the trace shows two readable reports:
`read 3 bytes, 0 line(s)`, then `read 3 bytes, 1 line(s)`.

Usage: python3 half_line.py [PORT]   (default 5509)
"""

import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5509
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"amy\n")
time.sleep(0.5)  # so the name and "hel" arrive apart
s.sendall(b"hel")
time.sleep(2)
s.sendall(b"lo\n")
time.sleep(1)
print(s.recv(4096).decode("utf-8", "replace"), end="")
s.close()
