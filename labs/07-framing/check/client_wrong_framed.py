"""Lab 7 client, WRONG on purpose: fails stage `framed`.

It sends each typed line bare: sock.sendall(line.encode()), with no framing, so
nothing on the wire says where one message ends.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import client

client.frame = lambda message: message  # the mistake
client.main()
