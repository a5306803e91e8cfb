"""Lab 6 client, WRONG on purpose: fails stage `control-bytes`.

It prints what the server sent as it is: ESC [2J from anyone in the room clears
your screen, BEL rings, and worse sequences can rewrite what you see.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import client


def show(line):
    print(line.decode("utf-8", errors="replace"), flush=True)  # the mistake: raw


client.show = show
client.main()
