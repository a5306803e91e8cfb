"""Lab 6 server, WRONG on purpose: fails stage `quit`.

/quit answers `* bye` but keeps the connection open, and the member in the room.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server


def quit(member):
    server.deliver(member, "* bye")
    return False  # the mistake: the member does not leave


server.quit = quit
server.main()
