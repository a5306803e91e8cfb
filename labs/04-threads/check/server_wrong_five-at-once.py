"""Lab 4 server, WRONG on purpose: fails stage `five-at-once`.

Its threads share one global `addr`: the next accept() overwrites it, so a
client is answered with another client's address.
"""
import os
import socket
import sys
import threading

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))


latest = None  # mistake: one global address for every thread


def serve(conn, addr):
    """One client's conversation, in its own thread."""
    me = f"{addr[0]}:{addr[1]}"
    try:
        conn.sendall(f"welcome, {me}: type a line; `exit` leaves.\n".encode("utf-8"))
        while True:
            data = conn.recv(1024)
            if not data:  # 0 bytes: the client closed
                print(me, "closed without exit")
                break
            for line in data.decode("utf-8", "replace").splitlines():
                line = line.strip()
                if not line:
                    continue
                if line == "exit":
                    conn.sendall(f"goodbye, {me}\n".encode("utf-8"))
                    print(me, "said exit")
                    return
                print(f"{me}: {line}")
                me_now = f"{latest[0]}:{latest[1]}"
                reply = f"reply to {me_now}: got {len(line.encode())} bytes: {line}\n"
                conn.sendall(reply.encode("utf-8"))
    except OSError as err:  # ConnectionResetError, BrokenPipeError, ...
        print(me, "vanished:", err)
    finally:
        conn.close()


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(64)
print(f"listening on 127.0.0.1:{port}")

while True:
    conn, addr = server.accept()
    latest = addr
    print("connected:", addr)
    threading.Thread(target=serve, args=(conn, addr), daemon=True).start()
