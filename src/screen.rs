//! A full-screen terminal UI (ratatui drawing, crossterm talking to the terminal)
//! that always gives the terminal back: on a normal exit, on Ctrl-C, on SIGTERM or a
//! closed window (SIGHUP), and on a panic. Used by `lab 6 client --tui` and
//! `lab 1 playground`.
//!
//! While a UI runs, the terminal is in *raw mode* (each key arrives at once, nothing
//! is echoed, Ctrl-C is a key rather than a signal) and on the *alternate screen* (the
//! shell's scrollback is left untouched). Leaving must undo both and show the cursor
//! again, or the student's shell is left blind and deaf.
//!
//! A terminal can also go away under a UI: the window is closed, the ssh connection
//! drops. Then reads return end-of-file or EIO and writes fail; the UI must stop at
//! once (exit code 1), never wait or loop on a terminal that is not there.
//!
//! Nothing here touches a socket.

use std::fmt;
use std::io::{self, IsTerminal, Stdout, Write};
use std::sync::{mpsc, Once};
use std::thread;
use std::time::Duration;

use crossterm::cursor::Show;
use crossterm::event::{self, Event, KeyEvent, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::{Frame, Terminal};
use unicode_width::UnicodeWidthChar;

use crate::lang::{pick, tr};

/// Refuses to start a full-screen UI on a pipe or a file, with a sentence saying what
/// to run instead (`what` names the UI, `instead` the plain command).
pub fn needs_terminal(what: &str, instead: &str) -> anyhow::Result<()> {
    if io::stdin().is_terminal() && io::stdout().is_terminal() {
        return Ok(());
    }
    anyhow::bail!(tr!(
        "{what} draws a window and needs a terminal, but its input or output is a pipe or \
         a file: run it in a terminal (for scripts and pipes, use {instead}: it reads \
         lines from stdin)",
        "{what} 要画一个窗口，需要终端，但它的输入或输出是管道或文件：请在终端里运行它\
         （脚本和管道请改用 {instead}，它从标准输入逐行读取）"
    ))
}

/// The error a UI stops with when its terminal went away. There is nobody left to read
/// a sentence, so the UI closes its sockets and exits with code 1 without a word
/// ([`exit_if_terminal_gone`]).
#[derive(Debug)]
pub struct TerminalGone;

impl fmt::Display for TerminalGone {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(pick(
            "the terminal went away (its window was closed)",
            "终端不见了（它的窗口被关掉了）",
        ))
    }
}

impl std::error::Error for TerminalGone {}

/// After a UI has closed its sockets: if it stopped because its terminal went away,
/// exit with code 1 now (printing the error would only fail again).
pub fn exit_if_terminal_gone(result: &anyhow::Result<()>) {
    if let Err(err) = result {
        if err.is::<TerminalGone>() {
            std::process::exit(1);
        }
    }
}

/// The terminal while a UI owns it. Dropping it gives the terminal back.
pub struct Screen {
    /// `None` only while it is dropped.
    terminal: Option<Terminal<CrosstermBackend<Stdout>>>,
}

impl Screen {
    /// Raw mode and the alternate screen, with the terminal's restoration armed for a
    /// panic and for SIGTERM/SIGHUP first, so there is no moment when it is missing.
    pub fn enter() -> anyhow::Result<Screen> {
        arm_restore();
        enable_raw_mode().map_err(|err| {
            anyhow::anyhow!(tr!(
                "could not set up the terminal: {err}",
                "无法设置终端：{err}"
            ))
        })?;
        if let Err(err) = execute!(io::stdout(), EnterAlternateScreen) {
            restore();
            anyhow::bail!(tr!(
                "could not switch to the full-screen view: {err}",
                "无法切换到全屏界面：{err}"
            ));
        }
        match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(terminal) => Ok(Screen {
                terminal: Some(terminal),
            }),
            Err(err) => {
                restore();
                anyhow::bail!(tr!(
                    "could not draw on the terminal: {err}",
                    "无法在终端上绘制：{err}"
                ))
            }
        }
    }

    /// Draws one frame (ratatui redraws only the cells that changed, and follows the
    /// terminal's size, so a resized window is simply drawn again).
    pub fn draw(&mut self, view: impl FnOnce(&mut Frame)) -> anyhow::Result<()> {
        let Some(terminal) = &mut self.terminal else {
            return Ok(());
        };
        terminal.draw(view).map(|_| ()).map_err(|err| {
            if hung_up(Duration::ZERO) {
                anyhow::Error::new(TerminalGone)
            } else {
                anyhow::anyhow!(tr!(
                    "could not draw on the terminal: {err}",
                    "无法在终端上绘制：{err}"
                ))
            }
        })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let restored = restore();
        if let Some(terminal) = self.terminal.take() {
            if restored {
                drop(terminal);
            } else {
                // The terminal is gone. ratatui's own drop would try to show the
                // cursor again and print its failure to stderr, which is gone too
                // (and printing there would panic): skip it, the process is ending.
                std::mem::forget(terminal);
            }
        }
    }
}

/// What the UI's event loop hears from the keyboard and the window.
pub enum Input {
    Key(KeyEvent),
    /// The window changed size: draw again.
    Resized,
    /// Nothing within the wait.
    Nothing,
}

/// Waits at most `wait` for a key or a resize. Key releases and repeats (Windows
/// reports them) are ignored; each key counts once, when pressed. A terminal that went
/// away is the error [`TerminalGone`].
///
/// On Linux the wait itself is a poll() of our own on the terminal, which reports a
/// hang-up; crossterm is then asked, without waiting, for the key. (crossterm's own
/// wait does not notice a hang-up: its read loop retries a read that returns EOF or
/// EIO, forever, at full speed.)
pub fn next_input(wait: Duration) -> anyhow::Result<Input> {
    if hung_up(Duration::ZERO) {
        return Err(TerminalGone.into());
    }
    // Keys crossterm has already read (a paste arrives as many keys in one read).
    if let Some(input) = take_event(Duration::ZERO)? {
        return Ok(input);
    }
    #[cfg(target_os = "linux")]
    let wait = match wait_for_terminal(wait, true) {
        Waited::Gone => return Err(TerminalGone.into()),
        // Bytes arrived: crossterm reads them now. (If crossterm had already taken
        // them, it waits for the next ones, so the caller's loop never spins.)
        Waited::Readable => wait,
        // The wait ended, or a signal (SIGWINCH: a resize) cut it short.
        Waited::Quiet => Duration::ZERO,
    };
    Ok(take_event(wait)?.unwrap_or(Input::Nothing))
}

/// crossterm's next event within `wait`; `None` when there was none.
fn take_event(wait: Duration) -> anyhow::Result<Option<Input>> {
    let read_failed = |err: io::Error| {
        if hung_up(Duration::ZERO) {
            anyhow::Error::new(TerminalGone)
        } else {
            anyhow::anyhow!(tr!(
                "could not read the keyboard: {err}",
                "无法读取键盘输入：{err}"
            ))
        }
    };
    if !event::poll(wait).map_err(read_failed)? {
        return Ok(None);
    }
    Ok(Some(match event::read().map_err(read_failed)? {
        Event::Key(key) if key.kind == KeyEventKind::Press => Input::Key(key),
        Event::Resize(..) => Input::Resized,
        _ => Input::Nothing,
    }))
}

#[cfg(target_os = "linux")]
#[derive(PartialEq)]
enum Waited {
    Readable,
    Quiet,
    Gone,
}

/// poll() on the terminal for at most `wait`: for keys on stdin (with `keys`), and
/// for a hang-up on stdin and stdout.
#[cfg(target_os = "linux")]
fn wait_for_terminal(wait: Duration, keys: bool) -> Waited {
    let mut fds = [
        libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: if keys { libc::POLLIN } else { 0 },
            revents: 0,
        },
        libc::pollfd {
            fd: libc::STDOUT_FILENO,
            events: 0,
            revents: 0,
        },
    ];
    let millis = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `fds` is an array of two pollfd that lives for the whole call.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, millis) };
    let gone = libc::POLLHUP | libc::POLLERR | libc::POLLNVAL;
    if ready > 0 && fds.iter().any(|fd| fd.revents & gone != 0) {
        Waited::Gone
    } else if ready > 0 && fds[0].revents & libc::POLLIN != 0 {
        Waited::Readable
    } else {
        // The wait ended, or a signal cut it short (poll() fails with EINTR).
        Waited::Quiet
    }
}

/// True when the terminal hung up (its window was closed), waiting at most `wait`.
/// Linux only: macOS's poll() does not work on terminals; there the SIGHUP handler
/// below stops the UI when its window closes.
fn hung_up(wait: Duration) -> bool {
    #[cfg(target_os = "linux")]
    return wait_for_terminal(wait, false) == Waited::Gone;
    #[cfg(not(target_os = "linux"))]
    {
        let _ = wait;
        false
    }
}

/// Gives the terminal back: raw mode off, the shell's screen back, the cursor shown.
/// Safe to call more than once. False when the terminal could not be written to.
pub fn restore() -> bool {
    let _ = disable_raw_mode();
    execute!(io::stdout(), LeaveAlternateScreen, Show).is_ok()
}

/// On a panic: restore the terminal before the panic message prints, so the message
/// is readable. On SIGTERM, SIGINT sent as a signal, or SIGHUP (a closed window):
/// restore and exit; the OS closes every socket of the process as it ends. (Ctrl-C in
/// raw mode is a key, which each UI handles as "leave".) And, on Linux, a watch for a
/// terminal that went away, in case the event loop cannot see it.
fn arm_restore() {
    static ARMED: Once = Once::new();
    ARMED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        // Another handler may already be installed; then that one ends the process.
        let _ = ctrlc::set_handler(stop_on_signal);
        #[cfg(target_os = "linux")]
        {
            let _ = thread::Builder::new()
                .name("terminal-watch".to_string())
                .spawn(|| loop {
                    if hung_up(Duration::from_millis(500)) {
                        // The event loop normally notices first and leaves in order.
                        thread::sleep(Duration::from_secs(2));
                        std::process::exit(1);
                    }
                });
        }
    });
}

/// The signal handler (it runs on a thread of its own). Restoring the terminal can
/// fail (a closed window: EIO) or block (a terminal nobody reads), so it is tried on
/// another thread, given a moment, and the process exits in any case: 0 when the
/// terminal was given back, 1 when it is gone. Nothing here may panic: a panic would
/// end the handler's thread, and every later signal would be ignored.
fn stop_on_signal() {
    let (done, restored) = mpsc::channel();
    let spawned = thread::Builder::new()
        .name("restore".to_string())
        .spawn(move || {
            let restored = restore();
            if restored {
                let _ = writeln!(
                    io::stderr(),
                    "{}",
                    pick(
                        "stopped (a signal); the terminal is restored and the sockets are closed",
                        "已停止（收到信号）；终端已恢复，套接字已关闭"
                    )
                );
            }
            let _ = done.send(restored);
        });
    let restored = spawned.is_ok() && restored.recv_timeout(Duration::from_secs(2)) == Ok(true);
    std::process::exit(if restored { 0 } else { 1 });
}

/// The `n`th peer's colour (the floor's palette, src/term.rs), for ratatui; `None`
/// with colours off (`--no-color`, `NO_COLOR`): the text alone must then be enough.
pub fn peer_color(n: usize) -> Option<Color> {
    if !colored::control::SHOULD_COLORIZE.should_colorize() {
        return None;
    }
    use colored::Color as C;
    Some(match crate::term::peer_color(n) {
        C::Cyan => Color::Cyan,
        C::Yellow => Color::Yellow,
        C::Magenta => Color::Magenta,
        C::Green => Color::Green,
        C::Blue => Color::LightBlue,
        C::Red => Color::LightRed,
        _ => Color::Reset,
    })
}

/// How an error line looks: light red with colours on, plain without (the words say
/// it is an error; the colour only helps).
pub fn error_style() -> Style {
    if colored::control::SHOULD_COLORIZE.should_colorize() {
        Style::default().fg(Color::LightRed)
    } else {
        Style::default()
    }
}

/// Styled text cut into rows of at most `width` columns, at spaces where it can
/// (a word longer than a row is cut where the row ends). Chinese characters take two
/// columns, as on the terminal. Always at least one row.
pub fn wrap(segments: &[(String, Style)], width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let cells: Vec<(char, Style, usize)> = segments
        .iter()
        .flat_map(|(text, style)| {
            text.chars()
                .map(move |c| (c, *style, c.width().unwrap_or(0)))
        })
        .collect();
    let mut rows = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let mut used = 0;
        let mut end = start;
        // The last place the row may end (exclusive), and where the next row starts.
        let mut last_break = None;
        while end < cells.len() && used + cells[end].2 <= width {
            if cells[end].0 == ' ' {
                last_break = Some((end + 1, end + 1));
            } else if end > start && breaks_before(&cells[end - 1..=end]) {
                last_break = Some((end, end));
            }
            used += cells[end].2;
            end += 1;
        }
        let mut next = end;
        if end < cells.len() {
            if cells[end].0 == ' ' {
                // The row ends right before a space: the space is the break.
                next = end + 1;
            } else if breaks_before(&cells[end - 1..=end]) {
                // The row ends between two Chinese characters: a break as good.
            } else if let Some((at, from)) = last_break.filter(|&(at, _)| at > start) {
                // The row is full: end it at its last break.
                end = at;
                next = from;
            } else if end == start {
                // A character wider than the whole row: give it a row of its own.
                end = start + 1;
                next = end;
            }
        }
        rows.push(styled_row(&cells[start..end]));
        start = next;
    }
    if rows.is_empty() {
        rows.push(Line::default());
    }
    rows
}

/// Whether a row may end between `pair[0]` and `pair[1]` (not at a space): Chinese
/// text has no spaces and breaks between any two characters, as long as the next row
/// does not start with closing punctuation (，。）) or the row end with an opening one.
fn breaks_before(pair: &[(char, Style, usize)]) -> bool {
    let (before, after) = (pair[0].0, pair[1].0);
    let wide = pair[0].2 == 2 || pair[1].2 == 2;
    let closes = "，。、；：？！）》」』】…,.;:?!)]}".contains(after);
    let opens = "（《「『【([{".contains(before);
    wide && !closes && !opens && before != ' '
}

/// One row: neighbouring characters of the same style become one span.
fn styled_row(cells: &[(char, Style, usize)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut current = None;
    for &(c, style, _) in cells {
        if current != Some(style) {
            if let Some(style) = current {
                spans.push(Span::styled(std::mem::take(&mut text), style));
            }
            current = Some(style);
        }
        text.push(c);
    }
    if let Some(style) = current {
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// `text` shortened to at most `width` terminal columns, with `…` where it was cut.
pub fn fit(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_string();
    }
    let mut shown = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        shown.push(c);
        used += w;
    }
    if width > 0 {
        shown.push('…');
    }
    shown
}

/// The display width of `text` in terminal columns.
pub fn width_of(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: usize) -> Vec<String> {
        wrap(&[(text.to_string(), Style::default())], width)
            .iter()
            .map(|line| line.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn text_wraps_at_spaces_and_long_words_are_cut() {
        assert_eq!(
            rows("hello brave new world", 11),
            ["hello brave", "new world"]
        );
        assert_eq!(
            rows("hello brave new world", 12),
            ["hello brave ", "new world"]
        );
        assert_eq!(rows("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(rows("", 10), [""]);
    }

    #[test]
    fn chinese_characters_take_two_columns() {
        assert_eq!(rows("你好世界", 5), ["你好", "世界"]);
        // A row breaks between Chinese characters, never before a closing mark.
        assert_eq!(
            rows("错误：会阻塞（阻塞的 accept() 会停在这里）", 20),
            ["错误：会阻塞（阻塞的", "accept() 会停在这", "里）"]
                .map(String::from)
                .to_vec()
        );
        assert_eq!(width_of("尹哲 ab"), 7);
        assert_eq!(fit("一二三四五六", 7), "一二三…");
        assert_eq!(fit("alice", 5), "alice");
        assert_eq!(fit("alice", 4), "ali…");
    }

    #[test]
    fn styles_survive_the_wrap() {
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let lines = wrap(
            &[
                ("<al> ".to_string(), bold),
                ("hi there".to_string(), Style::default()),
            ],
            8,
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].spans[0].style, bold);
        assert_eq!(lines[0].spans[0].content, "<al> ");
        assert_eq!(lines[0].spans[1].content, "hi ");
    }
}
