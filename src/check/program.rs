//! The student's program under check: started with `{port}`/`{host}` filled in and
//! `LAB_PORT`/`LAB_HOST` set, its output captured as it comes, its stdin ours to type
//! into, and it, and everything it started, ended when the check ends.
//!
//! Ending "everything it started" is the hard part: a program may fork helpers or
//! start a shell that starts Python. On Unix the program is the leader of a new
//! process group, and we kill the whole group. On Linux the checker is also a "child
//! subreaper": a grandchild whose parent died (or that left the group with setsid)
//! becomes our child instead of init's, so we find it and end it too. On Windows
//! `taskkill /T /F` ends the program and the processes it started; one whose parent
//! already ended is not found (the guide of lab 1, "Your turn", says so).

use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::lang::{pick, tr};

/// The process group of the program being checked (its pid), for the Ctrl-C handler.
/// 0 when no program runs.
static RUNNING: AtomicI32 = AtomicI32::new(0);
/// Set by the Ctrl-C handler before it ends the program and then exits with 130.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Where a line of the program's output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// The most output kept per stream; older bytes are dropped (a program printing in
/// a loop must not eat the checker's memory).
const KEEP_BYTES: usize = 1 << 20;
/// The most output lines kept for showing.
const KEEP_LINES: usize = 400;
/// How long an ended program's last output may take to arrive: the reader threads
/// need only be scheduled, but on a loaded machine that can take a while.
const LAST_OUTPUT: Duration = Duration::from_secs(2);

/// Everything the program printed so far.
#[derive(Default)]
pub struct Captured {
    /// stdout's bytes; `base` bytes before them were dropped.
    stdout: Vec<u8>,
    base: usize,
    /// Whole lines of both streams, in the order they arrived, plus each stream's
    /// unfinished last line (a prompt such as `>>> `).
    lines: Vec<(Stream, Vec<u8>)>,
    partial: [Vec<u8>; 2],
    /// How many lines were dropped from the front of `lines`.
    lines_dropped: usize,
    /// How many of the two streams have reached their end (the program closed them).
    streams_ended: u8,
}

impl Captured {
    fn push(&mut self, stream: Stream, bytes: &[u8]) {
        if stream == Stream::Out {
            self.stdout.extend_from_slice(bytes);
            if self.stdout.len() > KEEP_BYTES {
                let drop = self.stdout.len() - KEEP_BYTES / 2;
                self.stdout.drain(..drop);
                self.base += drop;
            }
        }
        let i = stream as usize;
        for &b in bytes {
            if b == b'\n' {
                let line = std::mem::take(&mut self.partial[i]);
                self.lines.push((stream, line));
            } else if self.partial[i].len() < 4096 {
                self.partial[i].push(b);
            }
        }
        if self.lines.len() > KEEP_LINES {
            let drop = self.lines.len() - KEEP_LINES / 2;
            self.lines.drain(..drop);
            self.lines_dropped += drop;
        }
    }

    /// stdout from absolute offset `from` on.
    pub fn stdout_since(&self, from: usize) -> &[u8] {
        &self.stdout[from.saturating_sub(self.base).min(self.stdout.len())..]
    }

    /// The absolute offset of the end of stdout.
    pub fn stdout_end(&self) -> usize {
        self.base + self.stdout.len()
    }

    /// The number of lines so far (absolute, counting dropped ones).
    pub fn line_count(&self) -> usize {
        self.lines_dropped + self.lines.len()
    }

    /// Lines from absolute line number `from` on, at most `max` (the last ones), with
    /// each stream's unfinished line at the end.
    pub fn lines_since(&self, from: usize, max: usize) -> Vec<(Stream, Vec<u8>)> {
        let start = from
            .saturating_sub(self.lines_dropped)
            .min(self.lines.len());
        let mut shown: Vec<(Stream, Vec<u8>)> = self.lines[start..].to_vec();
        for (i, stream) in [Stream::Out, Stream::Err].into_iter().enumerate() {
            if !self.partial[i].is_empty() {
                shown.push((stream, self.partial[i].clone()));
            }
        }
        let skip = shown.len().saturating_sub(max);
        shown.split_off(skip)
    }

    /// Only the finished lines from absolute line number `from` on.
    pub fn whole_lines_since(&self, from: usize) -> Vec<(Stream, Vec<u8>)> {
        let start = from
            .saturating_sub(self.lines_dropped)
            .min(self.lines.len());
        self.lines[start..].to_vec()
    }

    /// `TODO 3 (listen): not written yet`, if a starter's TODO was reached.
    pub fn todo_reached(&self) -> Option<String> {
        let mut all = self.lines.clone();
        all.push((Stream::Out, self.partial[0].clone()));
        all.into_iter().find_map(|(_, line)| {
            let text = String::from_utf8_lossy(&line).into_owned();
            let start = text.find("TODO ")?;
            text[start..]
                .contains("not written yet")
                .then(|| text[start..].trim_end().to_string())
        })
    }
}

/// Output shared between the reader threads and the checker, with a condition
/// variable that wakes whoever waits for new output.
pub type Shared = Arc<(Mutex<Captured>, Condvar)>;

/// A running student program.
pub struct Program {
    child: Child,
    stdin: Option<ChildStdin>,
    pub output: Shared,
    status: Option<ExitStatus>,
}

/// What went wrong starting the program: the command cannot be run at all.
pub fn describe_spawn_error(program: &str, err: &io::Error) -> String {
    if err.kind() == io::ErrorKind::NotFound {
        tr!(
            "could not start `{program}`: no such program. Is it installed and on your PATH? \
             (Python is often `python3` on Linux and macOS, `python` or `py` on Windows)",
            "无法启动 `{program}`：没有这个程序。它安装了吗？在 PATH 里吗？（Python 在 Linux \
             和 macOS 上通常是 `python3`，在 Windows 上是 `python` 或 `py`）"
        )
    } else if err.kind() == io::ErrorKind::PermissionDenied {
        tr!(
            "could not start `{program}`: permission denied (is the file executable?)",
            "无法启动 `{program}`：权限不足（这个文件有可执行权限吗？）"
        )
    } else {
        tr!(
            "could not start `{program}`: {err}",
            "无法启动 `{program}`：{err}"
        )
    }
}

impl Program {
    /// Starts `argv` with the given extra environment variables.
    pub fn start(
        argv: &[String],
        env: &[(String, String)],
        cwd: Option<&std::path::Path>,
    ) -> Result<Program, String> {
        let mut command = Command::new(&argv[0]);
        if let Some(cwd) = cwd {
            command.current_dir(cwd);
        }
        command
            .args(&argv[1..])
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONUTF8", "1")
            .env("PYTHONIOENCODING", "utf-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // A process group of its own, led by the program: one kill() ends them all.
            command.process_group(0);
        }
        let mut child = command
            .spawn()
            .map_err(|err| describe_spawn_error(&argv[0], &err))?;
        RUNNING.store(child.id() as i32, Ordering::SeqCst);
        let output: Shared = Arc::new((Mutex::new(Captured::default()), Condvar::new()));
        if let Some(stdout) = child.stdout.take() {
            forward(stdout, Stream::Out, output.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            forward(stderr, Stream::Err, output.clone());
        }
        Ok(Program {
            stdin: child.stdin.take(),
            child,
            output,
            status: None,
        })
    }

    /// The exit status, if the program has ended. The first time it is seen ended,
    /// its last output is read first: the reader threads may still be taking the
    /// bytes it printed just before it ended (a starter's `TODO 3 ...` line), and a
    /// report must not say it printed nothing.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
            if self.status.is_some() {
                // Ended by the Ctrl-C handler, which is about to exit with 130: the
                // check must not go on to report this as the program's failure and
                // exit first, with 1.
                while STOPPING.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(100));
                }
                self.wait_for_last_output();
            }
        }
        self.status
    }

    /// Waits until both output streams have ended: at once when the program has
    /// printed everything, and at most [`LAST_OUTPUT`] (a process it started may hold
    /// them open).
    fn wait_for_last_output(&self) {
        let (lock, changed) = &*self.output;
        let Ok(captured) = lock.lock() else { return };
        let _ = changed.wait_timeout_while(captured, LAST_OUTPUT, |c| c.streams_ended < 2);
    }

    /// Waits up to `timeout` for the program to end.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `line` and Enter into the program's stdin.
    pub fn type_line(&mut self, line: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "stdin closed"))?;
        stdin.write_all(format!("{line}\n").as_bytes())?;
        stdin.flush()
    }

    /// Types `text` into the program's stdin, without Enter: a line being typed.
    pub fn type_text(&mut self, text: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "stdin closed"))?;
        stdin.write_all(text.as_bytes())?;
        stdin.flush()
    }

    /// Closes the program's stdin: what Ctrl-D does at a terminal.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Ends the program and everything it started, and reaps them.
    pub fn stop(&mut self) {
        self.stdin = None;
        end_group(self.child.id() as i32);
        #[cfg(not(unix))]
        if self.exited().is_none() {
            kill_by_pid(self.child.id() as i32);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        reap_adopted();
        RUNNING.store(0, Ordering::SeqCst);
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A thread that copies one of the program's output streams into `output`.
fn forward(mut from: impl Read + Send + 'static, stream: Stream, output: Shared) {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let (lock, changed) = &*output;
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Ok(mut captured) = lock.lock() {
                        captured.push(stream, &buf[..n]);
                    }
                    changed.notify_all();
                }
            }
        }
        if let Ok(mut captured) = lock.lock() {
            captured.streams_ended += 1;
        }
        changed.notify_all();
    });
}

/// Prepares the checker itself: on Linux, become the subreaper of whatever the
/// student's program starts, and on every platform end the program on Ctrl-C.
pub fn prepare() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER, 1) only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    // Any other way out (`lab check ... | head` ends us when the pipe closes) still
    // ends the program: exit() runs this.
    #[cfg(unix)]
    // SAFETY: registers a plain function to run at exit().
    unsafe {
        libc::atexit(end_running_at_exit);
    }
    // Ctrl-C at the terminal reaches only us (the program has a process group of its
    // own), so we end the program. (If a handler was installed already, the program is
    // still ended when the check returns: `Program` ends it when dropped.)
    let _ = ctrlc::set_handler(|| {
        STOPPING.store(true, Ordering::SeqCst);
        let pid = RUNNING.swap(0, Ordering::SeqCst);
        if pid != 0 {
            end_group(pid);
            #[cfg(not(unix))]
            kill_by_pid(pid);
        }
        reap_adopted();
        eprintln!(
            "\n{}",
            pick(
                "stopped (Ctrl-C): your program and everything it started were ended",
                "已停止（Ctrl-C）：你的程序及它启动的所有进程都已结束",
            )
        );
        std::process::exit(130);
    });
}

/// Run by exit(): the program still running, and its group, are ended.
#[cfg(unix)]
extern "C" fn end_running_at_exit() {
    let pid = RUNNING.swap(0, Ordering::SeqCst);
    if pid != 0 {
        end_group(pid);
    }
    reap_adopted();
}

/// Kills the process group led by `pid`.
#[cfg(unix)]
fn end_group(pid: i32) {
    if pid > 0 {
        // SAFETY: kill() with a negative pid signals the process group; no memory involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn end_group(_pid: i32) {}

#[cfg(not(unix))]
fn kill_by_pid(pid: i32) {
    let _ = Command::new("taskkill")
        .args(["/F", "/T", "/PID", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Linux: the processes that became our children after their parent died (we are
/// their subreaper) are killed and reaped. Killing one may orphan its own children
/// to us, so repeat until none is left.
#[cfg(target_os = "linux")]
fn reap_adopted() {
    let me = std::process::id() as i32;
    for _ in 0..20 {
        let adopted = children_of(me);
        if adopted.is_empty() {
            break;
        }
        for pid in adopted {
            // SAFETY: signalling and reaping a process that is our own child.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn reap_adopted() {}

/// The pids whose parent is `parent`, from /proc/PID/stat.
#[cfg(target_os = "linux")]
fn children_of(parent: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                return false;
            };
            after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) == Some(parent)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_kept_as_lines_and_as_stdout_bytes() {
        let mut c = Captured::default();
        c.push(Stream::Out, b"hello\nwor");
        c.push(Stream::Err, b"oops\n");
        c.push(Stream::Out, b"ld\n>>> ");
        assert_eq!(c.stdout_since(0), b"hello\nworld\n>>> ");
        assert_eq!(c.stdout_since(6), b"world\n>>> ");
        let lines = c.lines_since(0, 10);
        assert_eq!(lines[0], (Stream::Out, b"hello".to_vec()));
        assert_eq!(lines[1], (Stream::Err, b"oops".to_vec()));
        assert_eq!(lines[2], (Stream::Out, b"world".to_vec()));
        assert_eq!(lines[3], (Stream::Out, b">>> ".to_vec()));
        assert_eq!(c.lines_since(0, 2).len(), 2);
    }

    #[test]
    fn a_program_printing_forever_is_bounded() {
        let mut c = Captured::default();
        for _ in 0..100_000 {
            c.push(Stream::Out, b"spinning\n");
        }
        assert!(c.stdout.len() <= KEEP_BYTES);
        assert!(c.lines.len() <= KEEP_LINES);
        assert_eq!(c.stdout_end(), 900_000);
        assert_eq!(c.line_count(), 100_000);
    }

    #[test]
    fn a_reached_todo_is_found() {
        let mut c = Captured::default();
        c.push(
            Stream::Out,
            b"socket ok\nTODO 3 (listen): not written yet\n",
        );
        assert_eq!(
            c.todo_reached().as_deref(),
            Some("TODO 3 (listen): not written yet")
        );
    }
}
