"""Lab 6 client, the task `lab check 6 client` checks: a full-duplex chat client.

usage: python3 client.py PORT   (or LAB_PORT)

The first line you type is your nickname; every line you type is sent with its \\n.
A receiving thread prints what the server sends as it arrives, also while you are
half-way through typing a line. Control characters the server sent (ESC, BEL, C1)
are shown escaped, never printed raw: ESC [2J would clear your screen. Ctrl-D (the
end of input) closes the connection and ends the client.
"""
import os
import socket
import sys
import threading

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "5555"))


def safe(text):
    """Control characters shown escaped (\\x1b), everything else as it is."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def show(line):
    print(safe(line.decode("utf-8", errors="replace")), flush=True)


def send_line(sock, line):
    sock.sendall((line + "\n").encode("utf-8"))  # the text and its \n: one send


def receive(sock):
    buf = b""
    while True:
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            if buf:
                show(buf)  # a last line without \n
            print("the server closed the connection", flush=True)
            os._exit(0)
        buf += data
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            show(line.rstrip(b"\r"))


def main():
    sock = socket.create_connection(("127.0.0.1", PORT))
    # daemon: the receiving thread must not keep the program alive after Ctrl-D
    threading.Thread(target=receive, args=(sock,), daemon=True).start()
    for line in sys.stdin:
        send_line(sock, line.rstrip("\r\n"))
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()


if __name__ == "__main__":
    main()
