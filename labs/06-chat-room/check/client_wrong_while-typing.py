"""Lab 6 client, WRONG on purpose: fails stage `while-typing`.

A select() loop on the socket and the keyboard. It shows what arrives while you
type nothing; but as soon as you type a first key, select() says stdin is
readable and readline() then blocks until Enter, and nothing else shows meanwhile.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import select
import socket

import client

sock = socket.create_connection(("127.0.0.1", client.PORT))
buf = b""
while True:
    readable, _, _ = select.select([sock, sys.stdin], [], [])
    if sys.stdin in readable:
        line = sys.stdin.readline()  # the mistake: blocks until Enter
        if not line:
            break
        client.send_line(sock, line.rstrip("\r\n"))
    if sock in readable:
        data = sock.recv(4096)
        if not data:
            break
        buf += data
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            client.show(line)
sock.close()
