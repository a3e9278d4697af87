//! Shell text → the simple commands and redirections it would run, using
//! tree-sitter-bash. This layer only reads syntax: it splits lists, pipelines,
//! subshells, `$(…)`, backticks, process substitutions and heredocs, removes
//! quoting, and marks every word whose value is only known at run time.
//! Anything it cannot read becomes an [`Piece::Unparsed`], which the caller
//! turns into Ask, never Allow.

use std::cell::RefCell;
use std::collections::HashMap;

use tree_sitter::{Node, Parser, Tree};

/// One shell word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The word's value; for a dynamic word, the static parts with the dynamic
    /// ones spelled as written.
    pub text: String,
    /// Part of the value comes from an expansion or substitution we cannot know.
    pub dynamic: bool,
    /// Contains an unquoted glob character.
    pub glob: bool,
    /// Variables it expands (for spotting secret-looking ones).
    pub vars: Vec<String>,
}

impl Word {
    pub fn lit(text: impl Into<String>) -> Self {
        Word {
            text: text.into(),
            dynamic: false,
            glob: false,
            vars: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileOp {
    Read,
    Write,
}

#[derive(Debug, Clone)]
pub(crate) enum Piece {
    /// A simple command: its words (name first), assignments that prefix it,
    /// and the literal text fed to it through a heredoc or here-string.
    Command {
        words: Vec<Word>,
        assigns: Vec<String>,
        stdin: Option<String>,
        /// Its stdin comes from a pipe.
        piped: bool,
    },
    /// `> path`, `>> path`, `< path`, `&> path`.
    Redirect { op: FileOp, target: Word },
    /// A literal word that is not an argument of a command (assignment value,
    /// `for` list, test operand): still checked for secret paths.
    Mention { word: Word },
    /// Something we could not read.
    Unparsed { text: String, reason: String },
}

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parse `source` with a per-thread tree-sitter parser (no I/O).
pub(crate) fn parse_tree(source: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&tree_sitter_bash::LANGUAGE.into()).ok()?;
            *slot = Some(p);
        }
        slot.as_mut()?.parse(source, None)
    })
}

/// The pieces of `source`, in the order they would run. `vars` holds the
/// variables known to have literal values (`HOME`, earlier `X=…`).
pub(crate) fn pieces(source: &str, vars: &mut HashMap<String, String>) -> Vec<Piece> {
    let Some(tree) = parse_tree(source) else {
        return vec![Piece::Unparsed {
            text: source.to_string(),
            reason: "the shell parser gave up on this command".into(),
        }];
    };
    let mut w = Walker {
        src: source.as_bytes(),
        vars,
        out: Vec::new(),
    };
    w.walk(tree.root_node(), false);
    w.out
}

struct Walker<'a> {
    src: &'a [u8],
    vars: &'a mut HashMap<String, String>,
    out: Vec<Piece>,
}

fn is_redirect(kind: &str) -> bool {
    matches!(
        kind,
        "file_redirect" | "heredoc_redirect" | "herestring_redirect"
    )
}

fn is_word_kind(kind: &str) -> bool {
    matches!(
        kind,
        "word"
            | "string"
            | "raw_string"
            | "ansi_c_string"
            | "translated_string"
            | "concatenation"
            | "simple_expansion"
            | "expansion"
            | "number"
    )
}

impl Walker<'_> {
    fn text(&self, node: Node) -> &str {
        node.utf8_text(self.src).unwrap_or("")
    }

    fn unparsed(&mut self, node: Node, reason: &str) {
        let text = self.text(node).to_string();
        self.out.push(Piece::Unparsed {
            text,
            reason: reason.into(),
        });
    }

    fn walk(&mut self, node: Node, piped: bool) {
        if node.is_error() {
            self.unparsed(node, "the shell parser could not read this part");
        } else if node.is_missing() {
            self.unparsed(
                node,
                "the command is incomplete (unbalanced quotes or brackets)",
            );
            return;
        }
        match node.kind() {
            "comment" => {}
            "command" => {
                self.command(node, piped);
            }
            "redirected_statement" => self.redirected(node, piped),
            "pipeline" => {
                let mut first = true;
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    self.walk(child, piped || !first);
                    first = false;
                }
            }
            "variable_assignment" => self.assignment(node, true),
            "for_statement" => {
                if let Some(var) = node.child_by_field_name("variable") {
                    let name = self.text(var).to_string();
                    self.vars.remove(&name);
                }
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    if child.kind() == "variable_name" {
                        continue;
                    }
                    if is_word_kind(child.kind()) {
                        for word in self.words(child) {
                            self.out.push(Piece::Mention { word });
                        }
                    } else {
                        self.walk(child, false);
                    }
                }
            }
            "function_definition" => {
                if let Some(body) = node.child_by_field_name("body") {
                    self.walk(body, false);
                }
            }
            "declaration_command" | "unset_command" => self.declaration(node),
            k if is_redirect(k) => self.redirect(node, None),
            k if is_word_kind(k) => {
                for word in self.words(node) {
                    self.out.push(Piece::Mention { word });
                }
            }
            "command_substitution" | "process_substitution" => {
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    self.walk(child, false);
                }
            }
            _ => {
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    self.walk(child, piped);
                }
            }
        }
    }

    fn redirected(&mut self, node: Node, piped: bool) {
        let mut target = None;
        let mut c = node.walk();
        let children: Vec<Node> = node.named_children(&mut c).collect();
        for child in &children {
            if !is_redirect(child.kind()) {
                if child.kind() == "command" {
                    target = self.command(*child, piped);
                } else {
                    self.walk(*child, piped);
                }
            }
        }
        for child in children {
            if is_redirect(child.kind()) {
                self.redirect(child, target);
            }
        }
    }

    /// Returns the index of the pushed command piece.
    fn command(&mut self, node: Node, piped: bool) -> Option<usize> {
        let mut words = Vec::new();
        let mut assigns = Vec::new();
        let mut redirects = Vec::new();
        let mut c = node.walk();
        for child in node.named_children(&mut c) {
            match child.kind() {
                "variable_assignment" => {
                    if let Some(name) = child.child_by_field_name("name") {
                        assigns.push(self.text(name).to_string());
                    }
                    self.assignment(child, false);
                }
                "command_name" => match child.named_child(0) {
                    Some(inner) => words.extend(self.words(inner)),
                    None => words.push(Word::lit(self.text(child).to_string())),
                },
                "comment" => {}
                k if is_redirect(k) => redirects.push(child),
                _ => words.extend(self.words(child)),
            }
        }
        let idx = if words.is_empty() {
            None
        } else {
            self.out.push(Piece::Command {
                words,
                assigns,
                stdin: None,
                piped,
            });
            Some(self.out.len() - 1)
        };
        for r in redirects {
            self.redirect(r, idx);
        }
        idx
    }

    fn assignment(&mut self, node: Node, persistent: bool) {
        let name = node
            .child_by_field_name("name")
            .map(|n| self.text(n).to_string());
        let Some(value) = node.child_by_field_name("value") else {
            return;
        };
        let words = self.words(value);
        if let (true, Some(name)) = (persistent, name) {
            match words.as_slice() {
                [w] if !w.dynamic => {
                    self.vars.insert(name, w.text.clone());
                }
                _ => {
                    self.vars.remove(&name);
                }
            }
        }
        for word in words {
            self.out.push(Piece::Mention { word });
        }
    }

    fn declaration(&mut self, node: Node) {
        let mut words = Vec::new();
        let mut c = node.walk();
        let mut first = true;
        for child in node.children(&mut c) {
            if first {
                words.push(Word::lit(self.text(child).to_string()));
                first = false;
                continue;
            }
            match child.kind() {
                "variable_assignment" => {
                    if let Some(n) = child.child_by_field_name("name") {
                        words.push(Word::lit(self.text(n).to_string()));
                    }
                    self.assignment(child, true);
                }
                k if child.is_named() && is_word_kind(k) => words.extend(self.words(child)),
                "variable_name" => words.push(Word::lit(self.text(child).to_string())),
                _ => {}
            }
        }
        self.out.push(Piece::Command {
            words,
            assigns: Vec::new(),
            stdin: None,
            piped: false,
        });
    }

    fn redirect(&mut self, node: Node, cmd: Option<usize>) {
        match node.kind() {
            "file_redirect" => {
                let mut op = String::new();
                let mut c = node.walk();
                for child in node.children(&mut c) {
                    if !child.is_named() {
                        op.push_str(self.text(child));
                    }
                }
                let Some(dest) = node.child_by_field_name("destination") else {
                    return;
                };
                let is_fd_dup = matches!(op.as_str(), ">&" | "<&" | ">&-" | "<&-")
                    && (dest.kind() == "number" || self.text(dest) == "-");
                if is_fd_dup || (dest.kind() == "number" && op.ends_with('&')) {
                    return;
                }
                let file_op = if op.starts_with('<') && op != "<>" {
                    FileOp::Read
                } else {
                    FileOp::Write
                };
                for target in self.words(dest) {
                    self.out.push(Piece::Redirect {
                        op: file_op,
                        target,
                    });
                }
            }
            "herestring_redirect" => {
                let mut text = None;
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    let ws = self.words(child);
                    if let [w] = ws.as_slice() {
                        if !w.dynamic {
                            text = Some(w.text.clone());
                        }
                    }
                    for word in ws {
                        self.out.push(Piece::Mention { word });
                    }
                }
                self.set_stdin(cmd, text);
            }
            "heredoc_redirect" => {
                let mut body = None;
                let mut c = node.walk();
                let children: Vec<Node> = node.named_children(&mut c).collect();
                for child in children {
                    match child.kind() {
                        "heredoc_start" | "heredoc_end" => {}
                        "heredoc_body" => {
                            body = Some(self.text(child).to_string());
                            let mut c2 = child.walk();
                            for part in child.named_children(&mut c2) {
                                if part.kind() != "heredoc_content" {
                                    self.walk(part, false);
                                }
                            }
                        }
                        k if is_redirect(k) => self.redirect(child, cmd),
                        _ => self.walk(child, true),
                    }
                }
                self.set_stdin(cmd, body);
            }
            _ => {}
        }
    }

    fn set_stdin(&mut self, cmd: Option<usize>, text: Option<String>) {
        if let Some(Piece::Command { stdin, .. }) = cmd.and_then(|i| self.out.get_mut(i)) {
            *stdin = Some(text.unwrap_or_else(|| "\u{0}dynamic".into()));
        }
    }

    /// The words a node expands to (brace expansion can make several).
    fn words(&mut self, node: Node) -> Vec<Word> {
        let mut w = Word::lit(String::new());
        self.eval(node, &mut w);
        let raw = self.text(node);
        let quoted = matches!(node.kind(), "string" | "raw_string" | "ansi_c_string");
        if !w.dynamic && !quoted && raw.contains('{') && raw.contains(',') {
            let expanded = brace_expand(&w.text);
            if expanded.len() > 1 {
                return expanded
                    .into_iter()
                    .map(|text| Word {
                        text,
                        dynamic: false,
                        glob: w.glob,
                        vars: w.vars.clone(),
                    })
                    .collect();
            }
        }
        vec![w]
    }

    fn eval(&mut self, node: Node, w: &mut Word) {
        let raw = self.text(node).to_string();
        if node.is_error() {
            self.unparsed(node, "the shell parser could not read this word");
            w.dynamic = true;
            w.text.push_str(&raw);
            return;
        }
        match node.kind() {
            "word" => {
                let mut esc = false;
                for ch in raw.chars() {
                    if esc {
                        w.text.push(ch);
                        esc = false;
                    } else if ch == '\\' {
                        esc = true;
                    } else {
                        if matches!(ch, '*' | '?' | '[') {
                            w.glob = true;
                        }
                        w.text.push(ch);
                    }
                }
            }
            "number" | "brace_expression" => w.text.push_str(&raw),
            "raw_string" => {
                let inner = raw
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .unwrap_or(&raw);
                w.text.push_str(inner);
            }
            "ansi_c_string" => {
                let inner = raw
                    .strip_prefix("$'")
                    .and_then(|s| s.strip_suffix('\''))
                    .unwrap_or(&raw);
                w.text.push_str(&ansi_c_unescape(inner));
            }
            "string" | "translated_string" => {
                let mut c = node.walk();
                let children: Vec<Node> = node.named_children(&mut c).collect();
                for child in children {
                    if child.kind() == "string_content" {
                        let t = self.text(child).to_string();
                        w.text.push_str(&dq_unescape(&t));
                    } else {
                        self.eval(child, w);
                    }
                }
            }
            "concatenation" => {
                let mut c = node.walk();
                let children: Vec<Node> = node.named_children(&mut c).collect();
                for child in children {
                    self.eval(child, w);
                }
            }
            "simple_expansion" | "expansion" => {
                let name = node
                    .named_child(0)
                    .filter(|n| n.kind() == "variable_name")
                    .map(|n| self.text(n).to_string());
                let simple = node.kind() == "simple_expansion"
                    || node.named_child_count() == 1 && raw.starts_with("${") && !raw.contains('#');
                match name {
                    Some(name) => {
                        w.vars.push(name.clone());
                        match self.vars.get(&name) {
                            Some(v) if simple => w.text.push_str(v),
                            _ => {
                                w.dynamic = true;
                                w.text.push_str(&raw);
                            }
                        }
                    }
                    None => {
                        w.dynamic = true;
                        w.text.push_str(&raw);
                    }
                }
                // `${X:-$(cmd)}` and friends still run what they contain.
                let mut c = node.walk();
                let children: Vec<Node> = node.named_children(&mut c).collect();
                for child in children {
                    if matches!(
                        child.kind(),
                        "command_substitution" | "process_substitution"
                    ) {
                        self.walk(child, false);
                    }
                }
            }
            "command_substitution" => {
                w.dynamic = true;
                w.text.push_str(&raw);
                self.walk(node, false);
            }
            "process_substitution" => {
                // The shell passes a pipe's name; the commands inside run.
                w.text.push_str("/dev/fd/63");
                self.walk(node, false);
            }
            _ => {
                w.dynamic = true;
                w.text.push_str(&raw);
                let mut c = node.walk();
                let children: Vec<Node> = node.named_children(&mut c).collect();
                for child in children {
                    self.walk(child, false);
                }
            }
        }
    }
}

fn dq_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&n) if matches!(n, '"' | '\\' | '$' | '`') => {
                    out.push(n);
                    chars.next();
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn ansi_c_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' || i + 1 >= chars.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = chars[i + 1];
        i += 2;
        match n {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'x' => {
                let hex: String = chars[i..]
                    .iter()
                    .take(2)
                    .take_while(|c| c.is_ascii_hexdigit())
                    .collect();
                i += hex.len();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            '0'..='7' => {
                let oct: String = std::iter::once(n)
                    .chain(
                        chars[i..]
                            .iter()
                            .take(2)
                            .take_while(|c| ('0'..='7').contains(*c))
                            .copied(),
                    )
                    .collect();
                i += oct.len() - 1;
                if let Some(ch) = u32::from_str_radix(&oct, 8).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Expand `{a,b}` groups (bounded: at most 64 words).
pub(crate) fn brace_expand(s: &str) -> Vec<String> {
    let bytes: Vec<char> = s.chars().collect();
    let Some(open) = bytes.iter().position(|&c| c == '{') else {
        return vec![s.to_string()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, &c) in bytes.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![s.to_string()];
    };
    let prefix: String = bytes[..open].iter().collect();
    let suffix: String = bytes[close + 1..].iter().collect();
    if commas.is_empty() {
        let rest = brace_expand(&suffix);
        let head: String = bytes[..=close].iter().collect();
        return rest.into_iter().map(|r| format!("{head}{r}")).collect();
    }
    let mut bounds = vec![open];
    bounds.extend(commas);
    bounds.push(close);
    let mut out = Vec::new();
    for pair in bounds.windows(2) {
        let alt: String = bytes[pair[0] + 1..pair[1]].iter().collect();
        for tail in brace_expand(&format!("{alt}{suffix}")) {
            out.push(format!("{prefix}{tail}"));
            if out.len() >= 64 {
                return out;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<Vec<String>> {
        let mut vars = HashMap::new();
        pieces(src, &mut vars)
            .into_iter()
            .filter_map(|p| match p {
                Piece::Command { words, .. } => Some(words.into_iter().map(|w| w.text).collect()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn quotes_are_removed_from_command_words() {
        assert_eq!(texts("c''at .e''nv"), vec![vec!["cat", ".env"]]);
        assert_eq!(texts(r#""cat" ".env""#), vec![vec!["cat", ".env"]]);
        assert_eq!(texts(r"c\at $'.e\x6ev'"), vec![vec!["cat", ".env"]]);
    }

    #[test]
    fn lists_pipelines_and_substitutions_are_split() {
        let t = texts("a && b || c; d | e\n f $(g) `h` <(i)");
        let names: Vec<&str> = t.iter().map(|w| w[0].as_str()).collect();
        for n in ["a", "b", "c", "d", "e", "f", "g", "h", "i"] {
            assert!(names.contains(&n), "{n} missing from {names:?}");
        }
    }

    #[test]
    fn braces_expand_to_every_alternative() {
        assert_eq!(brace_expand(".{env,x}"), vec![".env", ".x"]);
        assert_eq!(brace_expand("a{b,c}d{e,f}").len(), 4);
    }

    #[test]
    fn known_variables_are_substituted() {
        assert_eq!(texts("F=.env; cat $F"), vec![vec!["cat", ".env"]]);
    }
}
