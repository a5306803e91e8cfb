"""Lab 7 client, WRONG on purpose: fails stage `split`.

It prints each recv() as one whole reply (the classic mistake): a reply that
arrives one byte at a time comes out as many lines.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import os

import client


def receive(sock):
    while True:
        data = sock.recv(4096)
        if not data:
            os._exit(0)
        # the mistake: one recv() is not one message
        message = data[4:] if client.FRAMING == "length" else data.rstrip(b"\n")
        print(message.decode("utf-8", errors="replace"), flush=True)


client.receive = receive
client.main()
