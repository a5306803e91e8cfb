# Lab 6 peer: floods the room with 2,000 lines of 3,000 characters, as "flood".
# Run: python3 labs/06-chat-room/peers/flood.py [PORT]
#      (default port 5555: lab 6 server)
# It prints what the room says (lines starting with *), not the flood
# itself, and leaves with /quit.
import socket
import sys
import threading

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5555
LINES, WIDTH = 2000, 3000

s = socket.create_connection(("127.0.0.1", port))
s.settimeout(60)  # never wait for ever


def read_all():
    # A reader thread: we must read while we send, or we would stop reading
    # ourselves (and be dropped, like sleepy).
    for line in s.makefile("r", encoding="utf-8", errors="replace"):
        if "x" * 20 not in line:  # hide the flood's own lines
            print(line, end="", flush=True)


reader = threading.Thread(target=read_all)
reader.start()
s.sendall(b"flood\n")  # the nickname
line = b"x" * WIDTH + b"\n"
for _ in range(LINES):
    s.sendall(line)  # one send() per line
s.sendall(b"/quit\n")
reader.join()  # until the server closes the connection after /quit
s.close()
