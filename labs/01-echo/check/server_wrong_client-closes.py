"""Lab 1 server, WRONG on purpose: fails stage `client-closes`.

It never checks for recv() returning 0 bytes (the classic server does not), so
when a client closes without `exit` it sends a reply to a closed connection and
crashes with BrokenPipeError or ConnectionResetError.
"""
import os
import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "6666"))

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(5)
print(f"listening on 127.0.0.1:{port}")

while True:
    conn, addr = server.accept()
    print("connected:", addr)
    while True:
        data = conn.recv(1024)
        if data.strip() == b"exit":
            print(addr, "said exit")
            break
        conn.sendall((time.ctime() + " ").encode("utf-8") + data)
    conn.close()
