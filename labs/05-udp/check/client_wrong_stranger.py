"""Lab 5 client, WRONG on purpose: fails stage `stranger`.

It takes the first datagram that arrives for the reply, whoever sent it.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))
server = ("127.0.0.1", port)

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(2)  # without it, recvfrom() waits for ever when nobody answers

while True:
    try:
        line = input()
    except EOFError:
        break
    sock.sendto(line.encode("utf-8"), server)
    while True:
        try:
            data, addr = sock.recvfrom(65535)
        except socket.timeout:
            print("no reply within 2 s: is the server running?", flush=True)
            break
        except ConnectionResetError:  # Windows: "port unreachable" from an earlier send
            continue
        # mistake: addr is never looked at
        print(data.decode("utf-8", "replace"), flush=True)
        break
