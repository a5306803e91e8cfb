# Lab 5 peer: one datagram with a name tag, and the server's reply.
# Run: python3 labs/05-udp/peers/client.py [PORT]
#      (default port 9000/udp: lab 5 server)
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000

s = socket.socket(type=socket.SOCK_DGRAM)  # UDP: no connect(), no accept()
s.settimeout(3)  # silence is all UDP gives us when nobody answers
s.sendto("小马过河1234QQ:hi".encode(), ("127.0.0.1", port))  # one datagram
data, addr = s.recvfrom(1024)  # one datagram back, and who sent it
print(addr, data.decode("utf-8", errors="replace"))
s.close()
