"""Lab 5 client, correct: passes every stage of `lab check 5 client`.

    lab check 5 client -- python3 labs/05-udp/check/client.py {port}

Each typed line is one datagram to the server. The client waits for the reply at
most 2 seconds (UDP never says that nobody is there), and a datagram from any
other address is shown with that address, not taken for the reply.
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
        print(data.decode("utf-8", "replace"), flush=True)
        break
