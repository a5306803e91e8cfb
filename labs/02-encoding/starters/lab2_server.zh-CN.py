"""实验 2：自己写一个服务器，按 UTF-8 或 GBK 解码，把文本随收随打印。

任务：每个完整的字符一到就打印出来，每次 recv() 打印一行，按给定的
编码（utf-8 或 gbk）解码。按顺序把每个 `todo(...)` 换成它所描述的代码，
每完成一个就检查一次你的代码：

    lab check 2 server -- python3 lab2_server.py {port} {encoding}

检查程序会运行你的服务器两次，一次用 utf-8，一次用 gbk（即第二个参数，
也放在 LAB_ENCODING 中）。`lab 2 guide` 讲解了协议（“动手：自己写一个”一节）。
"""
import codecs
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

# TODO 1 (socket)：创建一个 TCP 套接字：IPv4（AF_INET），字节流（SOCK_STREAM）。
server = todo(1, "socket")
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

# TODO 2 (bind)：把它绑定到地址 ("127.0.0.1", PORT)。
todo(2, "bind")

# TODO 3 (listen)：把它变成监听套接字，监听队列（backlog）为 5。
todo(3, "listen")
print(f"listening on 127.0.0.1:{PORT}, decoding {ENCODING}")

while True:
    # TODO 4 (accept)：等待下一个客户端连接。
    conn, addr = todo(4, "accept")

    # TODO 5 (decoder)：为这个客户端创建一个解码器：被 recv() 切成两半的字符，
    #        它会保留已收到的字节，等其余部分到达；无效字节变成 U+FFFD 而不是
    #        抛出异常：用 errors="replace" 调用 codecs.getincrementaldecoder(ENCODING)
    #        得到的解码器类。（只用 data.decode() 这两点都做不到。）
    decoder = todo(5, "decoder")
    try:
        while True:
            # TODO 6 (recv)：最多接收 1024 字节。
            data = todo(6, "recv")

            # TODO 7 (closed)：recv() 返回 b""（0 字节）：客户端已关闭连接。退出循环。
            todo(7, "closed")

            # TODO 8 (print)：打印到目前为止已完整的字符，每次 recv() 打印一行：
            #        即 decoder.decode(data) 的返回值（可能暂时什么也没有）。
            todo(8, "print")
    except ConnectionResetError:
        pass  # 客户端突然消失：继续处理下一个
    conn.close()
