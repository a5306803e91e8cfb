"""实验 6：自己写一个全双工聊天客户端。

你键入的第一行是你的昵称；键入的每一行都连同它的 \n 一起发送。一个
接收线程把服务器发来的内容一到就打印出来，即使你一行才键入到一半也是如此。
服务器发来的控制字符（ESC、BEL、C1）以转义形式显示，绝不原样打印。
Ctrl-D 关闭连接并结束程序。
按顺序把每个 `todo(...)` 换成它所描述的代码，然后检查：

    lab check 6 client -- python3 lab6_client.py {port}

`lab 6 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import sys
import threading


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    os._exit(1)  # 在接收线程中调用也有效


PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "5555"))


def safe(text):
    """控制字符以转义形式显示（\\x1b），其他字符原样显示。"""
    # TODO 5 (escape)："".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return todo(5, "escape")


def receive(sock):
    buf = b""
    while True:
        data = sock.recv(4096)
        if not data:
            print("the server closed the connection", flush=True)
            os._exit(0)
        buf += data
        # TODO 4 (lines)：只要 b"\n" in buf：切下第一行，打印
        #        safe(line.decode("utf-8", errors="replace"))，并 flush=True。
        todo(4, "lines")


# TODO 1 (connect)：socket.create_connection(("127.0.0.1", PORT))。
sock = todo(1, "connect")
# TODO 2 (thread)：在一个守护线程中启动 receive(sock)：按下 Ctrl-D 之后，
#        它不能让程序继续运行。
todo(2, "thread")
for line in sys.stdin:
    # TODO 3 (send)：sock.sendall((去掉 "\n" 的这一行 + "\n").encode())：
    #        文本和它的 \n 在一次发送中发出。
    todo(3, "send")
# TODO 6 (close)：输入结束：sock.close()；然后程序结束。
todo(6, "close")
