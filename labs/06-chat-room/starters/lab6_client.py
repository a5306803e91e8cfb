"""Lab 6: your own full-duplex chat client.

The first line you type is your nickname; every line you type is sent with its
\n. A receiving thread prints what the server sends as it arrives, also while you
are half-way through typing a line. Control characters the server sent (ESC, BEL,
C1) are shown escaped, never printed raw. Ctrl-D closes the connection and ends.
Replace each `todo(...)` with the code it describes, in order, and check:

    lab check 6 client -- python3 lab6_client.py {port}

`lab 6 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import socket
import sys
import threading


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    os._exit(1)  # from the receiving thread too


PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "5555"))


def safe(text):
    """Control characters shown escaped (\\x1b), everything else as it is."""
    # TODO 5 (escape): "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return todo(5, "escape")


def receive(sock):
    buf = b""
    while True:
        data = sock.recv(4096)
        if not data:
            print("the server closed the connection", flush=True)
            os._exit(0)
        buf += data
        # TODO 4 (lines): while b"\n" in buf: cut off the first line and print
        #        safe(line.decode("utf-8", errors="replace")), flush=True.
        todo(4, "lines")


# TODO 1 (connect): socket.create_connection(("127.0.0.1", PORT)).
sock = todo(1, "connect")
# TODO 2 (thread): start receive(sock) in a daemon thread: it must not keep the
#        program alive after Ctrl-D.
todo(2, "thread")
for line in sys.stdin:
    # TODO 3 (send): sock.sendall((the line without its "\n" + "\n").encode()):
    #        the text and its \n in one send.
    todo(3, "send")
# TODO 6 (close): the end of input: sock.close(); the program then ends.
todo(6, "close")
