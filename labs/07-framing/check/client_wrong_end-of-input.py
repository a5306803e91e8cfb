"""Lab 7 client, WRONG on purpose: fails stage `end-of-input`.

At the end of input it leaves its loop without closing the socket, and its
receiving thread is not a daemon thread: blocked in recv(), it keeps the program
(and the connection) alive for ever.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the lab folder

import socket
import threading

import client


def main():
    sock = socket.create_connection(("127.0.0.1", client.PORT))
    threading.Thread(target=client.receive, args=(sock,)).start()  # the mistake
    for line in sys.stdin:
        sock.sendall(client.frame(line.rstrip("\r\n").encode()))


main()
