"""Lab 3: your own half-duplex chat client.

You speak first; each line goes out as NAME:line; then you wait for the server's
reply. `q` ends the conversation (send a plain q); a `q` from the server ends it
too. Replace each `todo(...)` with the code it describes, in order, and check:

    lab check 3 client -- python3 lab3_client.py {port} amy

The check plays the server and types your lines into your client's input.
`lab 3 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import socket
import sys


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# The port and your name: the arguments, else LAB_PORT and "guest".
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "9000"))
NAME = sys.argv[2] if len(sys.argv) > 2 else "guest"  # 1-16 characters, no spaces

# TODO 1 (connect): create a TCP socket and connect it to ("127.0.0.1", PORT). If
#        nothing listens, say so and end with sys.exit(1).
client = todo(1, "connect")

while True:
    try:
        line = input(">>> ")  # our turn
    except EOFError:
        line = "q"
    if not line:
        continue  # 0 bytes would never arrive

    # TODO 2 (q): the line is q (or Q): send a plain q (no tag), then leave the loop.
    todo(2, "q")

    # TODO 3 (send): send NAME:line as UTF-8 bytes.
    todo(3, "send")

    # TODO 4 (recv): the server's turn: receive its reply, at most 1024 bytes.
    data = todo(4, "recv")

    # TODO 5 (gone): recv() gave b"" (0 bytes): the server went away. Say so, end.
    todo(5, "gone")

    # TODO 6 (server q): the reply is q: the server ended the conversation. End.
    todo(6, "server q")

    # TODO 7 (show): print the reply as text (decode it as UTF-8).
    todo(7, "show")

client.close()
