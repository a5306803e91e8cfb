"""Lab 1 client, WRONG on purpose: fails stage `exit`.

It sends `exit` and then waits for a reply that never comes.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "6666"))

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    client.connect(("127.0.0.1", port))
except OSError as err:
    print(f"could not connect to 127.0.0.1:{port}: {err}. Is the server running?")
    sys.exit(1)

while True:
    try:
        line = input("> ")
    except EOFError:  # Ctrl-D or the end of a piped file
        break
    if not line:
        continue  # 0 bytes would never arrive
    client.sendall(line.encode("utf-8"))
    data = client.recv(1024)
    if not data:  # 0 bytes: the server closed the connection
        print("the server closed the connection")
        break
    print(data.decode("utf-8", errors="replace"))
client.close()
