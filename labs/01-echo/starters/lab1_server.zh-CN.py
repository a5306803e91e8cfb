"""实验 1：自己写一个回显服务器（经典的 ctime 服务器，端口 6666）。

按顺序把每个 `todo(...)` 换成它所描述的套接字调用，每完成一个就检查一次
你的代码：

    lab check 1 server -- python3 lab1_server.py {port}

检查程序会把服务器要用的端口作为第一个参数传给它（也放在环境变量
LAB_PORT 中）。`lab 1 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import sys
import time


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# 端口：取第一个参数，否则取 LAB_PORT，再否则用经典的 6666。
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "6666"))

# TODO 1 (socket)：创建一个 TCP 套接字：IPv4（AF_INET），字节流（SOCK_STREAM）。
server = todo(1, "socket")
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # 重启后可以立即重新绑定

# TODO 2 (bind)：把它绑定到地址 ("127.0.0.1", PORT)。
todo(2, "bind")

# TODO 3 (listen)：把它变成监听套接字，监听队列（backlog）为 5。
todo(3, "listen")
print(f"listening on 127.0.0.1:{PORT}")

while True:  # 一个客户端接一个客户端，永不停止
    # TODO 4 (accept)：等待客户端连接；accept() 返回一个新套接字和对方地址。
    conn, addr = todo(4, "accept")
    print("connected:", addr)
    try:
        while True:
            # TODO 5 (recv)：从客户端最多接收 1024 字节。
            data = todo(5, "recv")

            # TODO 6 (closed)：recv() 返回 b""（0 字节）：客户端已关闭连接。退出循环。
            todo(6, "closed")

            # TODO 7 (exit)：客户端发来 exit：退出循环，不回复。
            #        （data 是字节串：要和 b"exit" 比较，而不是 "exit"。）
            todo(7, "exit")

            # TODO 8 (send)：回复 time.ctime()、一个空格和收到的字节，
            #        全部以字节发送（text.encode("utf-8") 把文本变成字节）。
            todo(8, "send")
    except ConnectionResetError:
        # TODO 9 (reset)：客户端突然消失（Windows 上是 WinError 10054）。打印提示；
        #        服务器继续处理下一个客户端。
        todo(9, "reset")
    # TODO 10 (close)：关闭这个客户端的套接字（监听套接字保持打开）。
    todo(10, "close")
