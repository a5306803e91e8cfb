"""Lab 1: your own echo client (the classic client of the ctime server).

Replace each `todo(...)` with the socket call it describes, in order, and check
your work after each one:

    lab check 1 client -- python3 lab1_client.py {port}

The check plays the server and gives your client its port as the first argument
(and in LAB_PORT); it types lines into your client's input. `lab 1 guide` has the
protocol, stage by stage ("Your turn").
"""
import os
import socket
import sys


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# The port: the first argument, else LAB_PORT, else the classic 6666.
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "6666"))

# TODO 1 (socket): create a TCP socket: IPv4 (AF_INET), a byte stream (SOCK_STREAM).
client = todo(1, "socket")

try:
    # TODO 2 (connect): connect to ("127.0.0.1", PORT).
    todo(2, "connect")
except ConnectionRefusedError:
    # TODO 3 (refused): nothing listens there (WinError 10061 on Windows): say so,
    #        and end with a non-zero exit code (sys.exit(1)).
    todo(3, "refused")

while True:
    try:
        line = input("> ")
    except EOFError:  # Ctrl-D, or the end of a piped file
        break
    if not line:
        continue  # sending 0 bytes sends nothing: the server would never answer

    # TODO 4 (send): send the line as UTF-8 bytes.
    todo(4, "send")

    # TODO 5 (exit): if the line was exit, leave the loop: the server sends no reply.
    todo(5, "exit")

    # TODO 6 (recv): receive the reply, at most 1024 bytes.
    data = todo(6, "recv")

    # TODO 7 (closed): recv() gave b"" (0 bytes): the server closed. Say so, leave the loop.
    todo(7, "closed")

    # TODO 8 (print): print the reply as text (decode the bytes as UTF-8).
    todo(8, "print")

# TODO 9 (close): close the socket.
todo(9, "close")
