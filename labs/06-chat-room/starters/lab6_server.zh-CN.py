"""实验 6：自己写一个聊天室服务器。

每个客户端一个线程，读取它发来的行；每个成员有一个队列和一个写线程，
由写线程发送队列中的行。这样，一个不再读取的成员只会塞满它自己的
队列（然后被踢出），一个套接字上的两行也永远不会混在一起。
按顺序把每个 `todo(...)` 换成它所描述的代码，然后检查：

    lab check 6 server -- python3 lab6_server.py {port}

`lab 6 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import queue
import socket
import sys
import threading

MAX_LINE = 4096  # 保留的最长一行，单位为字节
QUEUE = 256  # 为一个成员排队等待的最大行数


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    os._exit(1)  # 在任何线程中调用都有效


PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "5555"))

members = {}  # 昵称 -> Member
lock = threading.Lock()  # 保护 `members`


class Member:
    def __init__(self, conn, nick):
        self.conn = conn
        self.nick = nick
        self.outbox = queue.Queue(maxsize=QUEUE)
        threading.Thread(target=self.write_queued, daemon=True).start()

    def write_queued(self):
        """唯一向这个套接字写数据的线程：一次写一整行。"""
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
        member.conn.shutdown(socket.SHUT_RDWR)  # 它的读线程中的 recv() 会返回 0
    except OSError:
        pass


def deliver(member, line):
    """把 `line` 放入一个成员的队列。"""
    try:
        member.outbox.put(line, timeout=1)  # 队列满了，可能只是一时慢了一下
    except queue.Full:
        # TODO 6 (drop)：一秒后仍然是满的：这个成员没有在读取：
        #        drop(member)。绝不要在这里 sendall()：它可能阻塞。
        todo(6, "drop")


def broadcast(line, sender=None):
    with lock:
        others = [m for m in members.values() if m is not sender]
    for member in others:
        deliver(member, line)


def read_lines(conn):
    """逐行产出（字节串，不含 \\n）；超过 MAX_LINE 的行产出 None。"""
    buf = b""
    skipping = False  # 正处在一个过长的行中：丢弃数据，直到它的 \n 为止
    while True:
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            if skipping:
                skipping = False
                continue
            yield None if len(line) > MAX_LINE else line.rstrip(b"\r")
        # TODO 9 (limit)：len(buf) > MAX_LINE：产出一次 None（已经在跳过时不再产出），
        #        设置 skipping，并清空 buf：拒绝没有尽头的行。
        todo(9, "limit")
        data = conn.recv(4096)
        if not data:
            return
        buf += data


def command(member, text):
    """执行一行命令；如果成员要离开，返回 True。"""
    name, _, rest = text.partition(" ")
    if name == "/msg":
        nick, _, words = rest.partition(" ")
        with lock:
            target = members.get(nick)
        # TODO 7 (msg)：无此目标：deliver(member, f"! nobody called {nick!r} is here")。
        #        否则 deliver(target, f"[private] <{member.nick}> {words}")。
        todo(7, "msg")
    elif name == "/list":
        with lock:
            names = ", ".join(sorted(members)[:50])
        deliver(member, f"* online: {names}")
    elif name == "/quit":
        # TODO 8 (quit)：deliver(member, "* bye")，然后 return True。
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
    # TODO 3 (welcome)：deliver(member, f"* welcome, {nick}!")；然后告诉其他人：
    #        broadcast(f"* {nick} joined", sender=member)。
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
                # TODO 4 (chat)：broadcast(f"<{member.nick}> {text}", sender=member)。
                todo(4, "chat")
    except OSError:
        pass
    drop(member)
    try:
        member.outbox.put_nowait(None)  # 它的写线程随之结束
    except queue.Full:
        pass
    # TODO 5 (leave)：broadcast(f"* {member.nick} left")。
    todo(5, "leave")


# TODO 1 (listen)：一个设置了 SO_REUSEADDR 的 TCP 套接字，绑定到 ("127.0.0.1", PORT)，
#        并开始监听（监听队列长度为 50）。
server = todo(1, "listen")
print(f"listening on 127.0.0.1:{PORT}")
while True:
    conn, addr = server.accept()
    # TODO 2 (thread)：每个客户端一个线程：threading.Thread(target=handle,
    #        args=(conn, addr), daemon=True).start()。
    todo(2, "thread")
