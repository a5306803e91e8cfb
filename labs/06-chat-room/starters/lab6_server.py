"""Lab 6: your own chat room server.

One thread per client reads its lines; each member has a queue and one writer
thread that sends the queued lines, so a member who stops reading fills only its
own queue (and is dropped), and two lines never mix on one socket.
Replace each `todo(...)` with the code it describes, in order, and check:

    lab check 6 server -- python3 lab6_server.py {port}

`lab 6 guide` has the protocol, stage by stage ("Your turn").
"""
import os
import queue
import socket
import sys
import threading

MAX_LINE = 4096  # the longest line kept, in bytes
QUEUE = 256  # lines that may wait for one member


def todo(number, step):
    """A part still to write: say so and stop (`lab check` quotes this line)."""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    os._exit(1)  # from any thread


PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "5555"))

members = {}  # nick -> Member
lock = threading.Lock()  # guards `members`


class Member:
    def __init__(self, conn, nick):
        self.conn = conn
        self.nick = nick
        self.outbox = queue.Queue(maxsize=QUEUE)
        threading.Thread(target=self.write_queued, daemon=True).start()

    def write_queued(self):
        """The only thread that writes to this socket: whole lines, one at a time."""
        while True:
            line = self.outbox.get()
            if line is None:
                break
            try:
                self.conn.sendall(line.encode("utf-8", errors="replace") + b"\n")
            except OSError:
                break


def drop(member):
    with lock:
        if members.get(member.nick) is member:
            del members[member.nick]
    try:
        member.conn.shutdown(socket.SHUT_RDWR)  # its reader's recv() returns 0
    except OSError:
        pass


def deliver(member, line):
    """Queues `line` for one member."""
    try:
        member.outbox.put(line, timeout=1)  # a full queue may be a slow moment only
    except queue.Full:
        # TODO 6 (drop): still full after a second: the member is not reading:
        #        drop(member). Never sendall() here: it could block.
        todo(6, "drop")


def broadcast(line, sender=None):
    with lock:
        others = [m for m in members.values() if m is not sender]
    for member in others:
        deliver(member, line)


def read_lines(conn):
    """Yields each line (bytes, without \\n); None for a line over MAX_LINE."""
    buf = b""
    skipping = False  # inside a line that was too long: throw away up to its \n
    while True:
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            if skipping:
                skipping = False
                continue
            yield None if len(line) > MAX_LINE else line.rstrip(b"\r")
        # TODO 9 (limit): len(buf) > MAX_LINE: yield None once (not when already
        #        skipping), set skipping, and empty buf: an endless line is refused.
        todo(9, "limit")
        data = conn.recv(4096)
        if not data:
            return
        buf += data


def command(member, text):
    """Runs a command line; True if the member leaves."""
    name, _, rest = text.partition(" ")
    if name == "/msg":
        nick, _, words = rest.partition(" ")
        with lock:
            target = members.get(nick)
        # TODO 7 (msg): no target: deliver(member, f"! nobody called {nick!r} is here").
        #        Else deliver(target, f"[private] <{member.nick}> {words}").
        todo(7, "msg")
    elif name == "/list":
        with lock:
            names = ", ".join(sorted(members)[:50])
        deliver(member, f"* online: {names}")
    elif name == "/quit":
        # TODO 8 (quit): deliver(member, "* bye") and return True.
        todo(8, "quit")
    else:
        deliver(member, f"! unknown command {name!r}")
    return False


def handle(conn, addr):
    lines = read_lines(conn)
    conn.sendall(b"* welcome to the chat room. Choose a nickname:\n")
    member = None
    for line in lines:
        nick = (line or b"").decode("utf-8", errors="replace").strip()
        if not nick or " " in nick or len(nick) > 16 or not nick.isprintable():
            conn.sendall(b"! 1-16 visible characters, no spaces. Choose another:\n")
            continue
        with lock:
            if nick not in members:
                member = members[nick] = Member(conn, nick)
                break
        conn.sendall(b"! that nickname is taken. Choose another:\n")
    if member is None:
        conn.close()
        return
    # TODO 3 (welcome): deliver(member, f"* welcome, {nick}!"); then tell the others:
    #        broadcast(f"* {nick} joined", sender=member).
    todo(3, "welcome")
    try:
        for line in lines:
            if line is None:
                deliver(member, f"! that line was longer than {MAX_LINE} bytes")
                continue
            text = line.decode("utf-8", errors="replace")
            if not text.isprintable():
                deliver(member, "! control characters are not allowed")
            elif text.startswith("/"):
                if command(member, text):
                    break
            elif text:
                # TODO 4 (chat): broadcast(f"<{member.nick}> {text}", sender=member).
                todo(4, "chat")
    except OSError:
        pass
    drop(member)
    try:
        member.outbox.put_nowait(None)  # its writer ends
    except queue.Full:
        pass
    # TODO 5 (leave): broadcast(f"* {member.nick} left").
    todo(5, "leave")


# TODO 1 (listen): a TCP socket with SO_REUSEADDR, bound to ("127.0.0.1", PORT),
#        listening (a queue of 50).
server = todo(1, "listen")
print(f"listening on 127.0.0.1:{PORT}")
while True:
    conn, addr = server.accept()
    # TODO 2 (thread): one thread per client: threading.Thread(target=handle,
    #        args=(conn, addr), daemon=True).start().
    todo(2, "thread")
