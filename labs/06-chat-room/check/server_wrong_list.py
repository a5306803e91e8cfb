"""Lab 6 server, WRONG on purpose: fails stage `list`.

/list is not written: the command gets no answer.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server

server.list_members = lambda member: None  # the mistake
server.main()
