//! Socket errors as a lesson, not noise: each error a student meets, said in words,
//! with what to do about it. Every lab sends its errors through here, so the same
//! mistake always gets the same sentence.
//!
//! Where an error has a different name on Windows (WinError 10048 for "address in
//! use", 10061 for "refused", 10054 for "reset"), the sentence names both.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::Duration;

use crate::labs::{Lab, Protocol};

/// `bind()` failed. The usual reasons: another server has the port, or the port is
/// below 1024 and reserved for the administrator.
pub fn bind_failed(err: io::Error, addr: SocketAddr, protocol: Protocol) -> anyhow::Error {
    let port = addr.port();
    let sentence = match err.kind() {
        ErrorKind::AddrInUse => format!(
            "port {port} ({protocol}) is already in use on {ip}: another server is listening \
             there (perhaps the same lab, still running in another terminal). Stop that \
             server with Ctrl-C, or start this one on a free port with `--port 0` \
             [EADDRINUSE; WinError 10048 on Windows]",
            ip = addr.ip()
        ),
        ErrorKind::PermissionDenied if port < 1024 => format!(
            "port {port} is below 1024, and only the administrator (root) may listen on those. \
             Use a port from 1024 up, such as the lab's default, or `--port 0` for any free \
             port [EACCES; WinError 10013 on Windows]"
        ),
        ErrorKind::AddrNotAvailable => format!(
            "{ip} is not an address of this machine, so nothing can listen on it. Use \
             127.0.0.1 (this machine only) or 0.0.0.0 (every network interface) \
             [EADDRNOTAVAIL; WinError 10049 on Windows]",
            ip = addr.ip()
        ),
        _ => format!("could not bind {addr} ({protocol}): {}", describe(&err)),
    };
    anyhow::anyhow!(sentence)
}

/// `connect()` failed. Nearly always: the server is not running yet.
pub fn connect_failed(err: io::Error, addr: SocketAddr, lab: &Lab) -> anyhow::Error {
    let sentence = match err.kind() {
        ErrorKind::ConnectionRefused => format!(
            "nothing is listening on {addr}, so the connection was refused \
             [ECONNREFUSED; WinError 10061 on Windows]. Start the server first, \
             `lab {n} server` in another terminal, then run this client again \
             (same --host and --port on both sides)",
            n = lab.number
        ),
        ErrorKind::TimedOut => format!(
            "{addr} did not answer in time [ETIMEDOUT; WinError 10060 on Windows]: \
             check the address, and that no firewall blocks port {port}",
            port = addr.port()
        ),
        _ => format!("could not connect to {addr}: {}", describe(&err)),
    };
    anyhow::anyhow!(sentence)
}

/// The host name did not resolve (getaddrinfo found nothing).
pub fn resolve_failed(host: &str, err: Option<io::Error>) -> anyhow::Error {
    let why = err.map(|e| format!(" ({e})")).unwrap_or_default();
    anyhow::anyhow!(
        "could not find the host `{host}`{why}: check the spelling, or give an IP address \
         such as 127.0.0.1 (IPv4) or ::1 (IPv6)"
    )
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
    Some(anyhow::anyhow!(
        "the server at {server} stopped reading: for {secs} s send() could not hand over \
         a single byte, because the server's receive buffer and this client's send buffer \
         are full. Without a limit send() would wait for ever; this client gives up after \
         --send-timeout {secs} s. Is the server stuck, paused, or busy with another client? \
         [EAGAIN on a send timeout; WinError 10060 on Windows]",
        secs = waited.as_secs_f64()
    ))
}

/// Any other socket error, in words. Used by `main` for whatever a lab did not
/// handle itself, so no bare `os error 104` ever reaches a student.
pub fn describe(err: &io::Error) -> String {
    let what = match err.kind() {
        ErrorKind::ConnectionReset => {
            "the other side reset the connection: it closed abruptly, without the normal \
             goodbye [ECONNRESET; WinError 10054 on Windows]"
        }
        ErrorKind::ConnectionAborted => {
            "the connection was aborted by this machine [ECONNABORTED; WinError 10053 on Windows]"
        }
        ErrorKind::BrokenPipe => {
            "the other side has already closed the connection, so there is no one to send to \
             [EPIPE; WinError 10058 on Windows]"
        }
        ErrorKind::NotConnected => {
            "the socket is not connected [ENOTCONN; WinError 10057 on Windows]"
        }
        ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            "no answer arrived in time [ETIMEDOUT / EAGAIN; WinError 10060 on Windows]"
        }
        ErrorKind::ConnectionRefused => {
            "the connection was refused: nothing is listening there \
             [ECONNREFUSED; WinError 10061 on Windows]"
        }
        ErrorKind::AddrInUse => "the address is already in use [EADDRINUSE; WinError 10048]",
        ErrorKind::PermissionDenied => "permission denied [EACCES; WinError 10013 on Windows]",
        ErrorKind::UnexpectedEof => {
            "the other side closed the connection in the middle of a message"
        }
        ErrorKind::HostUnreachable => "no route to that host [EHOSTUNREACH; WinError 10065]",
        ErrorKind::NetworkUnreachable => {
            "that network is unreachable [ENETUNREACH; WinError 10051]"
        }
        _ => "",
    };
    // The OS's own wording stays in brackets for the instructor; the sentence comes first.
    match (what.is_empty(), err.raw_os_error()) {
        (true, _) => format!("{err}"),
        (false, Some(code)) => format!("{what} (os error {code})"),
        (false, None) => what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::LABS;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test addresses are valid")
    }

    #[test]
    fn port_in_use_names_the_port_and_both_fixes() {
        let err = io::Error::from(ErrorKind::AddrInUse);
        let text = bind_failed(err, addr("127.0.0.1:6666"), Protocol::Tcp).to_string();
        assert!(text.contains("port 6666"), "{text}");
        assert!(text.contains("--port 0"), "{text}");
        assert!(text.contains("Ctrl-C"), "{text}");
    }

    #[test]
    fn permission_denied_below_1024_explains_privileged_ports() {
        let err = io::Error::from(ErrorKind::PermissionDenied);
        let text = bind_failed(err, addr("127.0.0.1:80"), Protocol::Tcp).to_string();
        assert!(text.contains("below 1024"), "{text}");
    }

    #[test]
    fn refused_names_the_address_and_the_server_to_start() {
        let err = io::Error::from(ErrorKind::ConnectionRefused);
        let text = connect_failed(err, addr("127.0.0.1:6666"), &LABS[0]).to_string();
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
