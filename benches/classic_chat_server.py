"""The benchmark's baseline: a chat server written the way the classic tutorials write it.

One thread per client, one shared list of client sockets, and a broadcast that calls
sendall() on every other client in turn, from the sender's own thread. So one slow
client stalls every message behind it. The classroom benchmark (benches/classroom.rs)
starts it with python3 and puts the same load on it as on `lab 6 server`.

Protocol, kept close to lab 6 so one load driver fits both: the first line a client
sends is its nickname; the server answers `welcome NICK`; every later line is sent to
everyone else as `<NICK> text`.

Usage: python3 classic_chat_server.py PORT   (0 = any free port; prints the real one)
"""

import socket
import sys
import threading

clients = []  # every connected client's socket, shared by all threads


def handle(conn):
    reader = conn.makefile("rb")
    nick = reader.readline().strip().decode("utf-8", "replace")
    conn.sendall(f"welcome {nick}\n".encode())
    clients.append(conn)
    try:
        for line in reader:
            message = f"<{nick}> ".encode() + line
            for other in list(clients):
                if other is not conn:
                    try:
                        other.sendall(message)
                    except OSError:
                        pass
    finally:
        if conn in clients:
            clients.remove(conn)
        conn.close()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5555
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(128)
    print(f"listening on 127.0.0.1:{server.getsockname()[1]} (tcp)", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
