"""Lab 6 server, WRONG on purpose: fails stage `join-news`.

Nobody is told when a member joins.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server

server.announce_join = lambda member: None  # the mistake
server.main()
