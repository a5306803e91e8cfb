# Lab 7 peer: a length prefix that announces 4 GiB, and nothing after it.
# Run: python3 labs/07-framing/peers/huge_prefix.py [PORT]
#      (default 7777: lab 7 server --framing length)
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 7777

s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"\xff\xff\xff\xff")  # 4294967295 bytes announced
s.shutdown(socket.SHUT_WR)  # and no more bytes
# The server's answer:
print(s.recv(1024).decode("utf-8", errors="replace"), end="")
s.close()
