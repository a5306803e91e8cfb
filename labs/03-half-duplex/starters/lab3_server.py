"""Lab 3: your own half-duplex chat server (the classic chat on port 9000).

The client speaks first; you (the operator) type each reply; `q` from either side
ends the conversation, and the server waits for the next client. Replace each
`todo(...)` with the code it describes, in order, and check your work:

    lab check 3 server -- python3 lab3_server.py {port}

The check connects as a client and types the operator's replies into your
server's input. `lab 3 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import socket
import sys


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# The port: the first argument, else LAB_PORT, else the classic 9000.
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "9000"))

# TODO 1 (listen): create a TCP socket, bind it to ("127.0.0.1", PORT) and listen.
server = todo(1, "listen")
print(f"listening on 127.0.0.1:{PORT}")

while True:  # one client after another
    # TODO 2 (accept): wait for the next client.
    conn, addr = todo(2, "accept")
    print("connected:", addr, "- the client speaks first")
    try:
        while True:
            # TODO 3 (recv): the client's turn: receive at most 1024 bytes.
            data = todo(3, "recv")

            # TODO 4 (closed): recv() gave b"" (0 bytes): the client went away. Leave
            #        the loop (do not ask for a reply nobody will read).
            todo(4, "closed")

            text = data.decode("utf-8", errors="replace")

            # TODO 5 (client q): the client sent q (or Q): leave the loop. (data is
            #        bytes: compare the decoded text, not data, with "q".)
            todo(5, "client q")

            # TODO 6 (show): print the message. A first line `amy:hello` tags the
            #        connection: show it as `amy: hello`.
            todo(6, "show")

            reply = input(">>> ")  # our turn: the operator types the reply

            # TODO 7 (send): send the reply as UTF-8 bytes (not the str itself).
            todo(7, "send")

            # TODO 8 (server q): the operator typed q: after sending it, leave the loop.
            todo(8, "server q")
    except (ConnectionResetError, BrokenPipeError):
        print(addr, "vanished")
    conn.close()  # then accept() the next client
