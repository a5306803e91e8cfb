"""Lab 5: your own UDP server (the classic server on port 12000).

Replace each `todo(...)` with the socket call it describes, in order, and check
your work after each one:

    lab check 5 server -- python3 lab5_server.py {port}

The check gives your server the port to use as its first argument (and in
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

# TODO 1 (socket): create a UDP socket: IPv4 (AF_INET), datagrams (SOCK_DGRAM).
server = todo(1, "socket")

# TODO 2 (bind): give it the address ("127.0.0.1", PORT). No listen(), no accept().
todo(2, "bind")
print(f"listening on 127.0.0.1:{PORT}/udp")

while True:
    try:
        # TODO 3 (recvfrom): receive one datagram and the address it came from. Ask
        #        for 65535 bytes: a smaller buffer cuts longer datagrams short.
        data, addr = todo(3, "recvfrom")
    except ConnectionResetError:  # Windows: an earlier reply found nobody; carry on
        continue
    print(f"{addr[0]}:{addr[1]}: {len(data)} bytes")
    # An empty datagram (b"") is a datagram like any other: answer it too.

    # TODO 4 (sendto): answer to addr with one datagram that ends with the whole
    #        datagram: b"heard you: " + data
    todo(4, "sendto")
