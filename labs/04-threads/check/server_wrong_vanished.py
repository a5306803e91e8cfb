"""Lab 4 server, WRONG on purpose: fails stage `vanished`.

It serves everyone from one thread with select(), which is fine, but catches
nothing around recv(): the first client that resets its connection raises
ConnectionResetError in the only thread, and the whole server dies with it.
"""
import os
import select
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(64)
print(f"listening on 127.0.0.1:{port}")

names = {}  # socket -> "127.0.0.1:50312"
while True:
    readable, _, _ = select.select([server, *names], [], [])
    for sock in readable:
        if sock is server:
            conn, addr = server.accept()
            names[conn] = f"{addr[0]}:{addr[1]}"
            conn.sendall(f"welcome, {names[conn]}\n".encode("utf-8"))
            continue
        me = names[sock]
        data = sock.recv(1024)  # mistake: a reset raises here, and nothing catches it
        if not data:
            del names[sock]
            sock.close()
            continue
        for line in data.decode("utf-8", "replace").splitlines():
            line = line.strip()
            if line == "exit":
                sock.sendall(f"goodbye, {me}\n".encode("utf-8"))
                del names[sock]
                sock.close()
                break
            if line:
                sock.sendall(f"reply to {me}: {line}\n".encode("utf-8"))
