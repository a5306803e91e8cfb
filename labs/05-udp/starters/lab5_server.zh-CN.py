"""实验 5：自己写一个 UDP 服务器（经典服务器，端口 12000）。

按顺序把每个 `todo(...)` 换成它所描述的套接字调用，每完成一个就检查一次
你的代码：

    lab check 5 server -- python3 lab5_server.py {port}

检查程序会把服务器要用的端口作为第一个参数传给它（也放在环境变量
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

# TODO 1 (socket)：创建一个 UDP 套接字：IPv4（AF_INET），数据报（SOCK_DGRAM）。
server = todo(1, "socket")

# TODO 2 (bind)：把它绑定到地址 ("127.0.0.1", PORT)。不需要 listen()，也不需要 accept()。
todo(2, "bind")
print(f"listening on 127.0.0.1:{PORT}/udp")

while True:
    try:
        # TODO 3 (recvfrom)：接收一个数据报以及它的来源地址。缓冲区要
        #        65535 字节：缓冲区小了，较长的数据报会被截断。
        data, addr = todo(3, "recvfrom")
    except ConnectionResetError:  # Windows：之前的某个回复没有送达任何人；继续
        continue
    print(f"{addr[0]}:{addr[1]}: {len(data)} bytes")
    # 空数据报（b""）也是一个普通的数据报：同样要回复。

    # TODO 4 (sendto)：向 addr 回复一个数据报，它以收到的整个数据报结尾：
    #        b"heard you: " + data
    todo(4, "sendto")
