# Lab 7 peer: sends 3 messages with a length prefix, as the guide's Python does.
# Run: python3 labs/07-framing/peers/length_sender.py [PORT] [--no-header]
#      (default 7777: lab 7 server --framing length)
# With --no-header it leaves out the count header: the server then says
# "sent ? messages (no count header)".
import socket
import struct
import sys

args = [a for a in sys.argv[1:] if a != "--no-header"]
port = int(args[0]) if args else 7777
header = "--no-header" not in sys.argv[1:]

messages = ["你好", "hello", "x" * 3000]
s = socket.create_connection(("127.0.0.1", port))
if header:
    s.sendall(b"LAB7" + struct.pack(">I", len(messages)))  # "3 messages follow"
for text in messages:
    data = text.encode("utf-8")
    # 4 bytes big-endian: the length; then the data.
    s.sendall(struct.pack(">I", len(data)) + data)
s.shutdown(socket.SHUT_WR)  # no more bytes: the server's recv() returns 0
# The server's summary line:
print(s.recv(1024).decode("utf-8", errors="replace"), end="")
s.close()
