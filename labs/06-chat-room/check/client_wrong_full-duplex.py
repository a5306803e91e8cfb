"""Lab 6 client, WRONG on purpose: fails stage `full-duplex`.

A half-duplex client (lab 3): it reads a line, sends it, then recv()s once. What
others say shows only after you press Enter, and one recv() at a time.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import socket

import client

sock = socket.create_connection(("127.0.0.1", client.PORT))
for line in sys.stdin:
    client.send_line(sock, line.rstrip("\r\n"))
    data = sock.recv(4096)  # the mistake: recv() only after each typed line
    if not data:
        break
    for part in data.split(b"\n"):
        if part:
            client.show(part)
sock.close()
