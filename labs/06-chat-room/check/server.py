"""Lab 6 server, the task `lab check 6 server` checks: the chat room.

usage: python3 server.py PORT   (or LAB_PORT)

One thread per client reads its lines; one writer thread per member sends the
lines queued for it, so a member who stops reading fills only its own queue (and
is dropped), and two lines never mix on one socket. The protocol (lab 6 guide):
the first line is the nickname; `<nick> text` to the others; `* ...` news;
`/msg NICK text` -> `[private] <nick> text`; `/list`; `/quit`; `! ...` errors.
"""
import os
import queue
import socket
import sys
import threading

MAX_LINE = 4096  # the longest line kept, in bytes
QUEUE = 256  # lines that may wait for one member

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


def deliver(member, line):
    """Queues `line` for one member; a member whose queue stays full is dropped."""
    try:
        member.outbox.put(line, timeout=1)
    except queue.Full:
        print(member.nick, "is not reading: dropped")
        drop(member)


def drop(member):
    with lock:
        if members.get(member.nick) is member:
            del members[member.nick]
    try:
        member.conn.shutdown(socket.SHUT_RDWR)  # its reader's recv() returns 0
    except OSError:
        pass


def broadcast(line, sender=None):
    with lock:
        others = [m for m in members.values() if m is not sender]
    for member in others:
        deliver(member, line)


def read_lines(conn, rest):
    """Yields each line (without \\n); None for a line over MAX_LINE, which is
    thrown away, as it arrives, up to its \\n. `rest` holds what was read before."""
    buf = rest
    skipping = False
    while True:
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            if skipping:
                skipping = False
                continue
            yield None if len(line) > MAX_LINE else line.rstrip(b"\r")
        if len(buf) > MAX_LINE:
            if not skipping:
                yield None
            skipping = True
            buf = b""
        data = conn.recv(4096)
        if not data:
            return
        buf += data


def welcome(member):
    with lock:
        names = ", ".join(sorted(members)[:50])
        count = len(members)
    deliver(member, f"* welcome, {member.nick}! Online ({count}): {names}")


def announce_join(member):
    broadcast(f"* {member.nick} joined", sender=member)


def chat(member, text):
    broadcast(f"<{member.nick}> {text}", sender=member)


def private(member, target, text):
    deliver(target, f"[private] <{member.nick}> {text}")
    deliver(member, f"[private to {target.nick}] {text}")


def no_such_member(member, nick):
    deliver(member, f"! nobody called {nick!r} is here")


def list_members(member):
    with lock:
        names = sorted(members)
    shown = ", ".join(names[:50])
    more = f" and {len(names) - 50} more" if len(names) > 50 else ""
    deliver(member, f"* online ({len(names)}): {shown}{more}")


def quit(member):
    deliver(member, "* bye")
    return True


def command(member, line):
    """Runs a command line; True if the member leaves."""
    name, _, rest = line.partition(" ")
    if name == "/msg":
        nick, _, text = rest.partition(" ")
        with lock:
            target = members.get(nick)
        if target is None:
            no_such_member(member, nick)
        else:
            private(member, target, text)
    elif name == "/list":
        list_members(member)
    elif name == "/quit":
        return quit(member)
    else:
        deliver(member, f"! unknown command {name!r}")
    return False


def choose_nick(conn, lines):
    conn.sendall(b"* welcome to the chat room. Choose a nickname:\n")
    for line in lines:
        nick = (line or b"").decode("utf-8", errors="replace").strip()
        if not nick or " " in nick or len(nick) > 16 or not nick.isprintable():
            conn.sendall(b"! 1-16 visible characters, no spaces. Choose another:\n")
            continue
        with lock:
            if nick not in members:
                member = Member(conn, nick)
                members[nick] = member
                return member
        conn.sendall(b"! that nickname is taken. Choose another:\n")
    return None


def handle(conn, addr):
    lines = read_lines(conn, b"")
    member = choose_nick(conn, lines)
    if member is None:
        conn.close()
        return
    print("join", member.nick, addr)
    welcome(member)
    announce_join(member)
    try:
        for line in lines:
            if line is None:
                deliver(member, f"! that line was longer than {MAX_LINE} bytes; it was dropped")
                continue
            text = line.decode("utf-8", errors="replace")
            if not text.isprintable():
                deliver(member, "! control characters are not allowed")
            elif text.startswith("//"):
                chat(member, text[1:])
            elif text.startswith("/"):
                if command(member, text):
                    break
            elif text:
                chat(member, text)
    except OSError:
        pass
    drop(member)
    try:
        member.outbox.put_nowait(None)  # its writer ends
    except queue.Full:
        pass  # a dropped member's writer has ended already
    print("leave", member.nick)
    broadcast(f"* {member.nick} left")


def listen(port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(50)
    return server


def main():
    server = listen(PORT)
    print(f"listening on 127.0.0.1:{PORT}")
    while True:
        conn, addr = server.accept()
        threading.Thread(target=handle, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
