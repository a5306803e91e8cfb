"""Lab 7 client, WRONG on purpose: fails stage `stuck`.

It keeps a buffer, but takes only one complete reply out of it after each recv()
(an `if` where a `while` belongs): three replies that arrive in one recv() show
as one, and the other two wait for a recv() that may never come.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import client

take_all = client.take_messages


def take_first(buf):
    """`if` where `while` belongs: one message out per recv(), the rest kept."""
    messages, _ = take_all(buf)
    if not messages:
        return [], buf
    first = messages[0]
    used = len(client.frame(first))
    return [first], buf[used:]  # the mistake: the other replies wait for another recv()


client.take_messages = take_first
client.main()
