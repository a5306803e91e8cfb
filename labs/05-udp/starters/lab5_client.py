"""Lab 5: your own UDP client.

Replace each `todo(...)` with the code it describes, in order, and check your work
after each one:

    lab check 5 client -- python3 lab5_client.py {port}

The check gives your client the server's port as its first argument (and in
LAB_PORT). `lab 5 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import socket
import sys


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# The port: the first argument, else LAB_PORT, else the classic 12000.
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))
SERVER = ("127.0.0.1", PORT)

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

# TODO 1 (timeout): UDP never says that nobody is there: make recvfrom() give up
#        after 3 seconds: sock.settimeout(3)
todo(1, "timeout")

while True:
    try:
        line = input()
    except EOFError:
        break
    # TODO 2 (sendto): send the line, encoded as UTF-8, to SERVER.
    todo(2, "sendto")
    while True:
        try:
            # TODO 3 (recvfrom): receive one datagram (65535 bytes) and its address.
            data, addr = todo(3, "recvfrom")
        except socket.timeout:
            # TODO 4 (no-reply): print a line that says "no reply within 3 s", then
            #        leave this inner loop (the next line is typed next).
            todo(4, "no-reply")
        except ConnectionResetError:  # Windows: "port unreachable" from an earlier send
            continue
        if addr != SERVER:
            # TODO 5 (stranger): not the server: print the datagram with the address it
            #        came from, then `continue` to wait for the real reply.
            todo(5, "stranger")
        # TODO 6 (reply): print the reply as text (decode it), then leave the loop.
        todo(6, "reply")
