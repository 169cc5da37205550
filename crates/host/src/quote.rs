//! POSIX shell quoting. An SSH `exec` request carries one command line that
//! the node's login shell parses, so every argument Strata sends is quoted
//! here and reaches the remote program byte for byte.

/// Quotes one argument for a POSIX shell: left bare when it has only
/// characters no shell treats specially, otherwise wrapped in single quotes
/// (inside which nothing is special) with each `'` written as `'\''`.
pub fn quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:=@%+,".contains(&b));
    if safe {
        return arg.to_string();
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Quotes every argument and joins them with spaces: one command line.
pub fn command_line<S: AsRef<str>>(args: &[S]) -> String {
    args.iter()
        .map(|a| quote(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_bare() {
        assert_eq!(quote("apt-get"), "apt-get");
        assert_eq!(
            quote("/etc/sysctl.d/90-strata.conf"),
            "/etc/sysctl.d/90-strata.conf"
        );
        assert_eq!(command_line(&["echo", "a=b"]), "echo a=b");
    }

    #[test]
    fn special_characters_are_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("$(id)`id`\n"), "'$(id)`id`\n'");
        assert_eq!(quote("~"), "'~'");
    }

    #[test]
    fn quoted_arguments_survive_a_real_shell() {
        let nasty = "a 'b' \"c\" $(echo x) `echo y` \\ \n; | & * ? ~ # ! {} [] é";
        let line = format!("printf %s {}", quote(nasty));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(line)
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), nasty);
    }
}
