"""Lab 6 server, WRONG on purpose: fails stage `chat`.

It passes a chat line on as it came, without the sender's `<nick> ` stamp:
nobody knows who said it, and anyone can type `<bob> ...` and pass for bob.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import server


def chat(member, text):
    server.broadcast(text, sender=member)  # the mistake: no stamp


server.chat = chat
server.main()
