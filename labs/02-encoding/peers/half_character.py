# Lab 2 peer: sends half a character, then closes the connection.
# Run: python3 labs/02-encoding/peers/half_character.py [PORT]
#      (default 12345: lab 2 server, best with --stream)
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 12345

data = "尹哲".encode("utf-8")  # 6 bytes: e5 b0 b9 e5 93 b2
s = socket.create_connection(("127.0.0.1", port))
s.sendall(data[:2])  # e5 b0: the first 2 of the 3 bytes of 尹
s.close()  # the server's next recv() returns 0 bytes: the rest never comes
print("sent", data[:2].hex(" "), "and closed")
