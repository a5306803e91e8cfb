"""Lab 6 server, WRONG on purpose: fails stage `nickname`.

Its welcome is not a news line: `welcome, amy!` without the `* ` in front, so a
client cannot tell it from a member's chat.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server


def welcome(member):
    server.deliver(member, f"welcome, {member.nick}!")  # the mistake: no "* "


server.welcome = welcome
server.main()
