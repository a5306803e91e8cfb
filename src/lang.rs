//! The language `lab` speaks to the student: English or Chinese (简体中文).
//!
//! Chosen once, at start: the global `--lang en|zh` if given; else the locale of the
//! environment, as C programs read it (`LC_ALL`, then `LC_MESSAGES`, then `LANG`: the
//! first one set decides, so `LC_ALL=C` means English whatever `LANG` says); else, when
//! none of those is set (Windows, a macOS app), the user's locale from the system
//! (`sys-locale`). Any `zh*` locale (`zh_CN.UTF-8`, `zh-Hans-CN`, `zh_TW`) is Chinese.
//!
//! The catalogue is the source itself: every sentence a student reads is written in both
//! languages at the place it is used, `tr!("waiting", "等待中")`, so a reader sees what is
//! said in either language without looking anything up, and a sentence cannot lose its
//! translation. What stays English in both: the socket trace lines (`recv(1024) -> 5
//! bytes`: they name calls), protocol text, and clap's own `--help` and usage messages.

use std::ffi::OsString;
use std::sync::OnceLock;

/// A language `lab` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

static CURRENT: OnceLock<Lang> = OnceLock::new();

/// The language chosen at start ([`init`]); English if `init` was never called (unit
/// tests).
pub fn current() -> Lang {
    *CURRENT.get().unwrap_or(&Lang::En)
}

/// True when `lab` speaks Chinese.
pub fn zh() -> bool {
    current() == Lang::Zh
}

/// `en` or `zh`, by the current language: for sentences without values in them.
pub fn pick(en: &'static str, zh: &'static str) -> &'static str {
    match current() {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// A sentence in both languages, formatted like `format!`: `tr!("port {port}", "端口
/// {port}")`. Both texts take the same arguments.
macro_rules! tr {
    ($en:literal, $zh:literal $(, $arg:expr)* $(,)?) => {
        match $crate::lang::current() {
            $crate::lang::Lang::En => format!($en $(, $arg)*),
            $crate::lang::Lang::Zh => format!($zh $(, $arg)*),
        }
    };
}
pub(crate) use tr;

/// Chooses the language for this run from the command line (before clap parses it, so
/// that a usage error is explained in the student's language too) and the environment.
pub fn init(argv: &[OsString]) {
    let chosen = from_args(argv).unwrap_or_else(|| from_locale(&env_locale));
    let _ = CURRENT.set(chosen);
}

/// `--lang zh`, `--lang=en`: the last one given wins, as clap does.
fn from_args(argv: &[OsString]) -> Option<Lang> {
    let mut chosen = None;
    let mut args = argv.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        // After `--` come the student's own program and its arguments (`lab check`).
        if arg == "--" {
            break;
        }
        let value = match arg.strip_prefix("--lang") {
            Some("") => args.next().map(|v| v.into_owned()),
            Some(rest) => match rest.strip_prefix('=') {
                Some(value) => Some(value.to_string()),
                None => continue,
            },
            None => continue,
        };
        chosen = value.as_deref().and_then(parse).or(chosen);
    }
    chosen
}

/// `en`/`zh` as `--lang` accepts them (also `zh-CN`, `zh_CN`, `english`, `中文`).
pub fn parse(value: &str) -> Option<Lang> {
    let value = value.trim().to_lowercase();
    if value.starts_with("zh") || value == "中文" || value == "chinese" {
        Some(Lang::Zh)
    } else if value.starts_with("en") {
        Some(Lang::En)
    } else {
        None
    }
}

/// The value of an environment variable, if set and not empty.
fn env_locale(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The language of the environment's locale; `var` reads a variable (the environment,
/// or a test's table).
fn from_locale(var: &dyn Fn(&str) -> Option<String>) -> Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|name| var(name))
        .or_else(sys_locale::get_locale);
    match locale {
        Some(locale) if locale.to_lowercase().starts_with("zh") => Lang::Zh,
        _ => Lang::En,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_lang_option_is_found_before_clap_parses_and_the_last_one_wins() {
        assert_eq!(
            from_args(&args(&["lab", "--lang", "zh", "list"])),
            Some(Lang::Zh)
        );
        assert_eq!(
            from_args(&args(&["lab", "list", "--lang=en"])),
            Some(Lang::En)
        );
        assert_eq!(
            from_args(&args(&["lab", "--lang", "zh", "--lang", "en"])),
            Some(Lang::En)
        );
        assert_eq!(from_args(&args(&["lab", "list"])), None);
        assert_eq!(from_args(&args(&["lab", "--lang", "fr"])), None);
        // The student's own program's arguments are not ours.
        let check = ["lab", "check", "1", "server", "--", "prog", "--lang", "zh"];
        assert_eq!(from_args(&args(&check)), None);
    }

    #[test]
    fn the_first_locale_variable_set_decides() {
        let table = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(from_locale(&table(&[("LANG", "zh_CN.UTF-8")])), Lang::Zh);
        assert_eq!(from_locale(&table(&[("LANG", "zh_TW.Big5")])), Lang::Zh);
        assert_eq!(
            from_locale(&table(&[("LC_ALL", "C.UTF-8"), ("LANG", "zh_CN.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            from_locale(&table(&[("LC_MESSAGES", "zh_CN"), ("LANG", "en_US")])),
            Lang::Zh
        );
        assert_eq!(from_locale(&table(&[("LANG", "en_GB.UTF-8")])), Lang::En);
    }

    #[test]
    fn lang_values_are_read_leniently() {
        for zh in ["zh", "ZH", "zh-CN", "zh_CN", "中文"] {
            assert_eq!(parse(zh), Some(Lang::Zh), "{zh}");
        }
        for en in ["en", "EN", "en-US", "english"] {
            assert_eq!(parse(en), Some(Lang::En), "{en}");
        }
        assert_eq!(parse("fr"), None);
    }
}
