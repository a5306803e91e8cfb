//! The chat window: `lab 6 client --tui`. The same client as client.rs (socket(),
//! connect(), a reader thread, one send() per line), drawn as a window instead of
//! printed line after line:
//!
//! ```text
//! ┌ chat room at 127.0.0.1:5555 ─────────────────────┐┌ online (3) ──────┐
//! │* welcome, alice! Online (2): alice, bob. ...     ││alice (you)       │
//! │<bob> hi alice                                    ││bob               │
//! │<alice> hi bob                                    ││carol             │
//! └──────────────────────────────────────────────────┘└──────────────────┘
//! ┌ alice: Enter sends · /help · PgUp/PgDn scroll · Ctrl-C leaves ──────────┐
//! │what you are typing stays here while messages arrive                      │
//! └──────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! In the plain client, a line that arrives while you type is printed right into the
//! middle of your half-typed line (the terminal has one cursor, and both threads use
//! it). The classic PyQt chat window solves it with two widgets, a message list and an
//! input box; here they are two areas of the screen, redrawn by one thread:
//!
//! | Python (PyQt5 chat window)                   | here                                         |
//! |----------------------------------------------|----------------------------------------------|
//! | `QThread` whose `run()` loops on `recv()`    | the reader thread, `receive()` below         |
//! | `signal.emit(msg)` to the GUI thread         | `SyncSender::send(FromServer::Line(..))`     |
//! | `self.list.addItem(msg)`                     | `Chat::arrived()`, drawn by `Chat::view()`   |
//! | `self.edit.text()` on the Send button        | `KeyCode::Enter` in `Chat::key()`            |
//! | `self.sock.send((text + "\n").encode())`     | `send_line()`: one `write_all` per line      |
//!
//! The reader thread never draws: it hands each line to the main thread through a
//! bounded channel, and only the main thread touches the screen. (If the window falls
//! behind, the channel fills, the reader stops reading, and TCP's own flow control
//! slows the server down for this one client: nothing grows without a bound.)
//!
//! Everything the server sends is shown escaped (src/term.rs `safe`), and the
//! remembered state is bounded: the last 1000 messages of at most 4000 characters
//! each, 500 member names, 256 nick colours.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Position};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::ClientArgs;
use crate::chat_protocol::{
    parse_command, split_stamp, validate_nick, Command, Framed, LineFramer, MAX_LINE,
};
use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::screen::{self, needs_terminal, next_input, wrap, Input, Screen};
use crate::term::{preview, safe};

/// The most messages kept for scrolling back.
const MAX_MESSAGES: usize = 1000;
/// The most member names remembered (the room's count comes from the server).
const MAX_MEMBERS: usize = 500;
/// The most nicks given a colour of their own; later ones share the palette by hash.
const MAX_COLORS: usize = 256;
/// The most characters of one message shown (a longer one says how much is left out).
const MAX_SHOWN: usize = 4000;
/// Lines that may wait between the reader thread and the window.
const CHANNEL_LINES: usize = 1024;

/// What the reader thread hands to the window.
enum FromServer {
    Line(Vec<u8>),
    TooLong,
    /// The server closed the connection (`None`), or reading failed.
    Closed(Option<io::Error>),
}

pub(super) fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    needs_terminal(
        "`lab 6 client --tui`",
        pick(
            "`lab 6 client` without --tui",
            "`lab 6 client`（不带 --tui）",
        ),
    )?;

    // socket() + connect(), as in client.rs. Done before the window opens, so a
    // refused connection is an ordinary error sentence in the ordinary terminal.
    let (stream, server) = args.endpoint.connect_tcp(lab.number)?;
    if let Some(name) = &args.name {
        send_line(&stream, name).map_err(|err| connection_broke(server, &err))?;
    }

    let (to_window, from_server) = mpsc::sync_channel(CHANNEL_LINES);
    {
        let incoming = stream.try_clone().context(pick(
            "could not share the socket with a thread",
            "无法把套接字交给另一个线程",
        ))?;
        thread::Builder::new()
            .name("reader".to_string())
            .spawn(move || receive(incoming, &to_window))
            .context(pick(
                "could not start the reader thread",
                "无法启动读取线程",
            ))?;
    }

    let mut chat = Chat::new(server, args.name.clone());
    let mut screen = Screen::enter()?;
    let result = run_window(&mut screen, &mut chat, &stream, &from_server);
    // The terminal first, so whatever is printed next (an error) is readable.
    drop(screen);
    let _ = stream.shutdown(Shutdown::Both);
    // A closed window: the socket is closed, and there is nobody to tell.
    screen::exit_if_terminal_gone(&result);
    result
}

/// One line, one send(): the text and its `\n` leave in one `write_all`, so the
/// server never sees half a line from us.
fn send_line(mut stream: &TcpStream, line: &str) -> io::Result<()> {
    stream.write_all(format!("{line}\n").as_bytes())
}

fn connection_broke(server: SocketAddr, err: &io::Error) -> anyhow::Error {
    anyhow::anyhow!(tr!(
        "the connection to the chat room at {server} broke: {}",
        "与 {server} 上聊天室的连接断开了：{}",
        hint::describe(err)
    ))
}

/// The reader thread: recv() in a loop, cut into lines, handed to the window.
fn receive(mut stream: TcpStream, to_window: &SyncSender<FromServer>) {
    // Server lines can be long (a /list of a full lecture hall), but not unbounded.
    let mut framer = LineFramer::new(64 * 1024);
    let mut buf = [0u8; 8192];
    let mut lines = Vec::new();
    let closed = loop {
        match stream.read(&mut buf) {
            // recv() returned 0 bytes: the server closed its side (EOF).
            Ok(0) => break None,
            Ok(n) => {
                framer.push(&buf[..n], &mut lines);
                for framed in lines.drain(..) {
                    let message = match framed {
                        Framed::Line(line) => FromServer::Line(line),
                        Framed::TooLong => FromServer::TooLong,
                    };
                    if to_window.send(message).is_err() {
                        return; // the window has closed
                    }
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => break Some(err),
        }
    };
    let _ = to_window.send(FromServer::Closed(closed));
}

/// The event loop: draw, wait briefly for a key, take what arrived, repeat.
fn run_window(
    screen: &mut Screen,
    chat: &mut Chat,
    stream: &TcpStream,
    from_server: &Receiver<FromServer>,
) -> anyhow::Result<()> {
    let mut dirty = true;
    loop {
        if dirty {
            screen.draw(|frame| chat.view(frame))?;
            dirty = false;
        }
        match next_input(Duration::from_millis(40))? {
            Input::Key(key) => {
                dirty = true;
                match chat.key(key) {
                    Action::Nothing => {}
                    Action::Send(line) => {
                        if let Err(err) = send_line(stream, &line) {
                            chat.closed(Some(err));
                        }
                    }
                    Action::Leave => return Ok(()),
                    Action::LeaveWithError(sentence) => anyhow::bail!(sentence),
                }
            }
            Input::Resized => dirty = true,
            Input::Nothing => {}
        }
        loop {
            match from_server.try_recv() {
                Ok(message) => {
                    chat.arrived(message);
                    dirty = true;
                }
                Err(TryRecvError::Empty) => break,
                // The reader has ended; what it said last has been taken.
                Err(TryRecvError::Disconnected) => break,
            }
        }
        if let Some(since) = chat.leaving {
            // After /quit: wait (briefly) for the server's goodbye and its close.
            if chat.closed_why.is_some() || since.elapsed() > Duration::from_secs(3) {
                return Ok(());
            }
        }
    }
}

/// What a key asks the event loop to do.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Nothing,
    Send(String),
    Leave,
    LeaveWithError(String),
}

/// One message as shown: pieces of text (already escaped) with their styles.
type Shown = Vec<(String, Style)>;

/// Everything the window shows, and nothing that touches a socket or the terminal,
/// so it can be unit-tested.
struct Chat {
    server: SocketAddr,
    messages: VecDeque<Shown>,
    /// Rows scrolled back from the newest (0: following the conversation).
    scroll: usize,
    /// The width the messages were last wrapped to, to keep a scrolled view still.
    last_width: usize,
    /// How many rows the last PageUp/PageDown moves.
    page: usize,
    input: Vec<char>,
    /// The cursor, as an index into `input`.
    cursor: usize,
    /// Our nick once the server has welcomed us; until then, the one we asked for.
    me: Option<String>,
    wanted: Option<String>,
    members: BTreeSet<String>,
    /// The room's count, as the server last said it.
    online: Option<usize>,
    colors: HashMap<String, usize>,
    /// The server's last explanation (`[admin] ...`, `! ...`): why it may close.
    last_word: Option<String>,
    /// Set when the connection has ended: why, in a sentence.
    closed_why: Option<String>,
    /// Set when we asked to leave (/quit, Ctrl-C).
    leaving: Option<Instant>,
}

/// What a line from the server says about who is in the room.
#[derive(Debug, PartialEq, Eq)]
enum News {
    /// The welcome (`you` is set) or a /list: the room's count and the names it gave.
    Here {
        you: Option<String>,
        count: usize,
        names: Vec<String>,
    },
    Joined(String, usize),
    Left(String, usize),
    Renamed {
        old: String,
        new: String,
    },
    YouAre(String),
    Spoke(String),
}

/// Reads the server's news lines (see server.rs and room.rs for how they are made):
/// `* welcome, alice! Online (2): alice, bob. /help ...`, `* online (2): alice, bob`,
/// `* bob joined (3 online)`, `* bob left (2 online)` (or `lost the connection`,
/// `was kicked ...`, `was dropped ...`), `* bob is now known as rob`,
/// `* you are now rob`, and `<bob> text`.
fn news(line: &str) -> Option<News> {
    if let Some((nick, _)) = split_stamp(line.as_bytes()) {
        return Some(News::Spoke(String::from_utf8_lossy(nick).into_owned()));
    }
    let news = line.strip_prefix("* ")?;
    if let Some(rest) = news.strip_prefix("welcome, ") {
        let (you, rest) = rest.split_once("! Online (")?;
        let (count, names) = rest.split_once("): ")?;
        let names = names
            .rsplit_once(". /help")
            .map_or(names, |(names, _)| names);
        return Some(News::Here {
            you: Some(you.to_string()),
            count: count.parse().ok()?,
            names: listed_names(names),
        });
    }
    if let Some(rest) = news.strip_prefix("online (") {
        let (count, names) = rest.split_once("): ")?;
        return Some(News::Here {
            you: None,
            count: count.parse().ok()?,
            names: listed_names(names),
        });
    }
    if let Some(new) = news.strip_prefix("you are now ") {
        return Some(News::YouAre(new.trim().to_string()));
    }
    if let Some((old, new)) = news.split_once(" is now known as ") {
        return Some(News::Renamed {
            old: old.to_string(),
            new: new.trim().to_string(),
        });
    }
    // `NICK what (N online)`: the count is in the last parentheses.
    let (before, count) = news.strip_suffix(" online)")?.rsplit_once(" (")?;
    let count = count.parse().ok()?;
    let (nick, what) = before.split_once(' ')?;
    let nick = nick.to_string();
    if what == "joined" {
        Some(News::Joined(nick, count))
    } else if what == "left"
        || what.starts_with("lost the connection")
        || what.starts_with("was kicked")
        || what.starts_with("was dropped")
    {
        Some(News::Left(nick, count))
    } else {
        None
    }
}

/// `alice, bob, carol` → the names. A server may shorten a long list (`... and 40
/// more`): only pieces that are valid nicknames count.
fn listed_names(list: &str) -> Vec<String> {
    list.split(", ")
        .map(|piece| piece.split(" and ").next().unwrap_or(piece).trim())
        .filter(|name| validate_nick(name).is_ok())
        .map(str::to_string)
        .collect()
}

impl Chat {
    fn new(server: SocketAddr, wanted: Option<String>) -> Chat {
        let mut chat = Chat {
            server,
            messages: VecDeque::new(),
            scroll: 0,
            last_width: 80,
            page: 10,
            input: Vec::new(),
            cursor: 0,
            me: None,
            wanted,
            members: BTreeSet::new(),
            online: None,
            colors: HashMap::new(),
            last_word: None,
            closed_why: None,
            leaving: None,
        };
        if let Some(name) = chat.wanted.clone() {
            chat.color_of(&name); // you get the first colour
        }
        chat.note(&tr!("connected to {server}", "已连接到 {server}"));
        chat
    }

    /// The style of a nick: its own colour, the same every time it appears.
    fn color_of(&mut self, nick: &str) -> Style {
        let n = match self.colors.get(nick) {
            Some(&n) => n,
            None if self.colors.len() < MAX_COLORS => {
                let n = self.colors.len();
                self.colors.insert(nick.to_string(), n);
                n
            }
            // Past the bound, a colour picked from the name itself.
            None => nick.bytes().map(usize::from).sum(),
        };
        match screen::peer_color(n) {
            Some(color) => Style::default().fg(color).add_modifier(Modifier::BOLD),
            None => Style::default().add_modifier(Modifier::BOLD),
        }
    }

    /// A line of our own (not from the server), marked `--`.
    fn note(&mut self, text: &str) {
        let style = Style::default().add_modifier(Modifier::ITALIC);
        self.push(vec![(format!("-- {text}"), style)]);
    }

    fn push(&mut self, shown: Shown) {
        if self.scroll > 0 {
            // Scrolled back: keep the same rows in view while new ones arrive below.
            self.scroll += wrap(&shown, self.last_width).len();
        }
        self.messages.push_back(shown);
        if self.messages.len() > MAX_MESSAGES {
            self.messages.pop_front();
        }
    }

    fn arrived(&mut self, message: FromServer) {
        match message {
            FromServer::Line(line) => {
                let shown = self.show_line(&line);
                self.push(shown);
                let text = String::from_utf8_lossy(&line);
                if let Some(news) = news(&text) {
                    self.take_news(news);
                }
                let explains = line.starts_with(b"[admin] ") || line.starts_with(b"! ");
                self.last_word = explains.then(|| safe(&line));
            }
            FromServer::TooLong => self.note(pick(
                "(the server sent a line too long to show)",
                "（服务器发来的一行太长，无法显示）",
            )),
            FromServer::Closed(err) => self.closed(err),
        }
    }

    /// The connection has ended (or a send failed).
    fn closed(&mut self, err: Option<io::Error>) {
        if self.closed_why.is_some() {
            return;
        }
        let server = self.server;
        let why = match (err, &self.last_word) {
            _ if self.leaving.is_some() => {
                pick("you left the chat room", "你离开了聊天室").to_string()
            }
            (None, Some(word)) => tr!(
                "the chat room at {server} closed the connection after: {word}",
                "{server} 上的聊天室说完最后一句就关闭了连接：{word}"
            ),
            (None, None) => tr!(
                "the chat room at {server} closed the connection: the server stopped. \
                 Start `lab 6 server` again and reconnect",
                "{server} 上的聊天室关闭了连接：服务器停止了。请重新启动 `lab 6 server`，\
                 然后再连接"
            ),
            (Some(err), _) => connection_broke(server, &err).to_string(),
        };
        self.note(&why);
        self.closed_why = Some(why);
    }

    fn take_news(&mut self, news: News) {
        match news {
            News::Here { you, count, names } => {
                if let Some(you) = you {
                    self.me = Some(you);
                }
                self.online = Some(count);
                self.members = names.into_iter().take(MAX_MEMBERS).collect();
            }
            News::Joined(nick, count) => {
                self.online = Some(count);
                self.remember(nick);
            }
            News::Left(nick, count) => {
                self.online = Some(count);
                self.members.remove(&nick);
            }
            News::Renamed { old, new } => {
                if self.members.remove(&old) {
                    self.remember(new);
                }
            }
            News::YouAre(new) => {
                if let Some(old) = self.me.replace(new.clone()) {
                    self.members.remove(&old);
                }
                self.remember(new);
            }
            News::Spoke(nick) => self.remember(nick),
        }
        if let Some(me) = self.me.clone() {
            self.remember(me);
        }
    }

    fn remember(&mut self, nick: String) {
        if self.members.len() < MAX_MEMBERS || self.members.contains(&nick) {
            self.members.insert(nick);
        }
    }

    /// A line from the server, ready to draw: the sender's nick in its colour, the
    /// rest escaped (no escape sequence, bell or carriage return gets through raw).
    fn show_line(&mut self, line: &[u8]) -> Shown {
        let plain = Style::default();
        let (private, rest) = match line.strip_prefix(b"[private] ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        if let Some((nick, text)) = split_stamp(rest) {
            let nick = safe(nick);
            let mut shown = Vec::new();
            if private {
                shown.push((
                    "[private] ".to_string(),
                    plain.add_modifier(Modifier::ITALIC),
                ));
            }
            shown.push((format!("<{nick}>"), self.color_of(&nick)));
            shown.push((format!(" {}", preview(text, MAX_SHOWN)), plain));
            return shown;
        }
        let style = if line.starts_with(b"! ") {
            screen::error_style()
        } else if line.starts_with(b"[admin] ") || line.starts_with(b"[private") {
            plain.add_modifier(Modifier::BOLD)
        } else {
            plain
        };
        vec![(preview(line, MAX_SHOWN), style)]
    }

    /// A key: edit the input line, scroll, send, or leave.
    fn key(&mut self, key: KeyEvent) -> Action {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.closed_why.is_some() {
            // The connection is gone: any of these leaves, with the reason.
            return match key.code {
                KeyCode::Enter | KeyCode::Esc => self.leave_closed(),
                KeyCode::Char('c' | 'd') if ctrl => self.leave_closed(),
                _ => Action::Nothing,
            };
        }
        match key.code {
            KeyCode::Char('c') if ctrl => self.quit(),
            KeyCode::Char('d') if ctrl && self.input.is_empty() => self.quit(),
            KeyCode::Char('u') if ctrl => {
                self.input.drain(..self.cursor);
                self.cursor = 0;
                Action::Nothing
            }
            KeyCode::Char(c) if !ctrl => {
                // At most MAX_LINE bytes: the server refuses longer lines anyway.
                let bytes: usize = self.input.iter().map(|c| c.len_utf8()).sum();
                if bytes + c.len_utf8() <= MAX_LINE {
                    self.input.insert(self.cursor, c);
                    self.cursor += 1;
                }
                Action::Nothing
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.input.remove(self.cursor);
                Action::Nothing
            }
            KeyCode::Delete if self.cursor < self.input.len() => {
                self.input.remove(self.cursor);
                Action::Nothing
            }
            KeyCode::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                Action::Nothing
            }
            KeyCode::Right => {
                self.cursor = (self.cursor + 1).min(self.input.len());
                Action::Nothing
            }
            KeyCode::Home => {
                self.cursor = 0;
                Action::Nothing
            }
            KeyCode::End => {
                self.cursor = self.input.len();
                Action::Nothing
            }
            KeyCode::PageUp => {
                self.scroll += self.page;
                Action::Nothing
            }
            KeyCode::PageDown => {
                self.scroll = self.scroll.saturating_sub(self.page);
                Action::Nothing
            }
            KeyCode::Enter => self.enter(),
            _ => Action::Nothing,
        }
    }

    /// Enter: the typed line goes to the server as it is (commands included: the
    /// server understands them, as with the plain client and `nc`).
    fn enter(&mut self) -> Action {
        let line: String = self.input.drain(..).collect();
        self.cursor = 0;
        if line.is_empty() {
            return Action::Nothing;
        }
        if line.trim().eq_ignore_ascii_case("/quit") {
            return self.quit();
        }
        self.scroll = 0; // back to the newest, where your line appears
        match (&self.me, parse_command(&line)) {
            // The server does not send our own chat back to us: show it ourselves.
            (Some(me), Command::Say(text)) => {
                let me = me.clone();
                let mine = self.color_of(&me);
                self.push(vec![
                    (format!("<{me}>"), mine),
                    (format!(" {}", safe(text.as_bytes())), Style::default()),
                ]);
            }
            // Not in the room yet: this line is a nickname.
            (None, _) => {
                self.wanted = Some(line.clone());
                self.note(&tr!("nickname: {}", "昵称：{}", safe(line.as_bytes())));
            }
            // Commands: the server answers them.
            _ => {}
        }
        Action::Send(line)
    }

    /// /quit, Ctrl-C, Ctrl-D: say /quit and wait for the server's goodbye. Before
    /// joining there is nobody to say goodbye to: leave at once.
    fn quit(&mut self) -> Action {
        if self.me.is_none() {
            return Action::Leave;
        }
        if self.leaving.is_none() {
            self.leaving = Some(Instant::now());
            return Action::Send("/quit".to_string());
        }
        Action::Nothing
    }

    fn leave_closed(&self) -> Action {
        match &self.closed_why {
            Some(why) if self.leaving.is_none() => Action::LeaveWithError(why.clone()),
            _ => Action::Leave,
        }
    }

    /// Draws the window: messages and members above, the input line below.
    fn view(&mut self, frame: &mut Frame) {
        let [top, bottom] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(frame.area());
        // The member list takes 20 columns when the window is wide enough for both.
        let side = if top.width >= 60 { 20 } else { 0 };
        let [left, right] =
            Layout::horizontal([Constraint::Min(20), Constraint::Length(side)]).areas(top);

        // Messages: wrap them all to the width, show the rows that end `scroll` rows
        // above the newest.
        let mut block =
            Block::bordered().title(tr!(" chat room at {} ", " {} 上的聊天室 ", self.server));
        let inner = block.inner(left);
        let width = usize::from(inner.width);
        let height = usize::from(inner.height);
        self.last_width = width;
        self.page = height.saturating_sub(1).max(1);
        // Only as many messages as the view needs are wrapped, newest first.
        let need = height + self.scroll;
        let mut rows: Vec<Line> = Vec::new();
        for shown in self.messages.iter().rev() {
            rows.extend(wrap(shown, width).into_iter().rev());
            if rows.len() >= need {
                break;
            }
        }
        rows.reverse();
        self.scroll = self.scroll.min(rows.len().saturating_sub(height));
        if self.scroll > 0 {
            block = block.title_bottom(tr!(
                " scrolled back {} rows: PgDn for newer ",
                " 已往回翻 {} 行：按 PgDn 看更新的 ",
                self.scroll
            ));
        }
        let end = rows.len() - self.scroll;
        let start = end.saturating_sub(height);
        frame.render_widget(Paragraph::new(rows[start..end].to_vec()).block(block), left);

        if side > 0 {
            self.view_members(frame, right);
        }
        self.view_input(frame, bottom);
    }

    fn view_members(&mut self, frame: &mut Frame, area: ratatui::layout::Rect) {
        let count = self.online.map_or("?".to_string(), |n| n.to_string());
        let block = Block::bordered().title(tr!(" online ({count}) ", " 在线（{count}） "));
        let height = usize::from(block.inner(area).height);
        let width = usize::from(block.inner(area).width);
        let mut names: Vec<String> = self.members.iter().cloned().collect();
        names.sort_by_key(|n| n.to_lowercase());
        // The room's count can be higher than the names we know (a shortened /list).
        let everyone = self.online.unwrap_or(0).max(names.len());
        let unnamed = everyone - names.len();
        let total = names.len() + usize::from(unnamed > 0);
        let mut rows = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if total > height && i + 1 >= height {
                rows.push(Line::from(tr!("+{} more", "另有 {} 人", everyone - i)));
                break;
            }
            let you = if Some(name) == self.me.as_ref() {
                pick(" (you)", "（你）")
            } else {
                ""
            };
            let style = self.color_of(name);
            // A long name is shortened, so that "(you)" still shows after it.
            let room = width.saturating_sub(screen::width_of(you));
            let shown = screen::fit(&safe(name.as_bytes()), room);
            rows.push(Line::styled(format!("{shown}{you}"), style));
        }
        if unnamed > 0 && rows.len() < height {
            rows.push(Line::from(tr!("+{unnamed} more", "另有 {unnamed} 人")));
        }
        frame.render_widget(Paragraph::new(rows).block(block), area);
    }

    fn view_input(&self, frame: &mut Frame, area: ratatui::layout::Rect) {
        let title = if self.closed_why.is_some() {
            pick(
                " the connection is closed: Enter leaves ",
                " 连接已关闭：按 Enter 离开 ",
            )
            .to_string()
        } else if self.leaving.is_some() {
            pick(" leaving... ", " 正在离开…… ").to_string()
        } else if let Some(me) = &self.me {
            let me = safe(me.as_bytes());
            let title = tr!(
                " {me}: Enter sends · /help · PgUp/PgDn scroll · Ctrl-C leaves ",
                " {me}：Enter 发送 · /help · PgUp/PgDn 翻页 · Ctrl-C 离开 "
            );
            // A long nickname (16 Chinese characters are 32 columns) leaves no room
            // for every key: the two that matter most, so the title is not cut.
            if screen::width_of(&title) + 2 > usize::from(area.width) {
                tr!(
                    " {me}: Enter sends · Ctrl-C leaves ",
                    " {me}：Enter 发送 · Ctrl-C 离开 "
                )
            } else {
                title
            }
        } else {
            pick(
                " type your nickname and press Enter · Ctrl-C leaves ",
                " 输入你的昵称，按 Enter 加入 · Ctrl-C 离开 ",
            )
            .to_string()
        };
        let block = Block::bordered().title(title);
        let inner = block.inner(area);
        // Long lines scroll sideways so the cursor stays in view.
        let room = usize::from(inner.width).saturating_sub(1);
        let mut start = 0;
        while screen::width_of(&self.input[start..self.cursor].iter().collect::<String>()) > room {
            start += 1;
        }
        let visible: String = self.input[start..].iter().collect();
        let before: String = self.input[start..self.cursor].iter().collect();
        frame.render_widget(Paragraph::new(visible).block(block), area);
        if self.closed_why.is_none() {
            let x = inner.x + u16::try_from(screen::width_of(&before)).unwrap_or(inner.width);
            frame.set_cursor_position(Position::new(x.min(inner.right()), inner.y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat() -> Chat {
        Chat::new(
            "127.0.0.1:5555".parse().expect("an address"),
            Some("alice".into()),
        )
    }

    fn text(shown: &Shown) -> String {
        shown.iter().map(|(t, _)| t.as_str()).collect()
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_servers_news_lines_are_read() {
        assert_eq!(
            news("* welcome, alice! Online (2): alice, bob. /help lists the commands"),
            Some(News::Here {
                you: Some("alice".into()),
                count: 2,
                names: vec!["alice".into(), "bob".into()]
            })
        );
        assert_eq!(
            news("* online (41): a, b and 39 more"),
            Some(News::Here {
                you: None,
                count: 41,
                names: vec!["a".into(), "b".into()]
            })
        );
        assert_eq!(
            news("* bob joined (3 online)"),
            Some(News::Joined("bob".into(), 3))
        );
        assert_eq!(
            news("* bob left (2 online)"),
            Some(News::Left("bob".into(), 2))
        );
        assert_eq!(
            news("* bob was kicked by the administrator: spam (now) (1 online)"),
            Some(News::Left("bob".into(), 1))
        );
        assert_eq!(
            news("* bob is now known as rob"),
            Some(News::Renamed {
                old: "bob".into(),
                new: "rob".into()
            })
        );
        assert_eq!(
            news("<bob> * carol joined (9 online)"),
            Some(News::Spoke("bob".into()))
        );
        assert_eq!(news("[admin] * carol joined (9 online)"), None);
        assert_eq!(news("! nickname \"bob\" is taken. Choose another:"), None);
    }

    #[test]
    fn members_follow_joins_leaves_and_renames() {
        let mut chat = chat();
        for line in [
            "* welcome, alice! Online (2): alice, bob. /help lists the commands",
            "* carol joined (3 online)",
            "* bob left (2 online)",
            "* carol is now known as caro",
        ] {
            chat.arrived(FromServer::Line(line.as_bytes().to_vec()));
        }
        assert_eq!(chat.me.as_deref(), Some("alice"));
        assert_eq!(chat.online, Some(2));
        assert_eq!(chat.members.iter().collect::<Vec<_>>(), ["alice", "caro"]);
    }

    #[test]
    fn what_peers_send_is_escaped_and_nicks_keep_their_colour() {
        let mut chat = chat();
        let shown = chat.show_line(b"<eve> \x1b[2Jhi\x07");
        assert_eq!(text(&shown), "<eve> \\e[2Jhi\\x07");
        let again = chat.show_line(b"<eve> again");
        assert_eq!(shown[0].1, again[0].1);
        assert_ne!(chat.colors["alice"], chat.colors["eve"]);
    }

    #[test]
    fn the_remembered_state_is_bounded() {
        let mut chat = chat();
        for n in 0..(MAX_MESSAGES + 50) {
            chat.arrived(FromServer::Line(format!("<n{n}> hi").into_bytes()));
        }
        assert_eq!(chat.messages.len(), MAX_MESSAGES);
        assert!(chat.members.len() <= MAX_MEMBERS);
        assert!(chat.colors.len() <= MAX_COLORS);
    }

    #[test]
    fn typing_edits_the_line_and_enter_sends_it_once() {
        let mut chat = chat();
        chat.arrived(FromServer::Line(
            b"* welcome, alice! Online (1): alice. /help".to_vec(),
        ));
        for c in "helo".chars() {
            chat.key(key(KeyCode::Char(c)));
        }
        chat.key(key(KeyCode::Left));
        chat.key(key(KeyCode::Char('l')));
        assert_eq!(chat.key(key(KeyCode::Enter)), Action::Send("hello".into()));
        assert!(chat.input.is_empty());
        assert_eq!(text(chat.messages.back().expect("shown")), "<alice> hello");
        assert_eq!(chat.key(key(KeyCode::Enter)), Action::Nothing);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(chat.key(ctrl_c), Action::Send("/quit".into()));
    }

    #[test]
    fn a_closed_connection_says_why_and_the_next_key_leaves_with_it() {
        let mut chat = chat();
        chat.arrived(FromServer::Line(b"[admin] you were kicked".to_vec()));
        chat.arrived(FromServer::Closed(None));
        match chat.key(key(KeyCode::Enter)) {
            Action::LeaveWithError(why) => assert!(why.contains("you were kicked"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
