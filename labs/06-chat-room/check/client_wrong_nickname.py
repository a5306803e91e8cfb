"""Lab 6 client, WRONG on purpose: fails stage `nickname`.

It sends each typed line without its \n (input() took it away): the server,
which reads lines, waits for the end of the nickname for ever.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import client


def send_line(sock, line):
    sock.sendall(line.encode("utf-8"))  # the mistake: no \n


client.send_line = send_line
client.main()
