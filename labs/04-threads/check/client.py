"""Lab 4 client, correct: passes every stage of `lab check 4 client`.

    lab check 4 client -- python3 labs/04-threads/check/client.py {port}

Full duplex: a reader thread prints every line as it arrives, while the main
thread waits for what you type. `exit` closes the connection and ends; when the
server goes away, the reader says so and ends the whole program.
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
    sock.sendall((line + "\n").encode("utf-8"))

sock.shutdown(socket.SHUT_WR)  # we send no more; the goodbye may still arrive
receiving.join(timeout=3)
sock.close()
