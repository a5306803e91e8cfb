"""Lab 7: your own echo server for framed messages.

Every message the client sends comes back, framed the same way, however recv()
cuts the bytes: a buffer, and a loop that takes out every complete message.
  line    each message ends with b"\n"
  length  4 bytes, big-endian, give the length of the message that follows
A message over MAX_MESSAGE is refused before it is kept: an error, and close().
Replace each `todo(...)` with the code it describes, in order, and check:

    lab check 7 server -- python3 lab7_server.py {port} {framing}

The check runs twice, with {framing} = line, then length.
`lab 7 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import socket
import struct
import sys

MAX_MESSAGE = 1048576  # 1 MiB: the longest message accepted


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# The port and the framing: the arguments, else LAB_PORT and LAB_FRAMING.
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "7777"))
FRAMING = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_FRAMING", "line")


def frame(message):
    """One message as it goes on the wire."""
    # TODO 2 (frame): length: struct.pack(">I", len(message)) + message;
    #        line: message + b"\n".
    return todo(2, "frame")


def take_messages(buf):
    """Every complete message at the start of buf, and the bytes left for later.
    Raises ValueError for a message over MAX_MESSAGE, before keeping it."""
    messages = []
    while True:
        if FRAMING == "length":
            # TODO 3 (length): fewer than 4 bytes: break. Else n = the prefix
            #        (struct.unpack(">I", buf[:4])[0]); n > MAX_MESSAGE: raise
            #        ValueError. Fewer than 4 + n bytes: break (wait for more). Else
            #        append buf[4:4 + n] and keep buf[4 + n:].
            todo(3, "length")
        else:
            # TODO 4 (line): no b"\n" in buf: if len(buf) > MAX_MESSAGE raise
            #        ValueError, else break. Else append the bytes before the first
            #        b"\n" and keep those after it (buf.partition(b"\n")).
            todo(4, "line")
    return messages, buf


def serve(conn):
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:  # 0 bytes: the client closed
            return
        buf += data
        try:
            messages, buf = take_messages(buf)
        except ValueError as err:
            # TODO 5 (refuse): send an error line (f"error: {err}\n"), then return:
            #        the caller closes the connection.
            todo(5, "refuse")
        # TODO 6 (echo): send every message back: conn.sendall(frame(message)).
        todo(6, "echo")


# TODO 1 (listen): a TCP socket with SO_REUSEADDR, bound to ("127.0.0.1", PORT),
#        listening.
server = todo(1, "listen")
print(f"listening on 127.0.0.1:{PORT}, framing {FRAMING}")
while True:
    conn, addr = server.accept()
    try:
        serve(conn)
    except OSError as err:
        print(addr, err)
    conn.close()
