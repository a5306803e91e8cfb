"""Lab 6 server, WRONG on purpose: fails stage `interleave`.

Each reader thread writes to the other members' sockets itself, a piece at a
time (as a send() that takes only part of the bytes would), with no lock: two
members who speak at once get their lines mixed on the way to a third.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import time

import server


def deliver(member, line):
    data = (line + "\n").encode()
    try:
        for i in range(0, len(data), 64):  # the mistake: pieces, from many threads
            member.conn.sendall(data[i:i + 64])
            time.sleep(0.001)  # (as a busy machine would pause it)
    except OSError:
        pass


server.deliver = deliver
server.main()
