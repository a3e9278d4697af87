//! `policy::decide` throughput over the labelled corpus, against a baseline
//! measured in the same run: tree-sitter-bash parsing the same commands (the
//! least any shell-aware policy has to do).
//!
//! `cargo bench -p paddock-engine --bench policy_decide`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use paddock_engine::policy::{decide, Action, Policy, TaskContext};

fn corpus() -> Vec<String> {
    include_str!("../tests/policy_corpus.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter_map(|l| l.splitn(3, ' ').nth(2))
        .map(|c| c.replace("<NL>", "\n"))
        .collect()
}

fn main() {
    let commands = corpus();
    let ctx = TaskContext {
        worktree: PathBuf::from("/work/wt"),
        repo: None,
        home: PathBuf::from("/home/dev"),
    };
    let policy = Policy::from_texts(
        Some("[[rule]]\nverdict = \"allow\"\ncommand = \"npx prisma generate\"\n"),
        Some("[[rule]]\nverdict = \"ask\"\ncommand = \"cargo publish\"\n[fetch_domains]\nallow = [\"docs.rs\"]\n"),
    )
    .expect("bench policy parses");
    let actions: Vec<Action> = commands
        .iter()
        .map(|c| Action::Shell {
            command: c.clone(),
            cwd: PathBuf::from("/work/wt"),
        })
        .collect();
    let rounds = 200;

    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .expect("bash grammar loads");
    // Warm up both.
    for c in &commands {
        black_box(parser.parse(c, None));
    }
    for a in &actions {
        black_box(decide(a, &ctx, &policy));
    }

    let t = Instant::now();
    for _ in 0..rounds {
        for c in &commands {
            black_box(parser.parse(black_box(c), None));
        }
    }
    let parse = t.elapsed();

    let t = Instant::now();
    for _ in 0..rounds {
        for a in &actions {
            black_box(decide(black_box(a), &ctx, &policy));
        }
    }
    let full = t.elapsed();

    let n = (rounds * commands.len()) as f64;
    let parse_rate = n / parse.as_secs_f64();
    let decide_rate = n / full.as_secs_f64();
    println!(
        "policy_decide: {} commands x {rounds} rounds",
        commands.len()
    );
    println!(
        "  baseline tree-sitter parse: {:>10.0} commands/s ({:.1} us each)",
        parse_rate,
        1e6 / parse_rate
    );
    println!(
        "  policy::decide:             {:>10.0} decisions/s ({:.1} us each)",
        decide_rate,
        1e6 / decide_rate
    );
    println!(
        "  ratio decide / parse time:  {:.2}x",
        full.as_secs_f64() / parse.as_secs_f64()
    );
}
