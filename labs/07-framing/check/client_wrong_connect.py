"""Lab 7 client, WRONG on purpose: fails stage `connect`.

It connects to the classic fixed port 7777 instead of the port it was given.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import client

client.PORT = 7777  # the mistake
client.main()
