"""Lab 8, EXERCISES step 6: four clients connect to the server one after another,
and keep their sockets open for 60 seconds so that `lab 8 states` can show them.

The connects are non-blocking (connect_ex), so a client whose SYN the server's
kernel drops does not hold up the others: it simply stays in SYN-SENT.

Run it from the socket-lab folder:  python3 labs/08-lifecycle/peers/four_clients.py [PORT]
"""
import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
clients = []
for number in range(1, 5):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    # 0 if connected at once, else EINPROGRESS (Windows: 10035): the handshake goes
    # on in the kernel without us.
    c.connect_ex(("127.0.0.1", port))
    clients.append(c)
    print(f"client {number}: local port {c.getsockname()[1]}", flush=True)
    time.sleep(0.2)  # one handshake at a time

print("holding the four sockets for 60 s: watch `lab 8 states`; Ctrl-C ends", flush=True)
try:
    time.sleep(60)
except KeyboardInterrupt:
    pass
for c in clients:
    c.close()
