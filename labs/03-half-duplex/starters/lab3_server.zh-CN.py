"""实验 3：自己写一个半双工聊天服务器（经典的聊天程序，端口 9000）。

客户端先说话；你（操作员）键入每一句回复；任何一方发出 `q` 都会结束
这次对话，然后服务器等待下一个客户端。按顺序把每个 `todo(...)` 换成
它所描述的代码，然后检查你的代码：

    lab check 3 server -- python3 lab3_server.py {port}

检查程序以客户端身份连接，并把操作员的回复键入你的服务器的输入。
`lab 3 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import sys


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# 端口：取第一个参数，否则取 LAB_PORT，再否则用经典的 9000。
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "9000"))

# TODO 1 (listen)：创建一个 TCP 套接字，绑定到 ("127.0.0.1", PORT) 并监听。
server = todo(1, "listen")
print(f"listening on 127.0.0.1:{PORT}")

while True:  # 一个客户端接一个客户端
    # TODO 2 (accept)：等待下一个客户端连接。
    conn, addr = todo(2, "accept")
    print("connected:", addr, "- the client speaks first")
    try:
        while True:
            # TODO 3 (recv)：轮到客户端：最多接收 1024 字节。
            data = todo(3, "recv")

            # TODO 4 (closed)：recv() 返回 b""（0 字节）：客户端已离开。退出
            #        循环（不要再索要一句没人会读的回复）。
            todo(4, "closed")

            text = data.decode("utf-8", errors="replace")

            # TODO 5 (client q)：客户端发来 q（或 Q）：退出循环。（data 是
            #        字节串：要拿解码后的文本、而不是 data 去和 "q" 比较。）
            todo(5, "client q")

            # TODO 6 (show)：打印这条消息。第一行 `amy:hello` 标明了这个
            #        连接是谁：显示为 `amy: hello`。
            todo(6, "show")

            reply = input(">>> ")  # 轮到我们：操作员键入回复

            # TODO 7 (send)：把回复编码成 UTF-8 字节发送（不是直接发送 str）。
            todo(7, "send")

            # TODO 8 (server q)：操作员键入了 q：发送之后退出循环。
            todo(8, "server q")
    except (ConnectionResetError, BrokenPipeError):
        print(addr, "vanished")
    conn.close()  # 然后 accept() 下一个客户端
