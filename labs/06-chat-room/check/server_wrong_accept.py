"""Lab 6 server, WRONG on purpose: fails stage `accept`.

It binds the classic fixed port 5555 instead of the port it was given.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import socket

import server


def listen(port):
    return socket.create_server(("127.0.0.1", 5555))  # the mistake: not `port`


server.listen = listen
server.main()
