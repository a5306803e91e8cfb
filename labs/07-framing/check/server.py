"""Lab 7 server, the task `lab check 7 server` checks: an echo server for messages.

usage: python3 server.py PORT [line|length]   (or LAB_PORT and LAB_FRAMING)

TCP is a byte stream: one recv() may hold half a message, or fifty. The server keeps
the bytes in a buffer and takes out every message that is complete:
  line    each message ends with b"\\n"
  length  4 bytes, big-endian, give the length of the message that follows
Each message goes back framed the same way. A message over MAX_MESSAGE is refused
before it is kept: an error, and the connection closed. One client at a time.
"""
import os
import socket
import struct
import sys

MAX_MESSAGE = 1048576  # 1 MiB: the longest message accepted

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "7777"))
FRAMING = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_FRAMING", "line")


def listen(port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(5)
    return server


def frame(message):
    """One message as it goes on the wire."""
    if FRAMING == "length":
        return struct.pack(">I", len(message)) + message
    return message + b"\n"


def take_messages(buf):
    """Every complete message at the start of buf, and the bytes left for later.
    Raises ValueError for a message over MAX_MESSAGE, before keeping it."""
    messages = []
    while True:
        if FRAMING == "length":
            if len(buf) < 4:
                break
            (n,) = struct.unpack(">I", buf[:4])
            if n > MAX_MESSAGE:  # never bytearray(n) or recv(n): n comes from the peer
                raise ValueError(f"a message of {n} bytes is over the limit ({MAX_MESSAGE})")
            if len(buf) < 4 + n:
                break  # not complete yet: wait for the next recv()
            messages.append(buf[4:4 + n])
            buf = buf[4 + n:]
        else:
            line, newline, rest = buf.partition(b"\n")
            if not newline:
                if len(buf) > MAX_MESSAGE:
                    raise ValueError(f"a line over the limit ({MAX_MESSAGE} bytes)")
                break
            messages.append(line)
            buf = rest
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
            print("refused:", err)
            conn.sendall(f"error: {err}\n".encode())
            return
        for message in messages:
            conn.sendall(frame(message))


def main():
    server = listen(PORT)
    print(f"listening on 127.0.0.1:{PORT}, framing {FRAMING}")
    while True:
        conn, addr = server.accept()
        print("connected:", addr)
        try:
            serve(conn)
        except OSError as err:
            print(addr, err)
        conn.close()


if __name__ == "__main__":
    main()
