"""实验 2：自己写一个客户端，把文本编码成 UTF-8 或 GBK 字节发送。

任务：把键入的每一行按给定的编码（utf-8 或 gbk）编码成字节发送，
不等待回复（实验 2 的服务器不回复任何内容）；输入结束时关闭连接。
按顺序替换每个 `todo(...)`，然后检查你的代码：

    lab check 2 client -- python3 lab2_client.py {port} {encoding}

检查程序会运行你的客户端两次，一次用 utf-8，一次用 gbk（即第二个参数，
也放在 LAB_ENCODING 中）。`lab 2 guide` 讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import sys


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# 端口和编码：取命令行参数，否则取 LAB_PORT 和 LAB_ENCODING。
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12345"))
ENCODING = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_ENCODING", "utf-8")

# TODO 1 (connect)：创建一个 TCP 套接字，并连接到 ("127.0.0.1", PORT)。如果
#        没有程序在监听，打印提示并以 sys.exit(1) 结束。
client = todo(1, "connect")

while True:
    try:
        line = input("> ")
    except EOFError:
        # TODO 2 (end)：输入已结束（Ctrl-D，或者管道输入的文件已读完）：退出
        #        循环，这样下面就会关闭套接字。
        todo(2, "end")
    if not line:
        continue  # 0 字节什么也不会发出

    # TODO 3 (send)：把这一行按 ENCODING 编码成字节发送（尹哲的 UTF-8 编码是
    #        e5 b0 b9 e5 93 b2，GBK 编码是 d2 fc d5 dc）。不要等待回复：不会有回复。
    todo(3, "send")

# TODO 4 (close)：关闭套接字：服务器的 recv() 会返回 0 字节。
todo(4, "close")
