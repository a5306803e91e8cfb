"""Lab 4: your own thread-per-client server (the classic server on port 12000).

Replace each `todo(...)` with the code it describes, in order, and check your work
after each one:

    lab check 4 server -- python3 lab4_server.py {port}

The check gives your server the port to use as its first argument (and in
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


def serve(conn, addr):
    """One client's whole conversation. It runs in a thread of its own, so it may
    wait in recv() as long as it likes: the other clients have threads too."""
    me = f"{addr[0]}:{addr[1]}"  # the client's address, as the replies name it
    try:
        # TODO 4 (welcome): send the line f"welcome, {me}\n", encoded as UTF-8.
        todo(4, "welcome")
        while True:
            # TODO 5 (recv): receive at most 1024 bytes from this client.
            data = todo(5, "recv")

            # TODO 6 (closed): recv() gave b"": the client closed. Return.
            todo(6, "closed")

            for line in data.decode("utf-8", "replace").splitlines():
                line = line.strip()
                if not line:
                    continue
                # TODO 7 (exit): the line is "exit": send f"goodbye, {me}\n" and return.
                todo(7, "exit")

                # TODO 8 (reply): send one line that names the client and repeats the
                #        line: f"reply to {me}: {line}\n", encoded as UTF-8.
                todo(8, "reply")
    except OSError as err:
        # TODO 9 (vanished): ConnectionResetError, BrokenPipeError...: the client
        #        vanished. Say so; only this conversation ends.
        todo(9, "vanished")
    finally:
        conn.close()


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # rebind at once after a restart

# TODO 1 (bind): give the socket the address ("127.0.0.1", PORT).
todo(1, "bind")

# TODO 2 (listen): a listening socket with a queue of 64 (a class connects at once).
todo(2, "listen")
print(f"listening on 127.0.0.1:{PORT}")

while True:
    conn, addr = server.accept()
    print("connected:", addr)
    # TODO 3 (thread): start serve(conn, addr) in a thread of its own:
    #        threading.Thread(target=serve, args=(conn, addr), daemon=True).start()
    #        (the main thread only accepts; calling serve() here makes everyone wait).
    todo(3, "thread")
