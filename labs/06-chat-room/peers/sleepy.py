# Lab 6 peer: a client that joins as "sleepy" and then never reads.
# Run: python3 labs/06-chat-room/peers/sleepy.py [PORT]
#      (default port 5555: lab 6 server)
# What the room sends piles up in its kernel buffers, then in its outbox on the
# server; the server drops it rather than let it stall everyone. Ctrl-C ends it.
import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5555

s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"sleepy\n")  # the first line is the nickname
print("joined as sleepy; not reading (Ctrl-C ends)", flush=True)
try:
    time.sleep(600)  # never calls recv()
except KeyboardInterrupt:
    pass
s.close()
