//! The terminal UIs, `lab 6 client --tui` and `lab 1 playground`, run in a real
//! pseudo-terminal (portable-pty), with what they draw read back through a terminal
//! emulator (vt100): so the tests see the screen a student sees, and need no tmux.
//! Keys are typed as the bytes a terminal sends (`\r` for Enter, `\x03` for Ctrl-C).
#![cfg(unix)]

mod common;

use std::io::Read;
use std::num::NonZeroU16;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{lab_binary, lab_cmd, Lab};
use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use predicates::prelude::*;

/// How long a test waits for the screen to show something. The screens appear in
/// milliseconds; this is for a two-core CI machine busy compiling.
const SCREEN_PATIENCE: Duration = Duration::from_secs(30);

/// What the program wrote to the terminal: every byte, and the screen they draw.
struct Output {
    raw: Vec<u8>,
    screen: vt100::Parser,
}

/// `lab ARGS` in a pseudo-terminal of 80x24 (the smallest size the UIs promise).
/// Dropping it (also when a test fails) kills the program and closes the terminal.
struct Tty {
    child: Box<dyn Child + Send + Sync>,
    output: Arc<Mutex<Output>>,
    /// The terminal's own end (the "master"); `None` once closed.
    master: Option<Box<dyn MasterPty + Send>>,
    master_fd: RawFd,
    /// The thread reading what the program writes, and how to stop it.
    reader: Option<JoinHandle<()>>,
    stop_reading: Arc<AtomicBool>,
    args: String,
}

impl Tty {
    fn start(args: &[&str]) -> Tty {
        let (rows, cols) = (24, 80);
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal can be opened");
        let mut command = CommandBuilder::new(lab_binary());
        command.args(args);
        command.env("TERM", "xterm-256color");
        command.env_remove("NO_COLOR");
        command.cwd(env!("CARGO_MANIFEST_DIR"));
        let child = pair
            .slave
            .spawn_command(command)
            .expect("lab starts in the pseudo-terminal");
        drop(pair.slave);
        let output = Arc::new(Mutex::new(Output {
            raw: Vec::new(),
            screen: vt100::Parser::new(
                NonZeroU16::new(rows).expect("rows"),
                NonZeroU16::new(cols).expect("columns"),
                0,
            ),
        }));
        // Keys are written straight to the master's descriptor: portable-pty's writer
        // would type a newline and Ctrl-D into the program when dropped.
        let master_fd = pair
            .master
            .as_raw_fd()
            .expect("the master has a descriptor");
        let mut reader = pair.master.try_clone_reader().expect("a reader");
        let stop_reading = Arc::new(AtomicBool::new(false));
        let reader = {
            let output = Arc::clone(&output);
            let stop = Arc::clone(&stop_reading);
            thread::spawn(move || {
                let mut buf = [0u8; 8192];
                // Waits in short turns, so that closing the terminal can stop it.
                while !stop.load(Ordering::SeqCst) {
                    if !readable(master_fd, Duration::from_millis(50)) {
                        continue;
                    }
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let mut out = output.lock().expect("the output lock");
                            out.raw.extend_from_slice(&buf[..n]);
                            out.screen.process(&buf[..n]);
                        }
                    }
                }
            })
        };
        Tty {
            child,
            output,
            master: Some(pair.master),
            master_fd,
            reader: Some(reader),
            stop_reading,
            args: args.join(" "),
        }
    }

    /// The program's process id.
    fn pid(&self) -> libc::pid_t {
        let pid = self.child.process_id().expect("the child has a pid");
        libc::pid_t::try_from(pid).expect("a pid fits pid_t")
    }

    /// Closes the terminal, as closing the window does: the reader stops, then the
    /// master's last descriptor is closed, and the program's terminal hangs up.
    fn close_terminal(&mut self) {
        self.stop_reading.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.master = None;
    }

    /// Resizes the terminal, as dragging the window's corner does (SIGWINCH).
    fn resize(&mut self, rows: u16, cols: u16) {
        {
            let mut out = self.output.lock().expect("the output lock");
            out.screen.screen_mut().set_size(
                NonZeroU16::new(rows).expect("rows"),
                NonZeroU16::new(cols).expect("columns"),
            );
        }
        self.master
            .as_ref()
            .expect("the terminal is open")
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("the pseudo-terminal can be resized");
    }

    /// The screen as text, row by row.
    fn screen(&self) -> String {
        let out = self.output.lock().expect("the output lock");
        out.screen.screen().contents()
    }

    /// One row of the screen (0 is the top).
    fn row(&self, n: usize) -> String {
        let out = self.output.lock().expect("the output lock");
        let row = out.screen.screen().rows(0, 200).nth(n).unwrap_or_default();
        row
    }

    /// Waits until the screen shows `needle`; fails with the screen as it is.
    fn wait_screen(&self, needle: &str) -> String {
        let deadline = Instant::now() + SCREEN_PATIENCE;
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!(
                    "`lab {}` never showed {needle:?}; its screen:\n{screen}",
                    self.args
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types text (keys as a terminal sends them).
    fn type_keys(&mut self, keys: &str) {
        assert!(self.master.is_some(), "the terminal is open");
        let mut rest = keys.as_bytes();
        while !rest.is_empty() {
            // SAFETY: the master's descriptor is open (checked above); `rest` is valid
            // for `rest.len()` bytes.
            let n = unsafe { libc::write(self.master_fd, rest.as_ptr().cast(), rest.len()) };
            let err = std::io::Error::last_os_error();
            match usize::try_from(n) {
                Ok(n) => rest = &rest[n..],
                Err(_) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => panic!("`lab {}` cannot be typed to: {err}", self.args),
            }
        }
    }

    /// Waits for the program to end; its exit code.
    fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + SCREEN_PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited for") {
                return status.exit_code();
            }
            if Instant::now() > deadline {
                panic!(
                    "`lab {}` did not exit; its screen:\n{}",
                    self.args,
                    self.screen()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Checks that the terminal was given back: after the last time the program
    /// drew, it left the alternate screen and showed the cursor again.
    fn assert_terminal_restored(&self) {
        // The reader thread may still be taking the last bytes.
        let deadline = Instant::now() + SCREEN_PATIENCE;
        loop {
            {
                let out = self.output.lock().expect("the output lock");
                let raw = String::from_utf8_lossy(&out.raw);
                let entered = raw.rfind("\x1b[?1049h");
                let left = raw.rfind("\x1b[?1049l");
                let shown = raw.rfind("\x1b[?25h");
                let screen = out.screen.screen();
                if entered.is_some()
                    && left > entered
                    && shown > entered
                    && !screen.alternate_screen()
                    && !screen.hide_cursor()
                {
                    return;
                }
                if Instant::now() > deadline {
                    panic!(
                        "`lab {}` left the terminal as it was: alternate screen {}, cursor \
                         hidden {}; the last bytes: {:?}",
                        self.args,
                        screen.alternate_screen(),
                        screen.hide_cursor(),
                        &raw[raw.len().saturating_sub(200)..]
                    );
                }
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        // portable-pty's kill() sends SIGHUP, then SIGKILL to a program still running.
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.close_terminal();
    }
}

/// True when `fd` has bytes to read (or an end to report) within `wait`.
fn readable(fd: RawFd, wait: Duration) -> bool {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = libc::c_int::try_from(wait.as_millis()).expect("a short wait");
    // SAFETY: one valid pollfd for the duration of the call.
    unsafe { libc::poll(&mut poll, 1, millis) > 0 }
}

#[test]
fn two_chat_windows_talk_while_one_is_typing_and_the_typed_text_stays_intact() {
    let (mut server, port) = Lab::server("6", &[]);
    let port = port.to_string();
    let client =
        |name: &str| Tty::start(&["6", "client", "--tui", "--port", &port, "--name", name]);
    let mut alice = client("alice");
    alice.wait_screen("alice (you)");
    let mut bob = client("bob");
    bob.wait_screen("bob (you)");
    alice.wait_screen("* bob joined (2 online)");

    // alice is in the middle of a line when bob's messages arrive.
    alice.type_keys("half typed 你好");
    alice.wait_screen("half typed 你好");
    bob.type_keys("hello from bob\r");
    bob.type_keys("and a second line\r");
    alice.wait_screen("<bob> and a second line");
    let input_row = alice.row(22);
    assert!(
        input_row.contains("│half typed 你好 "),
        "alice's input line was disturbed: {input_row:?}\n{}",
        alice.screen()
    );
    // The members' side names both, with the room's count.
    let screen = alice.screen();
    assert!(screen.contains("online (2)"), "{screen}");

    // A larger window: everything is drawn again, the typed text still in place.
    alice.resize(30, 100);
    let deadline = Instant::now() + SCREEN_PATIENCE;
    while !alice.row(28).contains("│half typed 你好 ") {
        assert!(
            Instant::now() < deadline,
            "after a resize, alice's input line is not at the bottom:\n{}",
            alice.screen()
        );
        thread::sleep(Duration::from_millis(20));
    }
    alice.wait_screen("<bob> and a second line");

    // Enter sends what she typed, whole.
    alice.type_keys("\r");
    bob.wait_screen("<alice> half typed 你好");
    alice.wait_screen("<alice> half typed 你好");

    // Ctrl-C leaves the room (the others are told) and gives the terminal back.
    alice.type_keys("\x03");
    assert_eq!(alice.wait_exit(), 0, "{}", alice.screen());
    alice.assert_terminal_restored();
    bob.wait_screen("* alice left (1 online)");

    // The server goes away: bob's window says so, and Enter leaves with exit code 1.
    server.kill();
    bob.wait_screen("closed the connection");
    bob.wait_screen("Enter leaves");
    bob.type_keys("\r");
    assert_eq!(bob.wait_exit(), 1, "{}", bob.screen());
    bob.assert_terminal_restored();
    bob.wait_screen("error: the chat room at");
}

#[test]
fn the_chat_window_needs_a_terminal_and_says_so() {
    lab_cmd(&["6", "client", "--tui", "--port", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("needs a terminal"))
        .stderr(predicate::str::contains("without --tui"));
}

#[test]
fn the_playground_makes_real_calls_in_any_order_and_shows_what_the_os_says() {
    let mut play = Tty::start(&["1", "playground", "--port", "0"]);
    play.wait_screen("the classic order");
    play.wait_screen("q quit");

    // The server pane: accept() before listen() is the OS's own EINVAL.
    play.type_keys("s");
    play.wait_screen("s = socket(AF_INET, SOCK_STREAM)");
    play.type_keys("a");
    play.wait_screen("EINVAL");
    // bind, listen: the OS's table shows LISTEN; accept() with nobody there would block.
    play.type_keys("b");
    play.type_keys("l");
    play.wait_screen("s: LISTEN, 0 waiting for accept()");
    play.type_keys("a");
    play.wait_screen("would block: no connection");

    // The client pane: recv() before connect() is the real ENOTCONN.
    play.type_keys("\t");
    play.wait_screen("> client (keys act here)");
    play.type_keys("s");
    play.wait_screen("c = socket(AF_INET, SOCK_STREAM)");
    play.type_keys("r");
    play.wait_screen("ENOTCONN");
    play.type_keys("c");
    play.wait_screen("c: ESTABLISHED");
    play.wait_screen("s: LISTEN, 1 waiting for accept()");
    play.type_keys("e");
    play.wait_screen("Esc cancels");
    play.type_keys("hello\r");
    play.wait_screen("5 of 5 bytes sent");

    // Back in the server pane: accept() now returns the connection, recv() the bytes.
    play.type_keys("\t");
    play.wait_screen("> server (keys act here)");
    play.type_keys("a");
    play.wait_screen("conn: ESTABLISHED");
    play.type_keys("r");
    play.wait_screen("5 bytes: b\"hello\"");
    let screen = play.screen();
    assert!(screen.contains("[x] accept"), "{screen}");
    assert!(screen.contains("[x] connect"), "{screen}");

    // q leaves: every socket is closed, and the terminal is given back.
    play.type_keys("q");
    assert_eq!(play.wait_exit(), 0, "{}", play.screen());
    play.assert_terminal_restored();
    play.wait_screen("3 socket(s) were still open and are now closed");
}

/// The playground in Chinese (`--lang zh`): the panes' titles, the key legend and the
/// explanations are Chinese; the calls, the OS's states and errno names are not.
#[test]
fn the_playground_speaks_chinese_with_lang_zh() {
    let mut play = Tty::start(&["--lang", "zh", "1", "playground", "--port", "0"]);
    play.wait_screen("经典顺序");
    play.wait_screen("> 服务器（按键作用于这里）");
    play.wait_screen("Tab 换窗格  q 退出");
    play.type_keys("sbl");
    play.wait_screen("s：LISTEN，0 个连接等待 accept()");
    play.type_keys("a");
    play.wait_screen("WinError 10035]");
    let screen = play.screen();
    assert!(screen.contains("还没有连接在等待"), "{screen}");
    // The labels of the classic order are padded by display width: the steps of
    // both panes start in the same column.
    assert!(
        screen.contains("│服务器： [x] socket  [x] bind"),
        "{screen}"
    );
    assert!(
        screen.contains("│客户端： [ ] socket  [ ] connect"),
        "{screen}"
    );
    play.type_keys("q");
    assert_eq!(play.wait_exit(), 0, "{}", play.screen());
    play.assert_terminal_restored();
    play.wait_screen("playground 已关闭；还有 1 个套接字开着");
}

/// The chat window in Chinese: the titles, who is online, and what the window says
/// when the server goes away. The chat room's own lines stay as the server sent them.
#[test]
fn the_chat_window_speaks_chinese_with_lang_zh() {
    let (mut server, port) = Lab::server("6", &[]);
    let port = port.to_string();
    let mut amy = Tty::start(&[
        "--lang", "zh", "6", "client", "--tui", "--port", &port, "--name", "amy",
    ]);
    amy.wait_screen("amy（你）");
    amy.wait_screen("在线（1）");
    amy.wait_screen("上的聊天室");
    amy.wait_screen("amy：Enter 发送 · /help · PgUp/PgDn 翻页 · Ctrl-C 离开");
    amy.wait_screen("* welcome, amy!");
    server.kill();
    amy.wait_screen("连接已关闭：按 Enter 离开");
    amy.type_keys("\r");
    assert_eq!(amy.wait_exit(), 1, "{}", amy.screen());
    amy.assert_terminal_restored();
    amy.wait_screen("错误：127.0.0.1:");
}

#[test]
fn a_chat_window_whose_terminal_is_closed_exits_with_code_1() {
    let (_server, port) = Lab::server("6", &[]);
    let port = port.to_string();
    let mut zed = Tty::start(&["6", "client", "--tui", "--port", &port, "--name", "zed"]);
    zed.wait_screen("zed (you)");
    // The window closes under it: it stops (and so its pid is gone) instead of
    // waiting, or spinning, on a terminal that is not there.
    zed.close_terminal();
    assert_eq!(zed.wait_exit(), 1);
}

#[test]
fn sigterm_and_sigint_end_the_chat_window_and_the_playground_with_the_terminal_restored() {
    let (_server, port) = Lab::server("6", &[]);
    let port = port.to_string();
    let chat = Tty::start(&["6", "client", "--tui", "--port", &port, "--name", "zed"]);
    let play = Tty::start(&["1", "playground", "--port", "0"]);
    // SIGINT sent by `kill -INT` (in raw mode Ctrl-C is a key, not this signal).
    let interrupted = Tty::start(&["6", "client", "--tui", "--port", &port, "--name", "yu"]);
    chat.wait_screen("zed (you)");
    play.wait_screen("q quit");
    interrupted.wait_screen("yu (you)");
    let signals = [libc::SIGTERM, libc::SIGTERM, libc::SIGINT];
    for (mut tty, signal) in [chat, play, interrupted].into_iter().zip(signals) {
        // SAFETY: kill() with the pid of our own child, which has not been reaped.
        assert_eq!(unsafe { libc::kill(tty.pid(), signal) }, 0);
        assert_eq!(tty.wait_exit(), 0, "{}", tty.screen());
        tty.assert_terminal_restored();
        tty.wait_screen("stopped (a signal)");
    }
}

/// A program killed (and reaped) when the test ends, pass or fail.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// When the terminal is not the program's controlling terminal, closing it sends no
/// SIGHUP: the UI's own event loop must see that reads and writes fail, and stop.
#[test]
fn the_uis_stop_on_a_closed_terminal_even_without_a_sighup() {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::process::{Command, Stdio};

    let (_server, port) = Lab::server("6", &[]);
    let port = port.to_string();
    let uis: [(&[&str], &str); 2] = [
        (
            &["6", "client", "--tui", "--port", &port, "--name", "zed"],
            "zed (you)",
        ),
        (&["1", "playground", "--port", "0"], "q quit"),
    ];
    for (args, window) in uis {
        let (mut master, mut slave) = (-1, -1);
        let size = libc::winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty() writes two descriptors into the two ints; the name and
        // termios arguments may be null.
        // (`null_mut()` and `&raw mut size`: macOS declares the last two arguments `*mut`,
        // Linux `*const`; a `*mut` pointer serves both.)
        let mut size = size;
        let opened = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &raw mut size,
            )
        };
        assert_eq!(opened, 0, "a pseudo-terminal can be opened");
        // SAFETY: both descriptors were just opened and are owned by nobody else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        // The program must not inherit the master, or the terminal never closes.
        // SAFETY: fcntl() on a descriptor we own.
        unsafe { libc::fcntl(master_raw(&master), libc::F_SETFD, libc::FD_CLOEXEC) };
        let child = Command::new(lab_binary())
            .args(args)
            .env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone().expect("a copy of the slave")))
            .stdout(Stdio::from(slave))
            .stderr(Stdio::null())
            .spawn()
            .expect("lab starts");
        let mut child = Reaped(child);

        // Read what it draws until the window is up (so it is in its event loop).
        let mut screen = vt100::Parser::new(
            NonZeroU16::new(24).expect("rows"),
            NonZeroU16::new(80).expect("columns"),
            0,
        );
        let mut master = std::fs::File::from(master);
        let deadline = Instant::now() + SCREEN_PATIENCE;
        while !screen.screen().contents().contains(window) {
            assert!(
                Instant::now() < deadline,
                "`lab {}` drew no window:\n{}",
                args.join(" "),
                screen.screen().contents()
            );
            if readable(master_raw(&master), Duration::from_millis(50)) {
                let mut buf = [0u8; 8192];
                let n = master.read(&mut buf).expect("the window's output");
                screen.process(&buf[..n]);
            }
        }
        drop(master);

        let deadline = Instant::now() + SCREEN_PATIENCE;
        let status = loop {
            if let Some(status) = child.0.try_wait().expect("the child can be waited for") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "`lab {}` kept running on a closed terminal",
                args.join(" ")
            );
            thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(1), "`lab {}`", args.join(" "));
    }
}

fn master_raw(fd: &impl std::os::fd::AsRawFd) -> RawFd {
    fd.as_raw_fd()
}

/// The menu in Chinese (`--lang zh`): the question, the labs' titles, then a lab's
/// roles; Esc goes back and Esc leaves.
#[test]
fn the_menu_speaks_chinese_with_lang_zh() {
    let mut tty = Tty::start(&["--lang", "zh"]);
    let screen = tty.wait_screen("选择哪个实验");
    assert!(screen.contains("套接字的基本步骤"), "{screen}");
    tty.type_keys("\r");
    let screen = tty.wait_screen("选择哪个角色");
    assert!(screen.contains("回显服务器"), "{screen}");
    tty.type_keys("\x1b");
    // Back at the labs: the question a second time, below the first.
    let deadline = Instant::now() + SCREEN_PATIENCE;
    while tty.screen().matches("选择哪个实验").count() < 2 {
        assert!(Instant::now() < deadline, "{}", tty.screen());
        thread::sleep(Duration::from_millis(20));
    }
    tty.type_keys("\x1b");
    assert_eq!(tty.wait_exit(), 0);
}
