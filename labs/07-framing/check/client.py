"""Lab 7 client, the task `lab check 7 client` checks.

usage: python3 client.py PORT [line|length]   (or LAB_PORT and LAB_FRAMING)

Each line you type goes to the server as one message, framed (line: a b"\\n" after
it; length: 4 bytes, big-endian, with its length before it). A receiving thread
prints every message the server sends back, whole, on a line of its own, however
recv() cuts the bytes. A reply over MAX_MESSAGE means the server is broken: the
client says so, closes and ends. Ctrl-D (the end of input) closes and ends.
"""
import os
import socket
import struct
import sys
import threading

MAX_MESSAGE = 1048576  # 1 MiB: the longest message accepted

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "7777"))
FRAMING = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_FRAMING", "line")


def frame(message):
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
            if n > MAX_MESSAGE:
                raise ValueError(f"a reply of {n} bytes is over the limit ({MAX_MESSAGE})")
            if len(buf) < 4 + n:
                break
            messages.append(buf[4:4 + n])
            buf = buf[4 + n:]
        else:
            line, newline, rest = buf.partition(b"\n")
            if not newline:
                if len(buf) > MAX_MESSAGE:
                    raise ValueError(f"a reply line over the limit ({MAX_MESSAGE} bytes)")
                break
            messages.append(line)
            buf = rest
    return messages, buf


def receive(sock):
    buf = b""
    while True:
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            print("the server closed the connection", flush=True)
            os._exit(0)
        buf += data
        try:
            messages, buf = take_messages(buf)
        except ValueError as err:
            print("error:", err, "- closing", flush=True)
            sock.close()
            os._exit(1)
        for message in messages:
            print(message.decode("utf-8", errors="replace"), flush=True)


def main():
    sock = socket.create_connection(("127.0.0.1", PORT))
    threading.Thread(target=receive, args=(sock,), daemon=True).start()
    for line in sys.stdin:
        sock.sendall(frame(line.rstrip("\r\n").encode()))
    # The end of input: close, and end (the daemon thread ends with us).
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()


if __name__ == "__main__":
    main()
