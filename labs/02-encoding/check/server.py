"""Lab 2 server, correct: passes every stage of `lab check 2 server`.

    lab check 2 server -- python3 labs/02-encoding/check/server.py {port} {encoding}

The task: print every complete character as it arrives, one line per recv(),
decoded with the encoding given (utf-8 or gbk). An incremental decoder keeps a
character cut in half by recv() until its last byte arrives; errors="replace"
turns bytes that are not valid into U+FFFD instead of crashing.
"""
import codecs
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12345"))
encoding = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_ENCODING", "utf-8")

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
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
