"""实验 4：自己写一个全双工客户端。

按顺序把每个 `todo(...)` 换成它所描述的代码，每完成一个就检查一次
你的代码：

    lab check 4 client -- python3 lab4_client.py {port}

检查程序把服务器的端口作为第一个参数传给你的客户端（也放在
LAB_PORT 中）。`lab 4 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import sys
import threading


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    os._exit(1)  # 在任何线程中调用都会结束整个程序


# 端口：取第一个参数，否则取 LAB_PORT，再否则用经典的 12000。
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "12000"))
leaving = threading.Event()  # 我们发出 exit 后置位：此后服务器关闭连接是预料之中的


def reader(sock):
    """读线程：服务器发来什么，一到就打印出来。"""
    while True:
        try:
            # TODO 3 (recv)：最多接收 1024 字节。
            data = todo(3, "recv")
        except OSError:
            data = b""
        if not data:
            if leaving.is_set():
                return
            # TODO 4 (gone)：服务器已离开。打印一句话说明这一点，然后用
            #        os._exit(1) 结束整个程序（主线程卡在 input() 中，
            #        察觉不到）。
            todo(4, "gone")
        print(data.decode("utf-8", "replace"), end="", flush=True)


try:
    # TODO 1 (connect)：连接到 ("127.0.0.1", PORT)：socket.create_connection(...)
    sock = todo(1, "connect")
except OSError as err:
    print(f"could not connect to 127.0.0.1:{PORT}: {err}")
    sys.exit(1)

# TODO 2 (thread)：在等待输入之前，先在一个守护线程中启动 reader(sock)：
#        服务器先说话。
receiving = todo(2, "thread")

while True:
    try:
        line = input()
    except EOFError:
        line = "exit"
    if line.strip() == "exit":
        leaving.set()
        # TODO 6 (exit)：发送 b"exit\n" 并退出循环。
        todo(6, "exit")
    # TODO 5 (send)：把这一行加上一个 "\n"，编码为 UTF-8 后发送。
    todo(5, "send")

sock.shutdown(socket.SHUT_WR)  # 我们不再发送；goodbye 可能还会到达
receiving.join(timeout=3)
sock.close()
