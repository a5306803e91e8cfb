"""Lab 1 client, WRONG on purpose: fails stage `server-closes`.

It never checks for recv() returning 0 bytes: when the server closes,
it prints an empty line and waits for more input (the classic client does).
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
    if line == "exit":
        break
    data = client.recv(1024)
    print(data.decode("utf-8", errors="replace"))
client.close()
