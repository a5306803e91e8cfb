"""Lab 5 client, WRONG on purpose: fails stage `reply`.

It prints the reply's bytes object, `b'...'` with escapes, not the text.
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
        if addr != server:
            print(f"a datagram from {addr[0]}:{addr[1]}, not the server:",
                  data.decode("utf-8", "replace"), flush=True)
            continue
        print(data, flush=True)  # mistake: bytes, not text
        break
