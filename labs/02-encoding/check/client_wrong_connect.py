"""Lab 2 client, WRONG on purpose: fails stage `connect`.

It connects to the classic fixed port 12345 instead of the port it was given.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12345"))
encoding = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_ENCODING", "utf-8")

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    client.connect(("127.0.0.1", 12345))
except OSError as err:
    print(f"could not connect to 127.0.0.1:{port}: {err}")
    sys.exit(1)
print(f"connected; each line is sent as {encoding} bytes")

while True:
    try:
        line = input("> ")
    except EOFError:  # Ctrl-D, or the end of a piped file
        break
    if line:
        client.sendall(line.encode(encoding))
client.close()
