"""Lab 1 server, WRONG on purpose: fails stage `exit`.

It compares the bytes it received with the str "exit": in Python 3 that is
never equal, so `exit` gets a reply and the connection stays open.
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
            if data.strip() == "exit":
                print(addr, "said exit")
                break
            conn.sendall((time.ctime() + " ").encode("utf-8") + data)
    except ConnectionResetError:
        print(addr, "reset the connection")
    conn.close()
