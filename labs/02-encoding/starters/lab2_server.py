"""Lab 2: your own server that prints text as it arrives, in UTF-8 or GBK.

The task: print every complete character as it arrives, one line per recv(),
decoding with the encoding given (utf-8 or gbk). Replace each `todo(...)` with
the code it describes, in order, and check your work after each one:

    lab check 2 server -- python3 lab2_server.py {port} {encoding}

The check runs your server twice, once with utf-8 and once with gbk (the second
argument, also in LAB_ENCODING). `lab 2 guide` has the protocol ("Your turn").
"""
import codecs
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

# TODO 1 (socket): create a TCP socket: IPv4 (AF_INET), a byte stream (SOCK_STREAM).
server = todo(1, "socket")
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

# TODO 2 (bind): give it the address ("127.0.0.1", PORT).
todo(2, "bind")

# TODO 3 (listen): make it a listening socket, with a backlog of 5.
todo(3, "listen")
print(f"listening on 127.0.0.1:{PORT}, decoding {ENCODING}")

while True:
    # TODO 4 (accept): wait for the next client.
    conn, addr = todo(4, "accept")

    # TODO 5 (decoder): a decoder for this client that keeps the bytes of a character
    #        cut in half by recv() until the rest arrives, and turns invalid bytes
    #        into U+FFFD instead of raising: codecs.getincrementaldecoder(ENCODING)
    #        called with errors="replace". (data.decode() alone breaks both.)
    decoder = todo(5, "decoder")
    try:
        while True:
            # TODO 6 (recv): receive at most 1024 bytes.
            data = todo(6, "recv")

            # TODO 7 (closed): recv() gave b"" (0 bytes): the client closed. Leave the loop.
            todo(7, "closed")

            # TODO 8 (print): print the characters completed so far, one line per
            #        recv(): what decoder.decode(data) returns (maybe nothing yet).
            todo(8, "print")
    except ConnectionResetError:
        pass  # the client vanished: go on with the next one
    conn.close()
