"""Lab 1 server, WRONG on purpose: fails stage `utf-8`.

It decodes the bytes as Latin-1 and encodes the reply as UTF-8: ASCII
survives, Chinese does not.
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
    try:
        while True:
            data = conn.recv(1024)
            if not data:  # 0 bytes: the client closed
                print(addr, "closed the connection")
                break
            if data.strip() == b"exit":
                print(addr, "said exit")
                break
            conn.sendall((time.ctime() + " " + data.decode("latin-1")).encode("utf-8"))
    except ConnectionResetError:
        print(addr, "reset the connection")
    conn.close()
