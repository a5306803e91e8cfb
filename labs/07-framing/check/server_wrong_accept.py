"""Lab 7 server, WRONG on purpose: fails stage `accept`.

It binds the classic fixed port 7777 instead of the port it was given.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import socket

import server


def listen(port):
    s = socket.create_server(("127.0.0.1", 7777))  # the mistake: not `port`
    return s


server.listen = listen
server.main()
