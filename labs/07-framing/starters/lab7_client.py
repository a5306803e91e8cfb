"""Lab 7: your own client for framed messages.

Each line you type goes to the server as one message, framed (line: a b"\n"
after it; length: 4 bytes, big-endian, with its length before it). A receiving
thread prints every message the server sends back, whole, on a line of its own,
however recv() cuts the bytes. A reply over MAX_MESSAGE: say so, close, end.
Replace each `todo(...)` with the code it describes, in order, and check:

    lab check 7 client -- python3 lab7_client.py {port} {framing}

The check plays the server (it echoes) and types your lines into your client.
`lab 7 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import socket
import struct
import sys
import threading

MAX_MESSAGE = 1048576  # 1 MiB: the longest reply accepted


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    os._exit(1)  # from the receiving thread too


PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "7777"))
FRAMING = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_FRAMING", "line")


def frame(message):
    # TODO 2 (frame): length: struct.pack(">I", len(message)) + message;
    #        line: message + b"\n".
    return todo(2, "frame")


def take_messages(buf):
    """Every complete message at the start of buf, and the bytes left for later.
    Raises ValueError for a message over MAX_MESSAGE, before keeping it."""
    # TODO 4 (take): the same loop as the server's (lab 7 guide, "Your turn").
    return todo(4, "take")


def receive(sock):
    buf = b""
    while True:
        data = sock.recv(4096)
        if not data:
            print("the server closed the connection", flush=True)
            os._exit(0)
        buf += data
        try:
            messages, buf = take_messages(buf)
        except ValueError as err:
            # TODO 5 (refuse): print the error, sock.close(), and os._exit(1).
            todo(5, "refuse")
        for message in messages:
            print(message.decode("utf-8", errors="replace"), flush=True)


# TODO 1 (connect): socket.create_connection(("127.0.0.1", PORT)).
sock = todo(1, "connect")
# daemon: the receiving thread must not keep the program alive after Ctrl-D
threading.Thread(target=receive, args=(sock,), daemon=True).start()
for line in sys.stdin:
    # TODO 3 (send): sock.sendall(frame(the line without its "\n", encoded)).
    todo(3, "send")
# TODO 6 (close): the end of input: sock.close(); the program then ends.
todo(6, "close")
