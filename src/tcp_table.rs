//! The operating system's own table of TCP sockets, read as it is now: for each socket
//! its local and remote address, its state (LISTEN, ESTABLISHED, TIME-WAIT, ...) and
//! how many bytes wait in its send and receive queues. What `ss -tan` and
//! `netstat -an` print, as values a lab can show and compare.
//!
//! Lab 8 shows a connection's life with it, and the terminal playground uses it too.
//! Nothing here opens a socket; it only reads what the OS reports.
//!
//! Where the table comes from:
//! - Linux: the files `/proc/net/tcp` (IPv4) and `/proc/net/tcp6` (IPv6), read
//!   directly. Every state is shown, SYN-RECV included, with both queues.
//! - macOS and the BSDs: the system's `netstat -an -p tcp`. Both queues are shown;
//!   a state appears if netstat lists it (FreeBSD keeps half-open connections,
//!   SYN-RECV, in a cache that netstat does not show).
//! - Windows: the system's `netstat -an`. It shows no queues (they read as unknown),
//!   and on a Windows set to another language the state words may be translated:
//!   rows whose state is not understood are left out rather than guessed.
//!
//! The API, used by lab 8 and the playground:
//! - [`read`] → every TCP socket on this machine ([`TcpSocket`]), or an error sentence;
//! - [`find_connection`] / [`find_listener`] → the row of one socket of ours, found by
//!   its local (and remote) address, as `getsockname()`/`getpeername()` give them;
//! - [`on_port`] → the rows whose local or remote port is the given port;
//! - [`TcpState`]: the state, its RFC 793 name (`FIN-WAIT-2`) and a one-line meaning;
//! - [`SOURCE`] and [`PLATFORM_NOTE`]: where the table comes from and what it cannot show;
//! - the parsers ([`parse_proc_net_tcp`], [`parse_netstat_bsd`], [`parse_netstat_windows`])
//!   are pure functions of the text, tested here on samples of each format.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::lang::{pick, tr};

/// The states of a TCP socket (RFC 793), as the OS's table reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TcpState {
    Listen,
    SynSent,
    SynRecv,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
    Close,
}

impl TcpState {
    /// The RFC 793 name, as `ss` prints it: `FIN-WAIT-2`. (netstat writes
    /// `FIN_WAIT_2`; Windows says `LISTENING` for LISTEN.)
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynRecv => "SYN-RECV",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
            TcpState::Close => "CLOSE",
        }
    }

    /// What the state means, in one line (in the student's language; the state's
    /// name stays as the RFC and `ss` write it).
    pub fn meaning(self) -> &'static str {
        match self {
            TcpState::Listen => pick(
                "a listening socket: the kernel completes handshakes and queues them for accept()",
                "监听中的套接字：内核自己完成握手，把连接排进队列等 accept() 取走",
            ),
            TcpState::SynSent => pick(
                "connect() sent a SYN and waits for the server's SYN-ACK",
                "connect() 已发出 SYN，正在等服务器的 SYN-ACK",
            ),
            TcpState::SynRecv => pick(
                "the server's kernel answered a SYN and waits for the client's final ACK",
                "服务器的内核已回应 SYN，正在等客户端最后的 ACK",
            ),
            TcpState::Established => pick(
                "the connection is open: both sides may send and receive",
                "连接已建立：双方都可以发送和接收",
            ),
            TcpState::FinWait1 => pick(
                "we closed our sending side (FIN sent); the peer has not acknowledged it yet",
                "我们关闭了发送方向（已发出 FIN）；对端还没有确认",
            ),
            TcpState::FinWait2 => pick(
                "our FIN was acknowledged; we can still receive until the peer closes too",
                "我们的 FIN 已被确认；在对端也关闭之前，仍然可以接收",
            ),
            TcpState::CloseWait => pick(
                "the peer closed its sending side (recv() returns 0); we have not called close() yet",
                "对端关闭了它的发送方向（recv() 返回 0）；我们还没有调用 close()",
            ),
            TcpState::Closing => pick(
                "both sides sent FIN at the same time; waiting for the ACK of ours",
                "双方同时发出了 FIN；正在等对端确认我们的 FIN",
            ),
            TcpState::LastAck => pick(
                "we closed after the peer did; waiting for the ACK of our FIN",
                "对端先关闭，我们随后关闭；正在等我们那个 FIN 的 ACK",
            ),
            TcpState::TimeWait => pick(
                "we closed first; the OS keeps the address pair a while so stray packets die out",
                "我们先关闭；操作系统把这对地址保留一阵子，让迷途的报文消失",
            ),
            TcpState::Close => pick(
                "closed: the socket is about to be freed",
                "已关闭：套接字即将被释放",
            ),
        }
    }

    /// The state from the hex code in `/proc/net/tcp` (the kernel's `TCP_*` numbers).
    fn from_linux_code(code: u8) -> Option<TcpState> {
        Some(match code {
            0x01 => TcpState::Established,
            0x02 => TcpState::SynSent,
            0x03 => TcpState::SynRecv,
            0x04 => TcpState::FinWait1,
            0x05 => TcpState::FinWait2,
            0x06 => TcpState::TimeWait,
            0x07 => TcpState::Close,
            0x08 => TcpState::CloseWait,
            0x09 => TcpState::LastAck,
            0x0A => TcpState::Listen,
            0x0B => TcpState::Closing,
            // TCP_NEW_SYN_RECV: a half-open connection, shown by the kernel as SYN-RECV.
            0x0C => TcpState::SynRecv,
            _ => return None,
        })
    }

    /// The state from the word netstat prints (macOS/BSD and Windows spellings).
    fn from_netstat_word(word: &str) -> Option<TcpState> {
        Some(match word {
            "LISTEN" | "LISTENING" => TcpState::Listen,
            "SYN_SENT" => TcpState::SynSent,
            "SYN_RCVD" | "SYN_RECEIVED" => TcpState::SynRecv,
            "ESTABLISHED" => TcpState::Established,
            "FIN_WAIT_1" => TcpState::FinWait1,
            "FIN_WAIT_2" => TcpState::FinWait2,
            "CLOSE_WAIT" => TcpState::CloseWait,
            "CLOSING" => TcpState::Closing,
            "LAST_ACK" => TcpState::LastAck,
            "TIME_WAIT" => TcpState::TimeWait,
            "CLOSED" => TcpState::Close,
            _ => return None,
        })
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // `{:<12}` pads the name, so tables line up.
        f.pad(self.name())
    }
}

/// One row of the OS's TCP table: one end of one connection, or one listening socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSocket {
    /// This end's address (`getsockname()`).
    pub local: SocketAddr,
    /// The other end's address (`getpeername()`); `0.0.0.0:0` or `[::]:0` for a
    /// listening socket.
    pub remote: SocketAddr,
    pub state: TcpState,
    /// Bytes handed to send() that the peer has not acknowledged yet (sent, or still
    /// waiting to be sent; a SYN or FIN counts as one). `None` where the platform does
    /// not say (Windows).
    pub send_queue: Option<u32>,
    /// Bytes received that the program has not read yet with recv() (on Linux a FIN
    /// not yet read counts as one). On a LISTEN socket: connections that completed
    /// the handshake and wait for accept().
    /// `None` where the platform does not say (Windows).
    pub recv_queue: Option<u32>,
}

impl TcpSocket {
    /// True for the row of a listening socket (no remote end).
    pub fn is_listener(&self) -> bool {
        self.state == TcpState::Listen
    }
}

/// Where this platform's table comes from, for a heading.
#[cfg(target_os = "linux")]
pub const SOURCE: &str = "/proc/net/tcp and /proc/net/tcp6";
#[cfg(all(unix, not(target_os = "linux")))]
pub const SOURCE: &str = "netstat -an -p tcp";
#[cfg(windows)]
pub const SOURCE: &str = "netstat -an";
#[cfg(not(any(unix, windows)))]
pub const SOURCE: &str = "nothing (this platform is not supported)";

/// What this platform's table cannot show, in one sentence (empty if nothing).
#[cfg(target_os = "linux")]
pub const PLATFORM_NOTE: &str = "";
#[cfg(all(unix, not(target_os = "linux")))]
pub const PLATFORM_NOTE: &str = "states as `netstat` lists them; some BSDs (FreeBSD) \
    keep half-open connections (SYN-RECV) in a cache that netstat does not show";
#[cfg(windows)]
pub const PLATFORM_NOTE: &str = "Windows' netstat shows no send or receive queues (shown as -)";
#[cfg(not(any(unix, windows)))]
pub const PLATFORM_NOTE: &str = "this platform has no TCP table the lab can read";

/// [`SOURCE`] in the student's language.
pub fn source() -> &'static str {
    #[cfg(target_os = "linux")]
    return pick(SOURCE, "/proc/net/tcp 和 /proc/net/tcp6");
    #[cfg(any(all(unix, not(target_os = "linux")), windows))]
    return SOURCE;
    #[cfg(not(any(unix, windows)))]
    return pick(SOURCE, "无（不支持这个平台）");
}

/// [`PLATFORM_NOTE`] in the student's language.
pub fn platform_note() -> &'static str {
    #[cfg(target_os = "linux")]
    return PLATFORM_NOTE;
    #[cfg(all(unix, not(target_os = "linux")))]
    return pick(
        PLATFORM_NOTE,
        "状态以 `netstat` 列出的为准；有些 BSD（FreeBSD）把半开连接（SYN-RECV）\
         放在 netstat 看不到的缓存里",
    );
    #[cfg(windows)]
    return pick(
        PLATFORM_NOTE,
        "Windows 的 netstat 不显示发送和接收队列（显示为 -）",
    );
    #[cfg(not(any(unix, windows)))]
    return pick(PLATFORM_NOTE, "这个平台没有实验能读取的 TCP 表");
}

/// Every TCP socket on this machine, as the OS reports it right now (all users'
/// sockets, IPv4 and IPv6). The error is a sentence saying why the table could not be
/// read.
pub fn read() -> anyhow::Result<Vec<TcpSocket>> {
    platform::read()
}

/// The row of a connected socket, found by its own address and its peer's. Each end of
/// a loopback connection is a row of its own; this finds the end whose local address is
/// `local`. An IPv4 address matches its IPv4-mapped IPv6 form (`::ffff:127.0.0.1`), as
/// on a dual-stack socket.
pub fn find_connection(
    table: &[TcpSocket],
    local: SocketAddr,
    remote: SocketAddr,
) -> Option<&TcpSocket> {
    table
        .iter()
        .find(|row| same(row.local, local) && same(row.remote, remote) && !row.is_listener())
}

/// The row of a listening socket, found by the address it listens on.
pub fn find_listener(table: &[TcpSocket], local: SocketAddr) -> Option<&TcpSocket> {
    table
        .iter()
        .find(|row| row.is_listener() && same(row.local, local))
}

/// The rows with `port` at either end: the listener, the server's ends and the
/// clients' ends of its connections. Sorted: listeners first, then by local address.
pub fn on_port(table: &[TcpSocket], port: u16) -> Vec<&TcpSocket> {
    let mut rows: Vec<&TcpSocket> = table
        .iter()
        // (Port 0 is "no port": a listener's remote end, never a real row's.)
        .filter(|row| port != 0 && (row.local.port() == port || row.remote.port() == port))
        .collect();
    rows.sort_by_key(|row| (!row.is_listener(), row.local, row.remote));
    rows
}

/// Two socket addresses name the same endpoint (an IPv4-mapped IPv6 address counts
/// as its IPv4 address).
fn same(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
}

// ---------------------------------------------------------------------------------
// Linux: /proc/net/tcp and /proc/net/tcp6
// ---------------------------------------------------------------------------------

/// Parses the text of `/proc/net/tcp` or `/proc/net/tcp6`. A line looks like
///
/// ```text
///   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt ...
///    0: 0100007F:22B8 00000000:0000 0A 00000000:00000000 00:00000000 00000000 ...
/// ```
///
/// Addresses are hex: the IP as the kernel holds it in memory (network byte order,
/// printed as native 32-bit words), the port as a plain hex number (22B8 = 8888). The
/// state is the kernel's code (0A = LISTEN). Lines that do not parse are skipped.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn parse_proc_net_tcp(text: &str) -> Vec<TcpSocket> {
    text.lines().skip(1).filter_map(parse_proc_line).collect()
}

fn parse_proc_line(line: &str) -> Option<TcpSocket> {
    let mut fields = line.split_whitespace();
    let _slot = fields.next()?;
    let local = parse_proc_address(fields.next()?)?;
    let remote = parse_proc_address(fields.next()?)?;
    let state = TcpState::from_linux_code(u8::from_str_radix(fields.next()?, 16).ok()?)?;
    let (tx, rx) = fields.next()?.split_once(':')?;
    Some(TcpSocket {
        local,
        remote,
        state,
        send_queue: Some(u32::from_str_radix(tx, 16).ok()?),
        recv_queue: Some(u32::from_str_radix(rx, 16).ok()?),
    })
}

/// `0100007F:22B8` → 127.0.0.1:8888; 32 hex digits before the colon for IPv6.
fn parse_proc_address(field: &str) -> Option<SocketAddr> {
    let (ip_hex, port_hex) = field.split_once(':')?;
    let port = u16::from_str_radix(port_hex, 16).ok()?;
    // Each 8-digit group is one 32-bit word printed in the machine's byte order;
    // its bytes in memory are the address in network order.
    let words = (0..ip_hex.len() / 8)
        .map(|i| {
            ip_hex
                .get(i * 8..i * 8 + 8)
                .and_then(|w| u32::from_str_radix(w, 16).ok())
        })
        .collect::<Option<Vec<u32>>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let ip = match (ip_hex.len(), bytes.len()) {
        (8, 4) => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        (32, 16) => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

// ---------------------------------------------------------------------------------
// macOS and the BSDs: `netstat -an -p tcp`
// ---------------------------------------------------------------------------------

/// Parses `netstat -an -p tcp` as macOS and the BSDs print it:
///
/// ```text
/// Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
/// tcp4       0      0  127.0.0.1.8888         127.0.0.1.52144        ESTABLISHED
/// tcp46      0      0  *.8888                 *.*                    LISTEN
/// ```
///
/// The port follows the address's last dot; `*` is "any". Lines that do not parse
/// (headings, unknown states) are skipped.
#[cfg_attr(not(all(unix, not(target_os = "linux"))), allow(dead_code))]
pub fn parse_netstat_bsd(text: &str) -> Vec<TcpSocket> {
    text.lines().filter_map(parse_bsd_line).collect()
}

fn parse_bsd_line(line: &str) -> Option<TcpSocket> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [proto, recv_q, send_q, local, remote, state, ..] = fields[..] else {
        return None;
    };
    if !proto.starts_with("tcp") {
        return None;
    }
    let v6 = proto.contains('6') && !proto.ends_with("46");
    Some(TcpSocket {
        local: parse_bsd_address(local, v6)?,
        remote: parse_bsd_address(remote, v6)?,
        state: TcpState::from_netstat_word(state)?,
        send_queue: Some(send_q.parse().ok()?),
        recv_queue: Some(recv_q.parse().ok()?),
    })
}

/// `127.0.0.1.8888`, `::1.8888`, `*.8888`, `*.*`, `fe80::1%lo0.8888`.
fn parse_bsd_address(field: &str, v6: bool) -> Option<SocketAddr> {
    let (ip, port) = field.rsplit_once('.')?;
    let port = if port == "*" { 0 } else { port.parse().ok()? };
    let ip = match ip {
        "*" if v6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        // A zone (`%lo0`) is not part of the address itself.
        other => other.split('%').next()?.parse().ok()?,
    };
    Some(SocketAddr::new(ip, port))
}

// ---------------------------------------------------------------------------------
// Windows: `netstat -an`
// ---------------------------------------------------------------------------------

/// Parses `netstat -an` as Windows prints it (TCP rows only; no queues):
///
/// ```text
///   Proto  Local Address          Foreign Address        State
///   TCP    127.0.0.1:8888         0.0.0.0:0              LISTENING
///   TCP    [::1]:8888             [::1]:50123            ESTABLISHED
/// ```
#[cfg_attr(not(windows), allow(dead_code))]
pub fn parse_netstat_windows(text: &str) -> Vec<TcpSocket> {
    text.lines().filter_map(parse_windows_line).collect()
}

fn parse_windows_line(line: &str) -> Option<TcpSocket> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [proto, local, remote, state, ..] = fields[..] else {
        return None;
    };
    if !proto.eq_ignore_ascii_case("TCP") {
        return None;
    }
    Some(TcpSocket {
        // Windows writes IPv6 as `[::1]:8888` and may add a zone: `[fe80::1%4]:8888`.
        local: parse_windows_address(local)?,
        remote: parse_windows_address(remote)?,
        state: TcpState::from_netstat_word(state)?,
        send_queue: None,
        recv_queue: None,
    })
}

fn parse_windows_address(field: &str) -> Option<SocketAddr> {
    let (ip, port) = field.rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = ip.split('%').next()?.parse().ok()?;
    Some(SocketAddr::new(ip, port.parse().ok()?))
}

// ---------------------------------------------------------------------------------
// Reading the table on each platform
// ---------------------------------------------------------------------------------

#[cfg(target_os = "linux")]
mod platform {
    use super::*;

    pub fn read() -> anyhow::Result<Vec<TcpSocket>> {
        let mut table = Vec::new();
        for (path, required) in [("/proc/net/tcp", true), ("/proc/net/tcp6", false)] {
            match std::fs::read_to_string(path) {
                Ok(text) => table.extend(parse_proc_net_tcp(&text)),
                // A kernel without IPv6 has no tcp6 file: then there are no IPv6 sockets.
                Err(_) if !required => {}
                Err(err) => anyhow::bail!(tr!(
                    "could not read the OS's TCP table from {path} ({err}): is /proc \
                     mounted? (Inside some containers it is not.)",
                    "无法从 {path} 读取操作系统的 TCP 表（{err}）：/proc 挂载了吗？\
                     （有些容器里没有挂载。）"
                )),
            }
        }
        Ok(table)
    }
}

#[cfg(any(all(unix, not(target_os = "linux")), windows))]
mod platform {
    use super::*;
    use std::process::Command;

    #[cfg(unix)]
    const NETSTAT_ARGS: &[&str] = &["-an", "-p", "tcp"];
    #[cfg(windows)]
    const NETSTAT_ARGS: &[&str] = &["-an"];

    pub fn read() -> anyhow::Result<Vec<TcpSocket>> {
        let output = Command::new("netstat")
            .args(NETSTAT_ARGS)
            .output()
            .map_err(|err| {
                anyhow::anyhow!(tr!(
                    "could not run the system's `netstat` to read the TCP table ({err}); \
                     this platform gives the lab no other way to see socket states",
                    "无法运行系统的 `netstat` 来读取 TCP 表（{err}）；\
                     在这个平台上，实验没有别的办法看到套接字的状态"
                ))
            })?;
        if !output.status.success() {
            anyhow::bail!(tr!(
                "`netstat {}` failed ({}), so the TCP table cannot be shown",
                "`netstat {}` 失败了（{}），所以无法显示 TCP 表",
                NETSTAT_ARGS.join(" "),
                output.status
            ));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let parse = if cfg!(windows) {
            parse_netstat_windows
        } else {
            parse_netstat_bsd
        };
        Ok(parse(&text))
    }
}

#[cfg(not(any(unix, windows)))]
mod platform {
    use super::*;

    pub fn read() -> anyhow::Result<Vec<TcpSocket>> {
        anyhow::bail!(pick(
            "this platform gives the lab no way to read its TCP table",
            "在这个平台上，实验没有办法读取 TCP 表"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test addresses are valid")
    }

    // Taken from a Linux machine (x86-64, little-endian): a listener on
    // 127.0.0.1:8888, both ends of one connection to it, and a TIME-WAIT.
    const PROC_NET_TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:22B8 00000000:0000 0A 00000000:00000002 00:00000000 00000000  1000        0 31811 1 00000000d24ab008 100 0 0 10 0
   1: 0100007F:22B8 0100007F:C6E2 01 00000000:00000005 00:00000000 00000000  1000        0 31900 1 0000000074dc575e 20 4 30 10 -1
   2: 0100007F:C6E2 0100007F:22B8 01 0000000C:00000000 00:00000000 00000000  1000        0 31899 1 0000000074dc5000 20 4 30 10 -1
   3: 0100007F:D9A0 0100007F:22B8 06 00000000:00000000 03:000014A1 00000000     0        0 0 3 0000000024ab8de8
";

    const PROC_NET_TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:22B8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 40001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:22B8 0000000000000000FFFF00000100007F:C6E4 08 00000000:00000000 00:00000000 00000000  1000        0 40002 1 0000000000000000 20 4 30 10 -1
";

    #[test]
    #[cfg(target_endian = "little")]
    fn proc_net_tcp_gives_addresses_states_and_queues() {
        let table = parse_proc_net_tcp(PROC_NET_TCP);
        assert_eq!(table.len(), 4);
        assert_eq!(
            table[0],
            TcpSocket {
                local: addr("127.0.0.1:8888"),
                remote: addr("0.0.0.0:0"),
                state: TcpState::Listen,
                send_queue: Some(0),
                recv_queue: Some(2),
            }
        );
        assert_eq!(table[1].remote, addr("127.0.0.1:50914"));
        assert_eq!(table[1].recv_queue, Some(5));
        assert_eq!(table[2].send_queue, Some(12));
        assert_eq!(table[3].state, TcpState::TimeWait);
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn proc_net_tcp6_gives_ipv6_and_ipv4_mapped_addresses() {
        let table = parse_proc_net_tcp(PROC_NET_TCP6);
        assert_eq!(table.len(), 2);
        assert_eq!(table[0].local, addr("[::1]:8888"));
        assert_eq!(table[0].remote, addr("[::]:0"));
        assert_eq!(table[1].local, addr("[::ffff:127.0.0.1]:8888"));
        assert_eq!(table[1].state, TcpState::CloseWait);
    }

    #[test]
    fn every_linux_state_code_has_a_state() {
        let names: Vec<&str> = (1..=0x0B)
            .map(|code| TcpState::from_linux_code(code).expect("known code").name())
            .collect();
        assert_eq!(
            names,
            [
                "ESTABLISHED",
                "SYN-SENT",
                "SYN-RECV",
                "FIN-WAIT-1",
                "FIN-WAIT-2",
                "TIME-WAIT",
                "CLOSE",
                "CLOSE-WAIT",
                "LAST-ACK",
                "LISTEN",
                "CLOSING"
            ]
        );
        assert_eq!(TcpState::from_linux_code(0x0C), Some(TcpState::SynRecv));
        assert_eq!(TcpState::from_linux_code(0x42), None);
    }

    #[test]
    fn broken_lines_are_skipped_not_guessed() {
        let text =
            "header\n   0: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000\n   1: garbage\n";
        assert!(parse_proc_net_tcp(text).is_empty());
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn a_connection_is_found_by_its_own_end_and_a_listener_by_its_address() {
        let table = parse_proc_net_tcp(PROC_NET_TCP);
        let server_end = find_connection(&table, addr("127.0.0.1:8888"), addr("127.0.0.1:50914"))
            .expect("the server's end is there");
        assert_eq!(server_end.recv_queue, Some(5));
        let client_end = find_connection(&table, addr("127.0.0.1:50914"), addr("127.0.0.1:8888"))
            .expect("the client's end is there");
        assert_eq!(client_end.send_queue, Some(12));
        assert!(find_connection(&table, addr("127.0.0.1:1"), addr("127.0.0.1:8888")).is_none());
        let listener = find_listener(&table, addr("127.0.0.1:8888")).expect("listening");
        assert_eq!(listener.recv_queue, Some(2));
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn an_ipv4_address_finds_its_ipv4_mapped_row() {
        let table = parse_proc_net_tcp(PROC_NET_TCP6);
        let row = find_connection(&table, addr("127.0.0.1:8888"), addr("127.0.0.1:50916"))
            .expect("the mapped row matches");
        assert_eq!(row.state, TcpState::CloseWait);
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn on_port_lists_the_listener_first_and_leaves_other_ports_out() {
        let mut text = PROC_NET_TCP.to_string();
        text.push_str(
            "   4: 0100007F:0016 0100007F:C6E8 01 00000000:00000000 00:00000000 00000000 0 0 1 1 0\n",
        );
        let table = parse_proc_net_tcp(&text);
        let rows = on_port(&table, 8888);
        assert_eq!(rows.len(), 4);
        assert!(rows[0].is_listener());
        assert!(rows
            .iter()
            .all(|r| r.local.port() == 8888 || r.remote.port() == 8888));
    }

    #[test]
    fn bsd_netstat_gives_addresses_states_and_queues() {
        let text = "Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
tcp4       3      0  127.0.0.1.8888         127.0.0.1.52144        ESTABLISHED
tcp4       0     12  127.0.0.1.52144        127.0.0.1.8888         FIN_WAIT_2
tcp46      0      0  *.8888                 *.*                    LISTEN
tcp6       0      0  ::1.8888               ::1.52143              TIME_WAIT
tcp4       0      0  127.0.0.1.9999         127.0.0.1.5            SOMETHING_NEW
udp4       0      0  *.5353                 *.*
";
        let table = parse_netstat_bsd(text);
        assert_eq!(table.len(), 4);
        assert_eq!(table[0].local, addr("127.0.0.1:8888"));
        assert_eq!(table[0].recv_queue, Some(3));
        assert_eq!(table[1].state, TcpState::FinWait2);
        assert_eq!(table[1].send_queue, Some(12));
        assert_eq!(table[2].local, addr("0.0.0.0:8888"));
        assert_eq!(table[2].remote, addr("0.0.0.0:0"));
        assert_eq!(table[3].local, addr("[::1]:8888"));
        assert_eq!(table[3].state, TcpState::TimeWait);
    }

    #[test]
    fn windows_netstat_gives_addresses_and_states_without_queues() {
        let text = "
Active Connections

  Proto  Local Address          Foreign Address        State
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING
  TCP    127.0.0.1:8888         127.0.0.1:50123        CLOSE_WAIT
  TCP    [::1]:8888             [::1]:50124            SYN_RECEIVED
  TCP    [fe80::1%4]:8888       [fe80::2%4]:50125      TIME_WAIT
  UDP    0.0.0.0:5353           *:*
";
        let table = parse_netstat_windows(text);
        assert_eq!(table.len(), 4);
        assert_eq!(table[0].state, TcpState::Listen);
        assert_eq!(table[1].state, TcpState::CloseWait);
        assert_eq!(table[1].recv_queue, None);
        assert_eq!(table[2].local, addr("[::1]:8888"));
        assert_eq!(table[2].state, TcpState::SynRecv);
        assert_eq!(table[3].remote, addr("[fe80::2]:50125"));
    }

    #[test]
    fn every_state_has_a_name_and_a_meaning() {
        for state in (1..=0x0B).filter_map(TcpState::from_linux_code) {
            assert!(!state.name().is_empty() && !state.meaning().is_empty());
        }
        assert_eq!(format!("{:<12}|", TcpState::Listen), "LISTEN      |");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_machine_shows_a_listener_it_just_opened() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind works");
        let local = listener.local_addr().expect("bound");
        let table = read().expect("/proc/net/tcp is readable");
        let row = find_listener(&table, local).expect("our listener is in the table");
        assert_eq!(row.state, TcpState::Listen);
    }
}
