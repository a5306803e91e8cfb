"""Lab 5 server, WRONG on purpose: fails stage `two-peers`.

It remembers the address of the first peer and answers everyone there, as
if UDP had a connection.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))

server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", port))
print(f"listening on 127.0.0.1:{port}/udp")

first = None
while True:
    try:
        data, addr = server.recvfrom(65535)  # bigger than any datagram
    except ConnectionResetError:  # Windows: an earlier reply found nobody; carry on
        continue
    print(f"{addr[0]}:{addr[1]}: {len(data)} bytes")
    reply = f"heard you ({addr[0]}:{addr[1]}, {len(data)} bytes): ".encode("utf-8") + data
    first = first or addr
    server.sendto(reply, first)  # mistake: the first peer's address, every time
