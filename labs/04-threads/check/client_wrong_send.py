"""Lab 4 client, WRONG on purpose: fails stage `send`.

It sends the typed line in GBK, not UTF-8, so the server gets other bytes.
"""
import os
import socket
import sys
import threading

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))
leaving = threading.Event()


def reader(sock):
    """Prints what the server sends, as soon as it arrives."""
    while True:
        try:
            data = sock.recv(1024)
        except OSError as err:
            data, why = b"", f"the connection broke: {err}"
        else:
            why = "the server closed the connection"
        if not data:
            if leaving.is_set():
                return
            print(why + "; goodbye", flush=True)
            os._exit(1)  # the main thread is stuck in input() and cannot notice
        print(data.decode("utf-8", "replace"), end="", flush=True)


try:
    sock = socket.create_connection(("127.0.0.1", port))
except OSError as err:
    print(f"could not connect to 127.0.0.1:{port}: {err}")
    sys.exit(1)
receiving = threading.Thread(target=reader, args=(sock,), daemon=True)
receiving.start()

while True:
    try:
        line = input()
    except EOFError:
        line = "exit"
    if line.strip() == "exit":
        leaving.set()
        sock.sendall(b"exit\n")
        break
    sock.sendall((line + "\n").encode("gbk"))  # mistake: not UTF-8

sock.shutdown(socket.SHUT_WR)  # we send no more; the goodbye may still arrive
receiving.join(timeout=3)
sock.close()
