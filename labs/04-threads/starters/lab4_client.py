"""Lab 4: your own full-duplex client.

Replace each `todo(...)` with the code it describes, in order, and check your work
after each one:

    lab check 4 client -- python3 lab4_client.py {port}

The check gives your client the server's port as its first argument (and in
LAB_PORT). `lab 4 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import socket
import sys
import threading


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    os._exit(1)  # from any thread: ends the whole program


# The port: the first argument, else LAB_PORT, else the classic 12000.
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))
leaving = threading.Event()  # set once we said exit: the server's close is expected


def reader(sock):
    """The reader thread: prints what the server sends, as soon as it arrives."""
    while True:
        try:
            # TODO 3 (recv): receive at most 1024 bytes.
            data = todo(3, "recv")
        except OSError:
            data = b""
        if not data:
            if leaving.is_set():
                return
            # TODO 4 (gone): the server went away. Print a sentence that says so, then
            #        end the whole program with os._exit(1) (the main thread is stuck
            #        in input() and cannot notice).
            todo(4, "gone")
        print(data.decode("utf-8", "replace"), end="", flush=True)


try:
    # TODO 1 (connect): connect to ("127.0.0.1", PORT): socket.create_connection(...)
    sock = todo(1, "connect")
except OSError as err:
    print(f"could not connect to 127.0.0.1:{PORT}: {err}")
    sys.exit(1)

# TODO 2 (thread): start reader(sock) in a daemon thread, before waiting for input:
#        the server speaks first.
receiving = todo(2, "thread")

while True:
    try:
        line = input()
    except EOFError:
        line = "exit"
    if line.strip() == "exit":
        leaving.set()
        # TODO 6 (exit): send b"exit\n" and leave the loop.
        todo(6, "exit")
    # TODO 5 (send): send the line and a "\n", encoded as UTF-8.
    todo(5, "send")

sock.shutdown(socket.SHUT_WR)  # we send no more; the goodbye may still arrive
receiving.join(timeout=3)
sock.close()
