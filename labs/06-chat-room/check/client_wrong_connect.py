"""Lab 6 client, WRONG on purpose: fails stage `connect`.

It connects to the classic fixed port 5555 instead of the port it was given.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import client

client.PORT = 5555  # the mistake
client.main()
