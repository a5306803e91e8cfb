"""实验 4：自己写一个每个客户端一个线程的服务器（经典服务器，端口 12000）。

按顺序把每个 `todo(...)` 换成它所描述的代码，每完成一个就检查一次
你的代码：

    lab check 4 server -- python3 lab4_server.py {port}

检查程序会把服务器要用的端口作为第一个参数传给它（也放在环境变量
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


def serve(conn, addr):
    """一个客户端的整段对话。它在自己的线程中运行，所以可以在 recv() 中
    想等多久就等多久：其他客户端也各有自己的线程。"""
    me = f"{addr[0]}:{addr[1]}"  # 客户端的地址，回复中用它称呼客户端
    try:
        # TODO 4 (welcome)：发送一行 f"welcome, {me}\n"，编码为 UTF-8。
        todo(4, "welcome")
        while True:
            # TODO 5 (recv)：从这个客户端最多接收 1024 字节。
            data = todo(5, "recv")

            # TODO 6 (closed)：recv() 返回 b""：客户端已关闭连接。return。
            todo(6, "closed")

            for line in data.decode("utf-8", "replace").splitlines():
                line = line.strip()
                if not line:
                    continue
                # TODO 7 (exit)：这一行是 "exit"：发送 f"goodbye, {me}\n" 并 return。
                todo(7, "exit")

                # TODO 8 (reply)：发送一行，点出客户端地址并重复这一行：
                #        f"reply to {me}: {line}\n"，编码为 UTF-8。
                todo(8, "reply")
    except OSError as err:
        # TODO 9 (vanished)：ConnectionResetError、BrokenPipeError……：客户端
        #        突然消失了。打印提示；只结束这一段对话。
        todo(9, "vanished")
    finally:
        conn.close()


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # 重启后可以立即重新绑定

# TODO 1 (bind)：把套接字绑定到地址 ("127.0.0.1", PORT)。
todo(1, "bind")

# TODO 2 (listen)：监听套接字，监听队列长度为 64（一个班的学生会同时连接）。
todo(2, "listen")
print(f"listening on 127.0.0.1:{PORT}")

while True:
    conn, addr = server.accept()
    print("connected:", addr)
    # TODO 3 (thread)：在一个单独的线程中启动 serve(conn, addr)：
    #        threading.Thread(target=serve, args=(conn, addr), daemon=True).start()
    #        （主线程只负责 accept；在这里直接调用 serve() 会让其他人都得等着）。
    todo(3, "thread")
