"""Lab 6 server, WRONG on purpose: fails stage `error`.

/msg to somebody who is not here is silently ignored: the sender never learns
that nobody got the message.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server

server.no_such_member = lambda member, nick: None  # the mistake
server.main()
