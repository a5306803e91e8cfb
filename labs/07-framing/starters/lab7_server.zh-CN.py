"""实验 7：自己写一个分帧消息的回显服务器。

客户端发来的每条消息都按同样的分帧方式原样发回，不管 recv() 怎样切分
字节流：用一个缓冲区，加上一个取出每条完整消息的循环。
  line    每条消息以 b"\n" 结尾
  length  4 字节大端序长度前缀，给出其后消息的长度
超过 MAX_MESSAGE 的消息在保存之前就被拒绝：回复一个错误，然后 close()。
按顺序把每个 `todo(...)` 换成它所描述的代码，然后检查：

    lab check 7 server -- python3 lab7_server.py {port} {framing}

检查会运行两次，{framing} 先是 line，再是 length。
`lab 7 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
"""
import os
import socket
import struct
import sys

MAX_MESSAGE = 1048576  # 1 MiB：接受的最长消息


def todo(number, step):
    """尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。"""
    print(f"TODO {number} ({step}): not written yet", flush=True)
    sys.exit(1)


# 端口和分帧方式：取命令行参数，否则取 LAB_PORT 和 LAB_FRAMING。
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("LAB_PORT", "7777"))
FRAMING = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LAB_FRAMING", "line")


def frame(message):
    """一条消息在线路上的样子。"""
    # TODO 2 (frame)：length：struct.pack(">I", len(message)) + message；
    #        line：message + b"\n"。
    return todo(2, "frame")


def take_messages(buf):
    """buf 开头的每一条完整消息，以及留待以后处理的剩余字节。
    消息超过 MAX_MESSAGE 时，在保存它之前抛出 ValueError。"""
    messages = []
    while True:
        if FRAMING == "length":
            # TODO 3 (length)：不足 4 字节：break。否则 n = 长度前缀
            #        （struct.unpack(">I", buf[:4])[0]）；n > MAX_MESSAGE：抛出
            #        ValueError。不足 4 + n 字节：break（等待更多数据）。否则
            #        追加 buf[4:4 + n]，并保留 buf[4 + n:]。
            todo(3, "length")
        else:
            # TODO 4 (line)：buf 中没有 b"\n"：如果 len(buf) > MAX_MESSAGE 就抛出
            #        ValueError，否则 break。否则追加第一个 b"\n" 之前的字节，
            #        并保留它之后的字节（buf.partition(b"\n")）。
            todo(4, "line")
    return messages, buf


def serve(conn):
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:  # 0 字节：客户端已关闭连接
            return
        buf += data
        try:
            messages, buf = take_messages(buf)
        except ValueError as err:
            # TODO 5 (refuse)：发送一行错误（f"error: {err}\n"），然后 return：
            #        由调用者关闭连接。
            todo(5, "refuse")
        # TODO 6 (echo)：把每条消息发回去：conn.sendall(frame(message))。
        todo(6, "echo")


# TODO 1 (listen)：一个设置了 SO_REUSEADDR 的 TCP 套接字，绑定到 ("127.0.0.1", PORT)，
#        并开始监听。
server = todo(1, "listen")
print(f"listening on 127.0.0.1:{PORT}, framing {FRAMING}")
while True:
    conn, addr = server.accept()
    try:
        serve(conn)
    except OSError as err:
        print(addr, err)
    conn.close()
