//! Socket errors as a lesson, not noise: each error a student meets, said in words,
//! with what to do about it. Every lab sends its errors through here, so the same
//! mistake always gets the same sentence, in English or Chinese (`crate::lang`).
//!
//! Where an error has a different name on Windows (WinError 10048 for "address in
//! use", 10061 for "refused", 10054 for "reset"), the sentence names both. The errno
//! names stay as they are in the Chinese sentences: they are what a search finds.

use std::fmt::Display;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::Duration;

use crate::lang::{pick, tr};
use crate::term::safe_str;

/// `bind()` failed. The usual reasons: another server has the port, or the port is
/// below 1024 and reserved for the administrator.
pub fn bind_failed(err: io::Error, addr: SocketAddr, protocol: impl Display) -> anyhow::Error {
    let (ip, port) = (addr.ip(), addr.port());
    let sentence = match err.kind() {
        ErrorKind::AddrInUse => tr!(
            "port {port} ({protocol}) is already in use on {ip}: another server is listening \
             there (perhaps the same lab, still running in another terminal). Stop that \
             server with Ctrl-C, or start this one on a free port with `--port 0` \
             [EADDRINUSE; WinError 10048 on Windows]",
            "端口 {port}（{protocol}）在 {ip} 上已被占用：已有另一个服务器在那里监听（也许\
             就是同一个实验，还在另一个终端里运行）。用 Ctrl-C 停掉那个服务器，或者用 \
             `--port 0` 让这个服务器在一个空闲端口上启动 \
             [EADDRINUSE；Windows 上为 WinError 10048]"
        ),
        ErrorKind::PermissionDenied if port < 1024 => tr!(
            "port {port} is below 1024, and only the administrator (root) may listen on those. \
             Use a port from 1024 up, such as the lab's default, or `--port 0` for any free \
             port [EACCES; WinError 10013 on Windows]",
            "端口 {port} 小于 1024，只有管理员（root）才能在这些端口上监听。请使用 1024 \
             及以上的端口，比如本实验的默认端口，或者用 `--port 0` 使用任意空闲端口 \
             [EACCES；Windows 上为 WinError 10013]"
        ),
        ErrorKind::AddrNotAvailable => tr!(
            "{ip} is not an address of this machine, so nothing can listen on it. Use \
             127.0.0.1 (this machine only) or 0.0.0.0 (every network interface) \
             [EADDRNOTAVAIL; WinError 10049 on Windows]",
            "{ip} 不是本机的地址，所以无法在它上面监听。请使用 127.0.0.1（仅本机）或 \
             0.0.0.0（所有网络接口） [EADDRNOTAVAIL；Windows 上为 WinError 10049]"
        ),
        _ => tr!(
            "could not bind {addr} ({protocol}): {}",
            "无法绑定 {addr}（{protocol}）：{}",
            describe(&err)
        ),
    };
    anyhow::anyhow!(sentence)
}

/// `connect()` failed. Nearly always: the server is not running yet (`lab LAB server`).
pub fn connect_failed(err: io::Error, addr: SocketAddr, lab: u8) -> anyhow::Error {
    let port = addr.port();
    let sentence = match err.kind() {
        ErrorKind::ConnectionRefused => tr!(
            "nothing is listening on {addr}, so the connection was refused \
             [ECONNREFUSED; WinError 10061 on Windows]. Start the server first, \
             `lab {lab} server` in another terminal, then run this client again \
             (same --host and --port on both sides)",
            "{addr} 上没有程序在监听，所以连接被拒绝 \
             [ECONNREFUSED；Windows 上为 WinError 10061]。请先在另一个终端里启动服务器 \
             `lab {lab} server`，然后再运行这个客户端（两边的 --host 和 --port 要相同）"
        ),
        ErrorKind::TimedOut => tr!(
            "{addr} did not answer in time [ETIMEDOUT; WinError 10060 on Windows]: \
             check the address, and that no firewall blocks port {port}",
            "{addr} 没有及时应答 [ETIMEDOUT；Windows 上为 WinError 10060]：请检查地址，\
             并确认没有防火墙拦截端口 {port}"
        ),
        _ => tr!(
            "could not connect to {addr}: {}",
            "无法连接到 {addr}：{}",
            describe(&err)
        ),
    };
    anyhow::anyhow!(sentence)
}

/// The host name did not resolve (getaddrinfo found nothing). The name is what the
/// student typed, so it is shown escaped like a peer's bytes: `--host $'\e[2J'` must
/// not clear the screen.
pub fn resolve_failed(host: &str, err: Option<io::Error>) -> anyhow::Error {
    let host = safe_str(host);
    let why = err.map(|e| tr!(" ({e})", "（{e}）")).unwrap_or_default();
    anyhow::anyhow!(tr!(
        "could not find the host `{host}`{why}: check the spelling, or give an IP address \
         such as 127.0.0.1 (IPv4) or ::1 (IPv6)",
        "找不到主机 `{host}`{why}：请检查拼写，或者直接给出 IP 地址，比如 127.0.0.1（IPv4）\
         或 ::1（IPv6）"
    ))
}

/// A send() that gave up after the socket's write timeout (`--send-timeout`): the
/// server stopped reading, so its receive buffer and our send buffer filled up and
/// send() had nowhere to put the bytes. Without the timeout send() would wait for
/// ever. `None` if `err` is not such a timeout.
pub fn send_stalled(
    err: &io::Error,
    server: SocketAddr,
    waited: Duration,
) -> Option<anyhow::Error> {
    if !matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
        return None;
    }
    let secs = waited.as_secs_f64();
    Some(anyhow::anyhow!(tr!(
        "the server at {server} stopped reading: for {secs} s send() could not hand over \
         a single byte, because the server's receive buffer and this client's send buffer \
         are full. Without a limit send() would wait for ever; this client gives up after \
         --send-timeout {secs} s. Is the server stuck, paused, or busy with another client? \
         [EAGAIN on a send timeout; WinError 10060 on Windows]",
        "{server} 上的服务器不再读取数据：{secs} 秒内 send() 连一个字节也交不出去，因为\
         服务器的接收缓冲区和这个客户端的发送缓冲区都满了。不设上限的话 send() 会一直\
         等下去；这个客户端等到 --send-timeout {secs} 秒就放弃。服务器是卡住了、被暂停了，\
         还是正忙着处理另一个客户端？ [发送超时为 EAGAIN；Windows 上为 WinError 10060]"
    )))
}

/// The server closed the connection (recv() returned 0 bytes) while this client still
/// expected to hear from it: it was stopped or restarted. Every lab's client says it
/// with this one sentence; `lab` is the lab's number, for the server to start again.
pub fn server_went_away(server: SocketAddr, lab: u8) -> String {
    tr!(
        "the server at {server} closed the connection (recv() returned 0 bytes): it was \
         stopped or restarted. Start `lab {lab} server` again, then this client",
        "{server} 上的服务器关闭了连接（recv() 返回 0 字节）：它被停止或重启了。请重新\
         启动 `lab {lab} server`，然后再运行这个客户端"
    )
}

/// The connection to the server broke (reset, or a send() with no one to receive it)
/// while the client was `doing` something, in the student's language (`pick("sending",
/// "发送时")`): the error in words, then the same advice as [`server_went_away`].
pub fn server_connection_broke(
    server: SocketAddr,
    doing: &str,
    err: &io::Error,
    lab: u8,
) -> String {
    tr!(
        "the connection to {server} broke while {doing}: {}. If the server was stopped, \
         start `lab {lab} server` again, then this client",
        "与 {server} 的连接在{doing}断开了：{}。如果服务器已被停止，请重新启动 \
         `lab {lab} server`，然后再运行这个客户端",
        describe(err)
    )
}

/// What ran out when `accept()` fails for want of resources. The connection waits in
/// the listen queue meanwhile, so accept() fails again at once until the cause is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shortage {
    /// EMFILE: this process holds as many descriptors as `ulimit -n` allows.
    ProcessDescriptors,
    /// ENFILE: the whole system has run out of descriptors. (Winsock has no such
    /// error: Windows never reports it.)
    #[cfg_attr(windows, allow(dead_code))]
    SystemDescriptors,
    /// ENOBUFS / ENOMEM: no memory for another socket.
    Memory,
}

fn shortage(err: &io::Error) -> Option<Shortage> {
    if err.kind() == ErrorKind::OutOfMemory {
        return Some(Shortage::Memory);
    }
    let code = err.raw_os_error()?;
    #[cfg(unix)]
    let found = match code {
        libc::EMFILE => Some(Shortage::ProcessDescriptors),
        libc::ENFILE => Some(Shortage::SystemDescriptors),
        libc::ENOBUFS | libc::ENOMEM => Some(Shortage::Memory),
        _ => None,
    };
    // Winsock's numbers: WSAEMFILE and WSAENOBUFS.
    #[cfg(windows)]
    let found = match code {
        10024 => Some(Shortage::ProcessDescriptors),
        10055 => Some(Shortage::Memory),
        _ => None,
    };
    #[cfg(not(any(unix, windows)))]
    let found = {
        let _ = code;
        None
    };
    found
}

/// `accept()` failed: what happened and what to do, as one sentence the server says
/// once (not once per retry; see `net::AcceptFailures`).
pub fn accept_failed(err: &io::Error) -> String {
    let what = match shortage(err) {
        Some(Shortage::ProcessDescriptors) => pick(
            "this server holds all the file descriptors it may (every connection is \
             one, and `ulimit -n` caps them) [EMFILE, too many open files; WinError \
             10024 on Windows]. Close some connections (end idle clients), or stop the \
             server and start it again after `ulimit -n 4096` in its terminal",
            "这个服务器持有的文件描述符已经达到上限（每个连接占一个，`ulimit -n` 限制它们\
             的数量） [EMFILE，打开的文件过多；Windows 上为 WinError 10024]。请关闭一些\
             连接（结束空闲的客户端），或者停掉服务器，在它的终端里执行 `ulimit -n 4096` \
             之后再启动",
        ),
        Some(Shortage::SystemDescriptors) => pick(
            "the whole system has run out of file descriptors [ENFILE, too many open \
             files in system]. Close connections and programs you do not need, or ask the \
             administrator to raise the system's limit",
            "整个系统的文件描述符都用完了 [ENFILE，系统中打开的文件过多]。请关闭不需要的\
             连接和程序，或者请管理员调高系统的上限",
        ),
        Some(Shortage::Memory) => pick(
            "the system has no memory left for another socket [ENOBUFS / ENOMEM; WinError \
             10055 on Windows]. Close connections and programs you do not need",
            "系统已经没有内存再创建一个套接字了 [ENOBUFS / ENOMEM；Windows 上为 WinError \
             10055]。请关闭不需要的连接和程序",
        ),
        None => {
            return tr!(
                "accept() failed: {}. The server tries again in a moment",
                "accept() 失败：{}。服务器稍后会再试",
                describe(err)
            )
        }
    };
    tr!(
        "accept() failed: {what}. New clients wait in the listen queue meanwhile; the \
         server tries again a few times a second and says when it serves again",
        "accept() 失败：{what}。在此期间，新的客户端在监听队列里等待；服务器每秒重试几次，\
         恢复服务时会告诉你"
    )
}

/// Any other socket error, in words. Used by `main` for whatever a lab did not
/// handle itself, so no bare `os error 104` ever reaches a student.
pub fn describe(err: &io::Error) -> String {
    let what = match err.kind() {
        ErrorKind::ConnectionReset => pick(
            "the other side reset the connection: it closed abruptly, without the normal \
             goodbye [ECONNRESET; WinError 10054 on Windows]",
            "对端重置了连接：它突然关闭了连接，没有经过正常的告别 \
             [ECONNRESET；Windows 上为 WinError 10054]",
        ),
        ErrorKind::ConnectionAborted => pick(
            "the connection was aborted by this machine [ECONNABORTED; WinError 10053 on Windows]",
            "连接被本机中止了 [ECONNABORTED；Windows 上为 WinError 10053]",
        ),
        ErrorKind::BrokenPipe => pick(
            "the other side has already closed the connection, so there is no one to send to \
             [EPIPE; WinError 10058 on Windows]",
            "对端已经关闭了连接，发送的数据没有人接收 [EPIPE；Windows 上为 WinError 10058]",
        ),
        ErrorKind::NotConnected => pick(
            "the socket is not connected [ENOTCONN; WinError 10057 on Windows]",
            "套接字没有连接 [ENOTCONN；Windows 上为 WinError 10057]",
        ),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => pick(
            "no answer arrived in time [ETIMEDOUT / EAGAIN; WinError 10060 on Windows]",
            "没有及时收到应答 [ETIMEDOUT / EAGAIN；Windows 上为 WinError 10060]",
        ),
        ErrorKind::ConnectionRefused => pick(
            "the connection was refused: nothing is listening there \
             [ECONNREFUSED; WinError 10061 on Windows]",
            "连接被拒绝：那里没有程序在监听 [ECONNREFUSED；Windows 上为 WinError 10061]",
        ),
        ErrorKind::AddrInUse => pick(
            "the address is already in use [EADDRINUSE; WinError 10048]",
            "地址已被占用 [EADDRINUSE；WinError 10048]",
        ),
        ErrorKind::PermissionDenied => pick(
            "permission denied [EACCES; WinError 10013 on Windows]",
            "权限不足 [EACCES；Windows 上为 WinError 10013]",
        ),
        ErrorKind::UnexpectedEof => pick(
            "the other side closed the connection in the middle of a message",
            "对端在一条消息的中途关闭了连接",
        ),
        ErrorKind::HostUnreachable => pick(
            "no route to that host [EHOSTUNREACH; WinError 10065]",
            "没有通往该主机的路由 [EHOSTUNREACH；WinError 10065]",
        ),
        ErrorKind::NetworkUnreachable => pick(
            "that network is unreachable [ENETUNREACH; WinError 10051]",
            "该网络不可达 [ENETUNREACH；WinError 10051]",
        ),
        _ => "",
    };
    // The OS's own wording stays in brackets for the instructor; the sentence comes first.
    match (what.is_empty(), err.raw_os_error()) {
        (true, _) => format!("{err}"),
        (false, Some(code)) => tr!("{what} (os error {code})", "{what}（os error {code}）"),
        (false, None) => what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test addresses are valid")
    }

    #[test]
    fn port_in_use_names_the_port_and_both_fixes() {
        let err = io::Error::from(ErrorKind::AddrInUse);
        let text = bind_failed(err, addr("127.0.0.1:6666"), "tcp").to_string();
        assert!(text.contains("port 6666"), "{text}");
        assert!(text.contains("--port 0"), "{text}");
        assert!(text.contains("Ctrl-C"), "{text}");
    }

    #[test]
    fn permission_denied_below_1024_explains_privileged_ports() {
        let err = io::Error::from(ErrorKind::PermissionDenied);
        let text = bind_failed(err, addr("127.0.0.1:80"), "tcp").to_string();
        assert!(text.contains("below 1024"), "{text}");
    }

    #[test]
    fn refused_names_the_address_and_the_server_to_start() {
        let err = io::Error::from(ErrorKind::ConnectionRefused);
        let text = connect_failed(err, addr("127.0.0.1:6666"), 1).to_string();
        assert!(text.contains("127.0.0.1:6666"), "{text}");
        assert!(text.contains("`lab 1 server`"), "{text}");
    }

    #[test]
    fn a_send_timeout_says_the_server_stopped_reading_and_names_the_option() {
        let waited = Duration::from_millis(1500);
        let err = io::Error::from(ErrorKind::WouldBlock);
        let text = send_stalled(&err, addr("127.0.0.1:7777"), waited)
            .expect("a timeout")
            .to_string();
        assert!(text.contains("127.0.0.1:7777 stopped reading"), "{text}");
        assert!(text.contains("--send-timeout 1.5 s"), "{text}");
        let reset = io::Error::from(ErrorKind::ConnectionReset);
        assert!(send_stalled(&reset, addr("127.0.0.1:7777"), waited).is_none());
    }

    #[test]
    fn a_typed_host_is_shown_escaped() {
        let text = resolve_failed("\x1b[2Jevil", None).to_string();
        assert!(text.contains("`\\e[2Jevil`"), "{text}");
        assert!(!text.contains('\x1b'), "{text}");
    }

    #[test]
    fn a_server_that_went_away_is_one_sentence_naming_the_lab_to_start() {
        let text = server_went_away(addr("127.0.0.1:9000"), 3);
        assert!(
            text.contains("127.0.0.1:9000 closed the connection"),
            "{text}"
        );
        assert!(text.contains("Start `lab 3 server` again"), "{text}");
        let err = io::Error::from(ErrorKind::ConnectionReset);
        let text = server_connection_broke(addr("127.0.0.1:9000"), "sending", &err, 3);
        assert!(
            text.contains("broke while sending: the other side reset"),
            "{text}"
        );
        assert!(text.contains("`lab 3 server`"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn out_of_file_descriptors_says_what_to_do() {
        let text = accept_failed(&io::Error::from_raw_os_error(libc::EMFILE));
        assert!(text.starts_with("accept() failed: "), "{text}");
        assert!(text.contains("ulimit -n"), "{text}");
        assert!(text.contains("Close some connections"), "{text}");
        assert!(text.contains("EMFILE"), "{text}");
        let text = accept_failed(&io::Error::from_raw_os_error(libc::ENOBUFS));
        assert!(text.contains("no memory left for another socket"), "{text}");
    }

    #[test]
    fn another_accept_failure_is_described_in_words() {
        let text = accept_failed(&io::Error::from(ErrorKind::ConnectionAborted));
        assert!(text.contains("aborted"), "{text}");
        assert!(text.contains("tries again"), "{text}");
    }

    #[test]
    fn a_reset_is_described_in_words_with_both_platform_names() {
        let err = io::Error::from_raw_os_error(if cfg!(windows) { 10054 } else { 104 });
        let text = describe(&err);
        if cfg!(target_os = "linux") {
            assert!(
                text.starts_with("the other side reset the connection"),
                "{text}"
            );
            assert!(text.contains("WinError 10054"), "{text}");
        }
    }
}
