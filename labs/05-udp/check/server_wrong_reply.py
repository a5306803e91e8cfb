"""Lab 5 server, WRONG on purpose: fails stage `reply`.

It answers every datagram with a fixed `ok`, not with the bytes it received.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))

server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", port))
print(f"listening on 127.0.0.1:{port}/udp")

while True:
    try:
        data, addr = server.recvfrom(65535)  # bigger than any datagram
    except ConnectionResetError:  # Windows: an earlier reply found nobody; carry on
        continue
    print(f"{addr[0]}:{addr[1]}: {len(data)} bytes")
    reply = b"ok"  # mistake: the datagram is not in the reply
    server.sendto(reply, addr)  # to the address this datagram came from
