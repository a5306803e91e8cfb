"""Lab 2: your own client that sends text as UTF-8 or GBK bytes.

The task: send each typed line as bytes in the encoding given (utf-8 or gbk),
without waiting for a reply (the lab 2 server sends none); at the end of input,
close the connection. Replace each `todo(...)` in order, and check your work:

    lab check 2 client -- python3 lab2_client.py {port} {encoding}

The check runs your client twice, once with utf-8 and once with gbk (the second
argument, also in LAB_ENCODING). `lab 2 guide` has the protocol ("Your turn").
"""
import os
import socket
import sys


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# The port and the encoding: the arguments, else LAB_PORT and LAB_ENCODING.
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12345"))
ENCODING = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_ENCODING", "utf-8")

# TODO 1 (connect): create a TCP socket and connect it to ("127.0.0.1", PORT). If
#        nothing listens, say so and end with sys.exit(1).
client = todo(1, "connect")

while True:
    try:
        line = input("> ")
    except EOFError:
        # TODO 2 (end): the input ended (Ctrl-D, or the end of a piped file): leave
        #        the loop, so the socket is closed below.
        todo(2, "end")
    if not line:
        continue  # 0 bytes would send nothing

    # TODO 3 (send): send the line as bytes in ENCODING (尹哲 is e5 b0 b9 e5 93 b2 in
    #        UTF-8, d2 fc d5 dc in GBK). Do not wait for a reply: none comes.
    todo(3, "send")

# TODO 4 (close): close the socket: the server's recv() returns 0 bytes.
todo(4, "close")
