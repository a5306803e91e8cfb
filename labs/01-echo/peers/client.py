# Lab 1 peer: the classic ctime echo client, one message and its reply.
# Run: python3 labs/01-echo/peers/client.py [PORT]
#      (default port 6666: lab 1 server)
import sys
from socket import AF_INET, SOCK_STREAM, socket

port = int(sys.argv[1]) if len(sys.argv) > 1 else 6666

c = socket(AF_INET, SOCK_STREAM)
c.connect(("127.0.0.1", port))  # refused if no server listens on the port
c.send(b"hello")  # no newline: the server takes whatever one recv() brings
print(c.recv(1024))  # one reply, e.g. b'Mon Nov 23 13:53:15 2026 hello'
c.send(b"exit")  # the classic protocol's goodbye
c.close()
