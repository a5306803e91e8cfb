"""Lab 7 server, WRONG on purpose: fails stage `fifty`.

It keeps a buffer, but takes only one complete message out of it after each
recv() (an `if` where a `while` belongs): of fifty messages that arrive in one
recv(), one comes back, and the rest wait for a recv() that may never come.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server

take_all = server.take_messages


def take_first(buf):
    """`if` where `while` belongs: one message out per recv(), the rest kept."""
    messages, _ = take_all(buf)
    if not messages:
        return [], buf
    first = messages[0]
    used = len(server.frame(first))
    return [first], buf[used:]  # the mistake: the other messages wait for another recv()


server.take_messages = take_first
server.main()
