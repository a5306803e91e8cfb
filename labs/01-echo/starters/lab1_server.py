"""Lab 1: your own echo server (the classic ctime server on port 6666).

Replace each `todo(...)` with the socket call it describes, in order, and check
your work after each one:

    lab check 1 server -- python3 lab1_server.py {port}

The check gives your server the port to use as its first argument (and in
LAB_PORT). `lab 1 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import socket
import sys
import time


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# The port: the first argument, else LAB_PORT, else the classic 6666.
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "6666"))

# TODO 1 (socket): create a TCP socket: IPv4 (AF_INET), a byte stream (SOCK_STREAM).
server = todo(1, "socket")
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # rebind at once after a restart

# TODO 2 (bind): give it the address ("127.0.0.1", PORT).
todo(2, "bind")

# TODO 3 (listen): make it a listening socket, with a backlog of 5.
todo(3, "listen")
print(f"listening on 127.0.0.1:{PORT}")

while True:  # one client after another, for ever
    # TODO 4 (accept): wait for a client; accept() gives a new socket and its address.
    conn, addr = todo(4, "accept")
    print("connected:", addr)
    try:
        while True:
            # TODO 5 (recv): receive at most 1024 bytes from the client.
            data = todo(5, "recv")

            # TODO 6 (closed): recv() gave b"" (0 bytes): the client closed. Leave the loop.
            todo(6, "closed")

            # TODO 7 (exit): the client sent exit: leave the loop, without a reply.
            #        (data is bytes: compare it with b"exit", not "exit".)
            todo(7, "exit")

            # TODO 8 (send): reply with time.ctime(), a space and the bytes received,
            #        all as bytes (text.encode("utf-8") turns text into bytes).
            todo(8, "send")
    except ConnectionResetError:
        # TODO 9 (reset): the client vanished (WinError 10054 on Windows). Say so; the
        #        server goes on with the next client.
        todo(9, "reset")
    # TODO 10 (close): close this client's socket (the listening one stays open).
    todo(10, "close")
