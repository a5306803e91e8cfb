"""实验 1：自己写一个回显客户端（ctime 服务器的经典客户端）。

按顺序把每个 `todo(...)` 换成它所描述的套接字调用，每完成一个就检查一次
你的代码：

    lab check 1 client -- python3 lab1_client.py {port}

检查程序扮演服务器，把端口作为第一个参数传给你的客户端（也放在
LAB_PORT 中），并向客户端的输入中键入若干行。`lab 1 guide` 按阶段讲解了
协议（“动手：自己写一个”一节）。
"""
import os
import socket
import sys


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# 端口：取第一个参数，否则取 LAB_PORT，再否则用经典的 6666。
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "6666"))

# TODO 1 (socket)：创建一个 TCP 套接字：IPv4（AF_INET），字节流（SOCK_STREAM）。
client = todo(1, "socket")

try:
    # TODO 2 (connect)：连接到 ("127.0.0.1", PORT)。
    todo(2, "connect")
except ConnectionRefusedError:
    # TODO 3 (refused)：那里没有程序在监听（Windows 上是 WinError 10061）：打印提示，
    #        并以非零退出码结束（sys.exit(1)）。
    todo(3, "refused")

while True:
    try:
        line = input("> ")
    except EOFError:  # Ctrl-D，或者管道输入的文件已读完
        break
    if not line:
        continue  # 发送 0 字节什么也不会发出：服务器永远不会回复

    # TODO 4 (send)：把这一行编码成 UTF-8 字节后发送。
    todo(4, "send")

    # TODO 5 (exit)：如果这一行是 exit，就退出循环：服务器不会回复。
    todo(5, "exit")

    # TODO 6 (recv)：接收回复，最多 1024 字节。
    data = todo(6, "recv")

    # TODO 7 (closed)：recv() 返回 b""（0 字节）：服务器已关闭连接。打印提示，退出循环。
    todo(7, "closed")

    # TODO 8 (print)：把回复作为文本打印出来（按 UTF-8 解码字节）。
    todo(8, "print")

# TODO 9 (close)：关闭套接字。
todo(9, "close")
