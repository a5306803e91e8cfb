"""Lab 3 server, WRONG on purpose: fails stage `accept`.

It binds the classic fixed port 9000 instead of the port it was given.
"""
import os
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "9000"))

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 9000))
server.listen(5)
print(f"listening on 127.0.0.1:{port}")


def tag_of(text):
    """`amy:hello` -> ("amy", "hello"); a tag is 1-16 characters without spaces."""
    tag, colon, rest = text.partition(":")
    if colon and 1 <= len(tag) <= 16 and " " not in tag:
        return tag, rest
    return None, text


while True:
    conn, addr = server.accept()
    print("connected:", addr, "- the client speaks first")
    name = None  # the connection's first line decides its name
    first = True
    try:
        while True:
            data = conn.recv(1024)  # the client's turn
            if not data:  # 0 bytes: the client closed (or vanished)
                print(addr, "left without q")
                break
            text = data.decode("utf-8", errors="replace").rstrip("\r\n")
            tag, rest = tag_of(text)
            if first:
                name, first = tag, False
            if name is not None and tag == name:
                text = rest
            if text.strip().upper() == "Q":
                print(name or addr, "ended the conversation (q)")
                break
            print(f"{name}: {text}" if name and tag == name else text)

            reply = ""  # our turn: 0 bytes would never arrive, so ask again
            while not reply:
                try:
                    reply = input(">>> ")
                except EOFError:  # nobody left to type: end
                    conn.sendall(b"q")
                    sys.exit(0)
            conn.sendall(reply.encode("utf-8"))
            if reply.strip().upper() == "Q":
                print("you ended the conversation (q)")
                break
    except (ConnectionResetError, BrokenPipeError):
        print(addr, "vanished (connection reset)")
    conn.close()
