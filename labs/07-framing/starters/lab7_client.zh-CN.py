"""实验 7：自己写一个分帧消息的客户端。

你键入的每一行作为一条消息发给服务器，并按分帧方式封装（line：其后加一个
b"\n"；length：其前加 4 字节大端序的长度）。一个接收线程把服务器发回的每条
消息完整地单独打印成一行，不管 recv() 怎样切分字节流。
回复超过 MAX_MESSAGE 时：打印提示，关闭连接，结束程序。
按顺序把每个 `todo(...)` 换成它所描述的代码，然后检查：

    lab check 7 client -- python3 lab7_client.py {port} {framing}

检查程序扮演服务器（它会回显），并把你要发的行键入你的客户端。
`lab 7 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import struct
import sys
import threading

MAX_MESSAGE = 1048576  # 1 MiB：接受的最长回复


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    os._exit(1)  # 在接收线程中调用也有效


PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "7777"))
FRAMING = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_FRAMING", "line")


def frame(message):
    # TODO 2 (frame)：length：struct.pack(">I", len(message)) + message；
    #        line：message + b"\n"。
    return todo(2, "frame")


def take_messages(buf):
    """buf 开头的每一条完整消息，以及留待以后处理的剩余字节。
    消息超过 MAX_MESSAGE 时，在保存它之前抛出 ValueError。"""
    # TODO 4 (take)：和服务器中的循环一样（见 lab 7 guide 的“动手：自己写一个”）。
    return todo(4, "take")


def receive(sock):
    buf = b""
    while True:
        data = sock.recv(4096)
        if not data:
            print("the server closed the connection", flush=True)
            os._exit(0)
        buf += data
        try:
            messages, buf = take_messages(buf)
        except ValueError as err:
            # TODO 5 (refuse)：打印错误，sock.close()，然后 os._exit(1)。
            todo(5, "refuse")
        for message in messages:
            print(message.decode("utf-8", errors="replace"), flush=True)


# TODO 1 (connect)：socket.create_connection(("127.0.0.1", PORT))。
sock = todo(1, "connect")
# 守护线程：按下 Ctrl-D 之后，接收线程不能让程序继续运行
threading.Thread(target=receive, args=(sock,), daemon=True).start()
for line in sys.stdin:
    # TODO 3 (send)：sock.sendall(frame(去掉 "\n" 的这一行，编码后))。
    todo(3, "send")
# TODO 6 (close)：输入结束：sock.close()；然后程序结束。
todo(6, "close")
