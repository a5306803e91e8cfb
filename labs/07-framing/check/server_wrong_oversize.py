"""Lab 7 server, WRONG on purpose: fails stage `oversize`.

It has no limit: it waits for as many bytes as any length prefix announces (up to
4 GiB, all kept in memory), and keeps a line without a newline growing for ever.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server

server.MAX_MESSAGE = float("inf")  # the mistake: no limit
server.main()
