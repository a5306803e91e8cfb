"""Lab 7 server, WRONG on purpose: fails stage `one-byte`.

It takes each recv() as one whole message (the classic mistake): that holds while
a message arrives in one piece, and breaks when it arrives one byte at a time.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server


def serve(conn):
    while True:
        data = conn.recv(4096)
        if not data:
            return
        # the mistake: one recv() is not one message
        message = data[4:] if server.FRAMING == "length" else data.rstrip(b"\n")
        conn.sendall(server.frame(message))


server.serve = serve
server.main()
