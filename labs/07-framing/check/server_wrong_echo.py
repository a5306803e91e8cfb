"""Lab 7 server, WRONG on purpose: fails stage `echo`.

It recovers each message but sends it back bare, without its framing:
conn.sendall(message) instead of conn.sendall(frame(message)).
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server

server.frame = lambda message: message  # the mistake
server.main()
