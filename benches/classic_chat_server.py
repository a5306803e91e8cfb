"""The benchmark's baseline: a chat server written the way the classic tutorials write it.

One thread per client, one shared list of client sockets, and a broadcast that calls
sendall() on every other client in turn, from the sender's own thread. So one slow
client stalls every message behind it. The classroom benchmark (benches/classroom.rs)
starts it with python3 and puts the same load on it as on `lab 6 server`.

It speaks the lines of lab 6 (src/labs/chat_room/server.rs) that the benchmark uses,
so one load driver fits both: on connect the server sends
`* welcome to the chat room ...`; the first line a client sends is its nickname,
answered with `* welcome, NICK! ...`, and everyone else gets `* NICK joined (N online)`;
every later line goes to everyone else as `<NICK> text`. (No commands, no checks: the
classic has none.)

One change from the tutorial: listen(128) instead of listen(5), the same queue as
std's TcpListener gives lab 6, so the benchmark compares the broadcast, not the queue.

Usage: python3 classic_chat_server.py PORT   (0 = any free port; prints the real one)
"""

import socket
import sys
import threading

clients = []  # every joined client's socket, shared by all threads


def broadcast(message, sender):
    for other in list(clients):
        if other is not sender:
            try:
                other.sendall(message)
            except OSError:
                pass


def handle(conn):
    reader = conn.makefile("rb")
    try:
        conn.sendall(b"* welcome to the chat room. Choose a nickname\n")
        nick = reader.readline().strip().decode("utf-8", "replace")
        clients.append(conn)
        conn.sendall(f"* welcome, {nick}!\n".encode())
        broadcast(f"* {nick} joined ({len(clients)} online)\n".encode(), conn)
        for line in reader:
            broadcast(f"<{nick}> ".encode() + line, conn)
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
