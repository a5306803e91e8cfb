"""Lab 6 server, WRONG on purpose: fails stage `private`.

/msg goes to the right member, but stamped like a public line, `<bob> psst`:
the receiver cannot tell that nobody else saw it.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server


def private(member, target, text):
    server.deliver(target, f"<{member.nick}> {text}")  # the mistake: no [private]


server.private = private
server.main()
