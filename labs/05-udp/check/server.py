"""Lab 5 server, correct: passes every stage of `lab check 5 server`.

    lab check 5 server -- python3 labs/05-udp/check/server.py {port}

The classic UDP server, with what it lacks added: the port from the command line,
a buffer larger than any datagram, and every datagram answered, empty ones too.
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
    reply = f"heard you ({addr[0]}:{addr[1]}, {len(data)} bytes): ".encode("utf-8") + data
    server.sendto(reply, addr)  # to the address this datagram came from
