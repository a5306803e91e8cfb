# Lab 4 peer: a client that speaks the lab 4 protocol, lines of UTF-8 text.
# Run: python3 labs/04-threads/peers/client.py [PORT]
#      (default port 12000: lab 4 server)
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 12000

s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")  # read line by line: one recv() is not one line
print(f.readline().decode().strip())  # the welcome
s.sendall("你好 from python\n".encode())  # one line, with its newline
print(f.readline().decode().strip())  # the reply names our port
s.sendall(b"exit\n")
print(f.readline().decode().strip())  # goodbye
s.close()
