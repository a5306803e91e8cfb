# Lab 3 peer: the classic tagged client. Every line it sends starts with its
# name tag, its goodbye too (NAME:q), as in the classic tutorial.
# Run: python3 labs/03-half-duplex/peers/client.py [PORT]
#      (default port 9000: lab 3 server)
# Then answer its hello at the server's >>> prompt.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
name = "小郭吹雪1234QQ"

sk = socket.socket()
sk.connect(("127.0.0.1", port))
sk.send(f"{name}:hello".encode("utf-8"))  # our turn: one message
reply = sk.recv(1024)  # the server's turn: blocks until the operator answers
if not reply:
    print("the server closed the connection")  # recv() returned 0 bytes
else:
    print("server:", reply.decode("utf-8", errors="replace"))
    sk.send(f"{name}:q".encode("utf-8"))  # the classic client's quit, tagged
sk.close()
