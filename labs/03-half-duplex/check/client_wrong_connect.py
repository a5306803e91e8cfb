"""Lab 3 client, WRONG on purpose: fails stage `connect`.

It connects to the classic fixed port 9000 instead of the port it was given.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "9000"))
name = sys.argv[2] if len(sys.argv) > 2 else "guest"

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    client.connect(("127.0.0.1", 9000))
except OSError as err:
    print(f"could not connect to 127.0.0.1:{port}: {err}")
    sys.exit(1)
print(f"connected as {name}. You speak first; q quits.")

while True:
    try:
        line = input(">>> ")  # our turn
    except EOFError:
        line = "q"
    if not line:
        continue  # 0 bytes would never arrive
    if line.strip().upper() == "Q":
        client.sendall(b"q")  # a plain q: the server sees it as q
        print("you ended the conversation")
        break
    client.sendall(f"{name}:{line}".encode("utf-8"))
    data = client.recv(1024)  # the server's turn
    if not data:  # 0 bytes: the server closed or died
        print("the server closed the connection")
        sys.exit(1)
    reply = data.decode("utf-8", errors="replace")
    if reply.strip().upper() == "Q":
        print("the server ended the conversation (q)")
        break
    print("server:", reply)
client.close()
