"""Lab 1 client, correct: passes every stage of `lab check 1 client`.

    lab check 1 client -- python3 labs/01-echo/check/client.py {port}

The classic client, with what it lacks added: the port from the command line, a
sentence and exit code 1 when nothing listens, and an end when the server closes.
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
    if not data:  # 0 bytes: the server closed the connection
        print("the server closed the connection")
        break
    print(data.decode("utf-8", errors="replace"))
client.close()
