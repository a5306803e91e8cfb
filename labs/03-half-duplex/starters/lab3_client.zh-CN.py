"""实验 3：自己写一个半双工聊天客户端。

你先说话；每一行以 NAME:line 的形式发出；然后等待服务器的回复。
`q` 结束对话（发送不带名字的 q）；服务器发来 `q` 也会结束对话。
按顺序把每个 `todo(...)` 换成它所描述的代码，然后检查：

    lab check 3 client -- python3 lab3_client.py {port} amy

检查程序扮演服务器，并把你要说的行键入你的客户端的输入。
`lab 3 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import sys


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# 端口和你的名字：取命令行参数，否则取 LAB_PORT 和 "guest"。
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "9000"))
NAME = sys.argv[2] if len(sys.argv) > 2 else "guest"  # 1 到 16 个字符，不含空格

# TODO 1 (connect)：创建一个 TCP 套接字，并连接到 ("127.0.0.1", PORT)。如果
#        没有程序在监听，打印提示并以 sys.exit(1) 结束。
client = todo(1, "connect")

while True:
    try:
        line = input(">>> ")  # 轮到我们
    except EOFError:
        line = "q"
    if not line:
        continue  # 0 字节永远不会到达对端

    # TODO 2 (q)：这一行是 q（或 Q）：发送不带名字的 q，然后退出循环。
    todo(2, "q")

    # TODO 3 (send)：把 NAME:line 编码成 UTF-8 字节发送。
    todo(3, "send")

    # TODO 4 (recv)：轮到服务器：接收它的回复，最多 1024 字节。
    data = todo(4, "recv")

    # TODO 5 (gone)：recv() 返回 b""（0 字节）：服务器已离开。打印提示，结束。
    todo(5, "gone")

    # TODO 6 (server q)：回复是 q：服务器结束了对话。结束。
    todo(6, "server q")

    # TODO 7 (show)：把回复作为文本打印（按 UTF-8 解码）。
    todo(7, "show")

client.close()
