"""Lab 6 server, WRONG on purpose: fails stage `endless-line`.

It has no limit on a line: a client that never sends \n makes its buffer grow
for ever (100 KB, then 100 MB, then the server's memory is gone).
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server

server.MAX_LINE = float("inf")  # the mistake: no limit
server.main()
