"""实验 5：自己写一个 UDP 客户端。

按顺序把每个 `todo(...)` 换成它所描述的代码，每完成一个就检查一次
你的代码：

    lab check 5 client -- python3 lab5_client.py {port}

检查程序把服务器的端口作为第一个参数传给你的客户端（也放在
LAB_PORT 中）。`lab 5 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import sys


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# 端口：取第一个参数，否则取 LAB_PORT，再否则用经典的 12000。
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))
SERVER = ("127.0.0.1", PORT)

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

# TODO 1 (timeout)：UDP 从不告诉你对方不在：让 recvfrom() 在 3 秒后
#        放弃等待：sock.settimeout(3)
todo(1, "timeout")

while True:
    try:
        line = input()
    except EOFError:
        break
    # TODO 2 (sendto)：把这一行编码为 UTF-8，发送给 SERVER。
    todo(2, "sendto")
    while True:
        try:
            # TODO 3 (recvfrom)：接收一个数据报（65535 字节）以及它的来源地址。
            data, addr = todo(3, "recvfrom")
        except socket.timeout:
            # TODO 4 (no-reply)：打印一行，内容为 "no reply within 3 s"，然后
            #        退出这个内层循环（接着会键入下一行）。
            todo(4, "no-reply")
        except ConnectionResetError:  # Windows：之前某次发送引起的“port unreachable”
            continue
        if addr != SERVER:
            # TODO 5 (stranger)：不是服务器发来的：打印这个数据报及其来源地址，
            #        然后 `continue`，继续等待真正的回复。
            todo(5, "stranger")
        # TODO 6 (reply)：把回复作为文本打印（先解码），然后退出循环。
        todo(6, "reply")
