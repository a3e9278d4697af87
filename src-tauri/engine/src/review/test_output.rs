//! Recognise test runs among the commands an agent ran, and read pass/fail
//! counts from their output where the runner prints them: cargo test, cargo
//! nextest, pytest, jest, vitest, mocha, go test, and the package-manager
//! wrappers (npm/pnpm/yarn/bun test) around them.
//!
//! Pure functions over text: no I/O. A count is reported only when the output
//! says it; otherwise it is `None` and the exit code decides.

use serde::Serialize;
use ts_rs::TS;

/// Which test runner a command (or its output) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum TestRunner {
    Cargo,
    Nextest,
    Pytest,
    Jest,
    Vitest,
    Mocha,
    Go,
    /// npm/pnpm/yarn/bun test, make test, … whose runner the output did not reveal.
    Other,
}

/// Counts read from a runner's output (summed over every summary line it printed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct TestCounts {
    pub passed: u32,
    pub failed: u32,
    pub skipped: u32,
}

/// The verdict on one test run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum TestOutcome {
    Passed,
    Failed,
    /// No exit code and no summary line: nobody knows.
    Unknown,
}

/// Split a shell line into simple commands at `&&`, `||`, `;`, `|` (good
/// enough to find a test command in `cd x && cargo test -q | tail`).
fn segments(command: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    for part in command.split(['\n', ';', '|', '&']) {
        let words: Vec<&str> = part
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '(' || c == ')' || c == '"' || c == '\''))
            .filter(|w| !w.is_empty())
            .collect();
        if !words.is_empty() {
            out.push(words);
        }
    }
    out
}

/// Skip `VAR=value`, `env`, `time`, `timeout N`, `npx`, `sudo`-like prefixes.
fn strip_wrappers<'a>(mut w: &'a [&'a str]) -> &'a [&'a str] {
    loop {
        match w.first() {
            Some(first) if first.contains('=') && !first.starts_with('-') => w = &w[1..],
            Some(&"env" | &"time" | &"nice" | &"command" | &"exec" | &"npx" | &"bunx") => {
                w = &w[1..]
            }
            Some(&"timeout") => w = w.get(2..).unwrap_or(&[]),
            _ => return w,
        }
    }
}

/// The test runner a shell command invokes, if it runs tests.
pub fn runner_of_command(command: &str) -> Option<TestRunner> {
    for seg in segments(command) {
        let w = strip_wrappers(&seg);
        let Some(first) = w.first() else { continue };
        let prog = first.rsplit('/').next().unwrap_or(first);
        let sub = |i: usize| w.get(i).copied().unwrap_or("");
        // The first non-flag argument after the program (skips `+nightly`, `-q`).
        let arg = |from: usize| {
            w.iter()
                .skip(from)
                .find(|a| !a.starts_with('-') && !a.starts_with('+'))
                .copied()
                .unwrap_or("")
        };
        let found = match prog {
            "cargo" => match arg(1) {
                "test" => Some(TestRunner::Cargo),
                "nextest" => Some(TestRunner::Nextest),
                _ => None,
            },
            "cargo-nextest" => Some(TestRunner::Nextest),
            "pytest" | "py.test" => Some(TestRunner::Pytest),
            "python" | "python3" | "uv" | "poetry" | "pipenv"
                if w.contains(&"pytest") || (sub(1) == "-m" && sub(2) == "pytest") =>
            {
                Some(TestRunner::Pytest)
            }
            "tox" | "nox" => Some(TestRunner::Pytest),
            "jest" => Some(TestRunner::Jest),
            "vitest" => Some(TestRunner::Vitest),
            "mocha" => Some(TestRunner::Mocha),
            "go" if arg(1) == "test" => Some(TestRunner::Go),
            "npm" | "pnpm" | "yarn" | "bun" => {
                let a = arg(1);
                let script = if a == "run" || a == "run-script" {
                    w.iter()
                        .skip(2)
                        .find(|x| !x.starts_with('-'))
                        .copied()
                        .unwrap_or("")
                } else {
                    a
                };
                if script == "test"
                    || script == "t"
                    || script.starts_with("test:")
                    || a == "jest"
                    || a == "vitest"
                {
                    Some(match a {
                        "jest" => TestRunner::Jest,
                        "vitest" => TestRunner::Vitest,
                        _ => TestRunner::Other,
                    })
                } else {
                    None
                }
            }
            "make" | "just" if w.iter().skip(1).any(|a| *a == "test" || *a == "check") => {
                Some(TestRunner::Other)
            }
            "deno" | "dotnet" | "mvn" | "gradle" | "./gradlew" | "gradlew" | "mix"
                if w.contains(&"test") =>
            {
                Some(TestRunner::Other)
            }
            "rspec" | "phpunit" | "ctest" => Some(TestRunner::Other),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The number right before `word` in `text` (`"3 passed"` → 3).
fn count_before(text: &str, word: &str) -> Option<u32> {
    let idx = text.find(word)?;
    text[..idx]
        .trim_end()
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Read a runner's summary lines. Returns the runner the output revealed and
/// the counts, or `None` when no summary line was found.
pub fn parse_output(output: &str) -> Option<(TestRunner, TestCounts)> {
    let text = strip_ansi(output);
    let mut found: Option<TestRunner> = None;
    let mut c = TestCounts::default();
    let mut go_pkgs = TestCounts::default();
    let mut saw_go = false;
    for raw in text.lines() {
        let line = raw.trim();
        // cargo test: "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s"
        if let Some(rest) = line.strip_prefix("test result: ") {
            found.get_or_insert(TestRunner::Cargo);
            c.passed += count_before(rest, " passed").unwrap_or(0);
            c.failed += count_before(rest, " failed").unwrap_or(0);
            c.skipped += count_before(rest, " ignored").unwrap_or(0);
            continue;
        }
        // nextest: "Summary [   0.012s] 3 tests run: 2 passed, 1 failed, 0 skipped"
        if line.starts_with("Summary [") && line.contains(" run:") {
            found = Some(TestRunner::Nextest);
            let rest = line.split("run:").nth(1).unwrap_or("");
            c = TestCounts {
                passed: count_before(rest, " passed").unwrap_or(0),
                failed: count_before(rest, " failed").unwrap_or(0)
                    + count_before(rest, " timed out").unwrap_or(0),
                skipped: count_before(rest, " skipped").unwrap_or(0),
            };
            continue;
        }
        // jest: "Tests:       1 failed, 4 passed, 5 total"
        if let Some(rest) = line.strip_prefix("Tests:") {
            found = Some(TestRunner::Jest);
            c = TestCounts {
                passed: count_before(rest, " passed").unwrap_or(0),
                failed: count_before(rest, " failed").unwrap_or(0),
                skipped: count_before(rest, " skipped").unwrap_or(0)
                    + count_before(rest, " todo").unwrap_or(0),
            };
            continue;
        }
        // vitest: "      Tests  1 failed | 4 passed (5)"
        if let Some(rest) = line.strip_prefix("Tests ") {
            if rest.contains(" passed") || rest.contains(" failed") {
                found = Some(TestRunner::Vitest);
                c = TestCounts {
                    passed: count_before(rest, " passed").unwrap_or(0),
                    failed: count_before(rest, " failed").unwrap_or(0),
                    skipped: count_before(rest, " skipped").unwrap_or(0)
                        + count_before(rest, " todo").unwrap_or(0),
                };
                continue;
            }
        }
        // mocha: "  5 passing (12ms)", "  1 failing", "  2 pending"
        if line.ends_with(" failing") || line.contains(" passing (") || line.ends_with(" pending") {
            if let Some(n) = line
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u32>().ok())
            {
                found = Some(TestRunner::Mocha);
                if line.contains("passing") {
                    c.passed = n;
                } else if line.contains("failing") {
                    c.failed = n;
                } else {
                    c.skipped = n;
                }
                continue;
            }
        }
        // pytest: "===== 3 passed, 1 failed, 2 skipped in 0.12s =====" (also "1 failed, 3 passed in …")
        let pytest_words = [" passed", " failed", " error", "no tests ran"];
        if line.starts_with('=')
            && line.ends_with('=')
            && line.contains(" in ")
            && pytest_words.iter().any(|w| line.contains(w))
        {
            found = Some(TestRunner::Pytest);
            let inner = line.trim_matches('=').trim();
            c = TestCounts {
                passed: count_before(inner, " passed").unwrap_or(0),
                failed: count_before(inner, " failed").unwrap_or(0)
                    + count_before(inner, " error").unwrap_or(0),
                skipped: count_before(inner, " skipped").unwrap_or(0)
                    + count_before(inner, " xfailed").unwrap_or(0),
            };
            continue;
        }
        // go test: "ok  \texample.com/pkg\t0.01s", "FAIL\texample.com/pkg\t0.01s",
        // "--- PASS: TestX (0.00s)", "--- FAIL: TestY (0.00s)"
        if let Some(rest) = line.strip_prefix("--- ") {
            if rest.starts_with("PASS:") {
                saw_go = true;
                c.passed += 1;
            } else if rest.starts_with("FAIL:") {
                saw_go = true;
                c.failed += 1;
            } else if rest.starts_with("SKIP:") {
                saw_go = true;
                c.skipped += 1;
            }
            continue;
        }
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.len() >= 2 {
            if raw.starts_with("ok ") || raw.starts_with("ok\t") {
                saw_go = true;
                go_pkgs.passed += 1;
            } else if raw.starts_with("FAIL ") || raw.starts_with("FAIL\t") {
                saw_go = true;
                go_pkgs.failed += 1;
            } else if raw.starts_with('?') && raw.contains("[no test files]") {
                saw_go = true;
            }
        }
    }
    if saw_go && found.is_none() {
        // Without -v, go test prints one line per package: count packages.
        if c == TestCounts::default() {
            c = go_pkgs;
        } else if go_pkgs.failed > 0 && c.failed == 0 {
            c.failed = go_pkgs.failed;
        }
        return Some((TestRunner::Go, c));
    }
    found.map(|r| (r, c))
}

/// A test run's verdict from its exit code and counts.
pub fn outcome(exit_code: Option<i64>, counts: Option<&TestCounts>) -> TestOutcome {
    match (exit_code, counts) {
        (Some(0), Some(c)) if c.failed > 0 => TestOutcome::Failed,
        (Some(0), _) => TestOutcome::Passed,
        (Some(_), _) => TestOutcome::Failed,
        (None, Some(c)) if c.failed > 0 => TestOutcome::Failed,
        (None, Some(c)) if c.passed > 0 => TestOutcome::Passed,
        (None, _) => TestOutcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(p: u32, f: u32, s: u32) -> TestCounts {
        TestCounts {
            passed: p,
            failed: f,
            skipped: s,
        }
    }

    #[test]
    fn test_commands_are_recognised_through_wrappers() {
        for (cmd, runner) in [
            ("cargo test", TestRunner::Cargo),
            (
                "cargo test -p paddock-engine --all-targets",
                TestRunner::Cargo,
            ),
            (
                "cd src-tauri && cargo +nightly test -q 2>&1 | tail -20",
                TestRunner::Cargo,
            ),
            ("RUST_BACKTRACE=1 cargo test", TestRunner::Cargo),
            ("cargo nextest run --workspace", TestRunner::Nextest),
            ("pytest -q tests/", TestRunner::Pytest),
            ("python -m pytest -x", TestRunner::Pytest),
            ("uv run pytest", TestRunner::Pytest),
            ("npx jest --ci", TestRunner::Jest),
            ("npx vitest run", TestRunner::Vitest),
            ("npm test", TestRunner::Other),
            ("npm run test -- --watch=false", TestRunner::Other),
            ("pnpm test", TestRunner::Other),
            ("yarn test:unit", TestRunner::Other),
            ("go test ./...", TestRunner::Go),
            ("mocha", TestRunner::Mocha),
            ("timeout 60 go test -run TestTax ./pkg", TestRunner::Go),
        ] {
            assert_eq!(runner_of_command(cmd), Some(runner), "{cmd}");
        }
        for cmd in [
            "cargo build",
            "cargo fmt --all",
            "ls tests",
            "npm install",
            "git commit -m test",
            "cat test.txt",
            "go build ./...",
        ] {
            assert_eq!(runner_of_command(cmd), None, "{cmd}");
        }
    }

    const CARGO_OK: &str = "   Compiling tax v0.1.0 (/work/tax)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 1.02s
     Running unittests src/lib.rs (target/debug/deps/tax-3b1c2f0e9a7d5c11)

running 3 tests
test tests::rounds_half_up ... ok
test tests::zero_rate ... ok
test tests::exempt_items ... ok

test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/checkout.rs (target/debug/deps/checkout-8f6c2a1d0b9e4f77)

running 2 tests
test checkout_total_includes_tax ... ok
test slow_case ... ignored

test result: ok. 1 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s

   Doc-tests tax

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    const CARGO_FAIL: &str = "running 2 tests
test tests::rounds_half_up ... FAILED
test tests::zero_rate ... ok

failures:

---- tests::rounds_half_up stdout ----

thread 'tests::rounds_half_up' panicked at src/lib.rs:20:9:
assertion `left == right` failed
  left: 107
 right: 108
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::rounds_half_up

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: test failed, to rerun pass `--lib`
";

    #[test]
    fn cargo_test_summaries_are_summed_over_every_test_binary() {
        assert_eq!(
            parse_output(CARGO_OK),
            Some((TestRunner::Cargo, counts(4, 0, 1)))
        );
        assert_eq!(
            parse_output(CARGO_FAIL),
            Some((TestRunner::Cargo, counts(1, 1, 0)))
        );
        assert_eq!(
            outcome(Some(101), parse_output(CARGO_FAIL).map(|x| x.1).as_ref()),
            TestOutcome::Failed
        );
    }

    #[test]
    fn nextest_summary_is_read() {
        let out = "    Starting 3 tests across 2 binaries
        PASS [   0.004s] tax tests::zero_rate
        PASS [   0.004s] tax tests::exempt_items
        FAIL [   0.005s] tax tests::rounds_half_up
------------
     Summary [   0.006s] 3 tests run: 2 passed, 1 failed, 0 skipped
        FAIL [   0.005s] tax tests::rounds_half_up
error: test run failed
";
        assert_eq!(
            parse_output(out),
            Some((TestRunner::Nextest, counts(2, 1, 0)))
        );
        let ok = "     Summary [   0.010s] 12 tests run: 12 passed, 1 skipped\n";
        assert_eq!(
            parse_output(ok),
            Some((TestRunner::Nextest, counts(12, 0, 1)))
        );
    }

    #[test]
    fn pytest_summary_is_read_in_either_order() {
        let out = "============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.2.0, pluggy-1.5.0
rootdir: /work/tax
collected 6 items

tests/test_tax.py ..F.s.                                                 [100%]

=================================== FAILURES ===================================
_________________________________ test_round __________________________________
    def test_round():
>       assert round_tax(1.075) == 1.08
E       assert 1.07 == 1.08
tests/test_tax.py:9: AssertionError
=========================== short test summary info ============================
FAILED tests/test_tax.py::test_round - assert 1.07 == 1.08
==================== 1 failed, 4 passed, 1 skipped in 0.12s ====================
";
        assert_eq!(
            parse_output(out),
            Some((TestRunner::Pytest, counts(4, 1, 1)))
        );
        let ok =
            "============================== 5 passed in 0.03s ===============================\n";
        assert_eq!(
            parse_output(ok),
            Some((TestRunner::Pytest, counts(5, 0, 0)))
        );
    }

    #[test]
    fn jest_and_vitest_summaries_are_read() {
        let jest = "FAIL src/tax.test.js
  ● rounds half up

    expect(received).toBe(expected) // Object.is equality

PASS src/cart.test.js

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, 4 passed, 5 total
Snapshots:   0 total
Time:        0.512 s
Ran all test suites.
";
        assert_eq!(
            parse_output(jest),
            Some((TestRunner::Jest, counts(4, 1, 0)))
        );
        let vitest = " ✓ src/cart.test.ts (3 tests) 2ms
 ❯ src/tax.test.ts (2 tests | 1 failed) 4ms

 Test Files  1 failed | 1 passed (2)
      Tests  1 failed | 4 passed (5)
   Start at  10:12:01
   Duration  312ms (transform 40ms, setup 0ms, collect 50ms, tests 6ms)
";
        assert_eq!(
            parse_output(vitest),
            Some((TestRunner::Vitest, counts(4, 1, 0)))
        );
    }

    #[test]
    fn mocha_summary_is_read() {
        let out = "
  tax
    ✓ rounds half up
    1) handles zero


  4 passing (12ms)
  1 pending
  1 failing

  1) tax
       handles zero:
     AssertionError [ERR_ASSERTION]: 1 == 0
";
        assert_eq!(
            parse_output(out),
            Some((TestRunner::Mocha, counts(4, 1, 1)))
        );
    }

    #[test]
    fn go_test_counts_packages_or_verbose_tests() {
        let out = "ok  \texample.com/shop/cart\t0.004s
--- FAIL: TestTaxRounding (0.00s)
    tax_test.go:12: got 107, want 108
FAIL
FAIL\texample.com/shop/tax\t0.003s
?   \texample.com/shop/cmd\t[no test files]
FAIL
";
        let (r, c) = parse_output(out).unwrap();
        assert_eq!(r, TestRunner::Go);
        assert_eq!(c.failed, 1);
        let ok = "ok  \texample.com/shop/cart\t0.004s\nok  \texample.com/shop/tax\t(cached)\n";
        assert_eq!(parse_output(ok), Some((TestRunner::Go, counts(2, 0, 0))));
    }

    #[test]
    fn output_without_a_summary_gives_no_counts() {
        assert_eq!(
            parse_output("error[E0432]: unresolved import `foo`\n"),
            None
        );
        assert_eq!(outcome(Some(0), None), TestOutcome::Passed);
        assert_eq!(outcome(None, None), TestOutcome::Unknown);
    }
}
