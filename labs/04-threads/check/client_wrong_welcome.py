"""Lab 4 client, WRONG on purpose: fails stage `welcome`.

Lab 1's half-duplex client: it waits for a typed line first and recv()s only
after sending, so the welcome the server sends first is not shown until the
student has typed something.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))

sock = socket.create_connection(("127.0.0.1", port))
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
