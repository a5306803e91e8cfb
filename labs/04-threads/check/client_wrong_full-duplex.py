"""Lab 4 client, WRONG on purpose: fails stage `full-duplex`.

Lab 3's half-duplex client: it takes turns, one recv() for the welcome and one
after each line it sends. A line the server sends on its own, while the client
waits in input(), is not shown.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))

sock = socket.create_connection(("127.0.0.1", port))
print(sock.recv(1024).decode("utf-8", "replace"), end="", flush=True)  # the welcome
while True:
    line = input()  # mistake: nothing is received while this waits
    sock.sendall((line + "\n").encode("utf-8"))
    if line.strip() == "exit":
        break
    data = sock.recv(1024)
    if not data:
        print("the server closed the connection")
        break
    print(data.decode("utf-8", "replace"), end="", flush=True)
sock.close()
