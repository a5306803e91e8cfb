"""Lab 6 server, WRONG on purpose: fails stage `slow-reader`.

It sends each line to each member with sendall() at once, under that member's
lock (so lines never mix). But a member who stops reading fills its socket
buffers, and then sendall() to it blocks: the sender's thread, and everything it
was to pass on to the others, waits for ever.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import threading

import server

locks = {}


def deliver(member, line):
    lock = locks.setdefault(member.nick, threading.Lock())
    try:
        with lock:
            member.conn.sendall((line + "\n").encode())  # the mistake: may block for ever
    except OSError:
        pass


server.deliver = deliver
server.main()
