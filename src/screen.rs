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
//! Nothing here touches a socket.

use std::io::{self, IsTerminal, Stdout};
use std::sync::Once;
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

/// Refuses to start a full-screen UI on a pipe or a file, with a sentence saying what
/// to run instead (`what` names the UI, `instead` the plain command).
pub fn needs_terminal(what: &str, instead: &str) -> anyhow::Result<()> {
    if io::stdin().is_terminal() && io::stdout().is_terminal() {
        return Ok(());
    }
    anyhow::bail!(
        "{what} draws a window and needs a terminal, but its input or output is a pipe or \
         a file: run it in a terminal (for scripts and pipes, use {instead}: it reads \
         lines from stdin)"
    )
}

/// The terminal while a UI owns it. Dropping it gives the terminal back.
pub struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screen {
    /// Raw mode and the alternate screen, with the terminal's restoration armed for a
    /// panic and for SIGTERM/SIGHUP first, so there is no moment when it is missing.
    pub fn enter() -> anyhow::Result<Screen> {
        arm_restore();
        enable_raw_mode().map_err(|err| anyhow::anyhow!("could not set up the terminal: {err}"))?;
        if let Err(err) = execute!(io::stdout(), EnterAlternateScreen) {
            restore();
            anyhow::bail!("could not switch to the full-screen view: {err}");
        }
        match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(err) => {
                restore();
                anyhow::bail!("could not draw on the terminal: {err}")
            }
        }
    }

    /// Draws one frame (ratatui redraws only the cells that changed, and follows the
    /// terminal's size, so a resized window is simply drawn again).
    pub fn draw(&mut self, view: impl FnOnce(&mut Frame)) -> anyhow::Result<()> {
        self.terminal
            .draw(view)
            .map(|_| ())
            .map_err(|err| anyhow::anyhow!("could not draw on the terminal: {err}"))
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
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
/// reports them) are ignored; each key counts once, when pressed.
pub fn next_input(wait: Duration) -> anyhow::Result<Input> {
    let read_failed = |err: io::Error| anyhow::anyhow!("could not read the keyboard: {err}");
    if !event::poll(wait).map_err(read_failed)? {
        return Ok(Input::Nothing);
    }
    Ok(match event::read().map_err(read_failed)? {
        Event::Key(key) if key.kind == KeyEventKind::Press => Input::Key(key),
        Event::Resize(..) => Input::Resized,
        _ => Input::Nothing,
    })
}

/// Gives the terminal back: raw mode off, the shell's screen back, the cursor shown.
/// Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
}

/// On a panic: restore the terminal before the panic message prints, so the message
/// is readable. On SIGTERM or SIGHUP (a closed window): restore and exit; the OS
/// closes every socket of the process as it ends. (Ctrl-C in raw mode is a key, which
/// each UI handles as "leave".)
fn arm_restore() {
    static ARMED: Once = Once::new();
    ARMED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        // Another handler may already be installed; then that one ends the process.
        let _ = ctrlc::set_handler(|| {
            restore();
            eprintln!("stopped (a signal); the terminal is restored and the sockets are closed");
            std::process::exit(0);
        });
    });
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
        let mut last_space = None;
        while end < cells.len() && used + cells[end].2 <= width {
            if cells[end].0 == ' ' {
                last_space = Some(end);
            }
            used += cells[end].2;
            end += 1;
        }
        let mut next = end;
        if end < cells.len() {
            if cells[end].0 == ' ' {
                // The row ends right before a space: the space is the break.
                next = end + 1;
            } else if let Some(space) = last_space.filter(|&s| s > start) {
                // The row is full: end it after its last space.
                end = space + 1;
                next = end;
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
        assert_eq!(width_of("尹哲 ab"), 7);
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
