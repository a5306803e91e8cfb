"""Lab 2 server, WRONG on purpose: fails stage `accept`.

It binds the classic fixed port 12345 instead of the port it was given.
"""
import codecs
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12345"))
encoding = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_ENCODING", "utf-8")

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 12345))
server.listen(5)
print(f"listening on 127.0.0.1:{port}, decoding {encoding}")

while True:
    conn, addr = server.accept()
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")  # one per client
    try:
        while True:
            data = conn.recv(1024)
            if not data:  # 0 bytes: the client closed
                break
            print(decoder.decode(data))  # only the characters completed so far
    except ConnectionResetError:
        pass
    conn.close()
