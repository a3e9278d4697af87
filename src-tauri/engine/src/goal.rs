//! A task's goal, and explainable checks that it is narrow enough to review.
//!
//! Every check is a plain rule over the words of the goal: no model, no
//! scoring. Each warning says what was found and what would make the goal
//! narrower; the user may override them (`--accept-goal-warnings`), and the
//! override is logged with the task.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Fewer words than this is too short to say what "done" means.
pub const MIN_WORDS: usize = 4;
/// More words than this is usually several tasks, or a specification.
pub const MAX_WORDS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum GoalWarningCode {
    TooShort,
    TooLong,
    Vague,
    SeveralAims,
    NoTestableOutcome,
}

impl GoalWarningCode {
    pub fn as_str(self) -> &'static str {
        match self {
            GoalWarningCode::TooShort => "too_short",
            GoalWarningCode::TooLong => "too_long",
            GoalWarningCode::Vague => "vague",
            GoalWarningCode::SeveralAims => "several_aims",
            GoalWarningCode::NoTestableOutcome => "no_testable_outcome",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct GoalWarning {
    pub code: GoalWarningCode,
    /// What was found.
    pub message: String,
    /// What would make the goal narrower.
    pub suggestion: String,
}

impl std::fmt::Display for GoalWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {} — {}",
            self.code.as_str(),
            self.message,
            self.suggestion
        )
    }
}

/// Verbs that start an aim ("fix X", "add Y").
const ACTION_VERBS: &[&str] = &[
    "add",
    "allow",
    "build",
    "change",
    "clean",
    "convert",
    "create",
    "delete",
    "document",
    "drop",
    "enable",
    "disable",
    "enhance",
    "extract",
    "fix",
    "handle",
    "implement",
    "improve",
    "introduce",
    "make",
    "migrate",
    "move",
    "optimise",
    "optimize",
    "polish",
    "port",
    "refactor",
    "redesign",
    "reject",
    "remove",
    "rename",
    "replace",
    "restructure",
    "return",
    "rewrite",
    "rework",
    "show",
    "simplify",
    "speed",
    "support",
    "switch",
    "tidy",
    "translate",
    "update",
    "upgrade",
    "validate",
    "write",
];

/// Verbs that describe activity rather than a result.
const SOFT_VERBS: &[&str] = &[
    "clean",
    "cleanup",
    "enhance",
    "explore",
    "improve",
    "investigate",
    "look",
    "modernise",
    "modernize",
    "optimise",
    "optimize",
    "polish",
    "refactor",
    "restructure",
    "reorganise",
    "reorganize",
    "review",
    "rework",
    "simplify",
    "tidy",
    "update",
    "work",
];

/// Verbs that are vague when their object is generic ("fix bugs", "make it better").
const VAGUE_VERBS: &[&str] = &[
    "clean", "cleanup", "enhance", "fix", "improve", "make", "optimise", "optimize", "polish",
    "refactor", "rework", "tidy", "update",
];

/// Words that name nothing in particular.
const GENERIC_WORDS: &[&str] = &[
    "a",
    "across",
    "all",
    "any",
    "app",
    "better",
    "bit",
    "bugs",
    "cleaner",
    "code",
    "codebase",
    "everything",
    "everywhere",
    "faster",
    "general",
    "in",
    "issues",
    "it",
    "little",
    "more",
    "nicer",
    "overall",
    "problems",
    "project",
    "robust",
    "some",
    "stuff",
    "the",
    "things",
    "this",
    "up",
    "work",
    "works",
];

/// Clauses that support the aim before them rather than add one.
const SUPPORTING_WORDS: &[&str] = &[
    "test",
    "tests",
    "testing",
    "coverage",
    "changelog",
    "callers",
    "call",
    "usages",
    "references",
    "imports",
];

/// Words and signs that an outcome can be checked.
const OUTCOME_WORDS: &[&str] = &[
    "so", "when", "until", "unless", "instead", "returns", "return", "rejects", "accepts",
    "should", "must", "passes", "pass", "fails", "error", "errors", "test", "tests", "under",
    "within", "below", "above", "no", "without", "never", "always", "shows", "prints", "exits",
];

fn words(goal: &str) -> Vec<String> {
    goal.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Split a goal into clauses at `;`, `,`, " and ", " then ", " plus ", " as well as ".
fn clauses(goal: &str) -> Vec<Vec<String>> {
    let lower = goal.to_lowercase();
    let mut out = Vec::new();
    for part in lower.split([';', ',']) {
        let mut current = Vec::new();
        for w in words(part) {
            if matches!(w.as_str(), "and" | "then" | "plus" | "also") {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            } else {
                current.push(w);
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

fn verb_of(clause: &[String]) -> Option<&str> {
    let first = clause.first()?.as_str();
    ACTION_VERBS.contains(&first).then_some(first)
}

fn has_concrete_artifact(goal: &str) -> bool {
    goal.split_whitespace().any(|w| {
        let w =
            w.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | ':' | '(' | ')' | '"' | '\''));
        w.contains('`')
            || w.starts_with("--")
            || w.chars().any(|c| c.is_ascii_digit())
            || (w.contains('/') && w.len() > 2)
            || (w.contains('_') && w.len() > 2)
            || w.contains("::")
            || (w.contains('.') && w.len() > 3 && !w.ends_with('.'))
            || (w.chars().skip(1).any(|c| c.is_ascii_uppercase())
                && w.chars().any(|c| c.is_ascii_lowercase()))
    })
}

/// Check a goal; an empty list means it reads as one narrow, testable aim.
pub fn check(goal: &str) -> Vec<GoalWarning> {
    let mut warnings = Vec::new();
    let all = words(goal);
    let n = all.len();

    if n < MIN_WORDS {
        warnings.push(GoalWarning {
            code: GoalWarningCode::TooShort,
            message: format!("the goal has {n} word{}", if n == 1 { "" } else { "s" }),
            suggestion:
                "say what should change and where, e.g. \"Fix the tax rounding in checkout totals\""
                    .into(),
        });
    }
    if n > MAX_WORDS {
        warnings.push(GoalWarning {
            code: GoalWarningCode::TooLong,
            message: format!("the goal has {n} words (more than {MAX_WORDS})"),
            suggestion: "keep one sentence with the change and its outcome; put details in the task's notes or split it into several tasks".into(),
        });
    }

    let parts = clauses(goal);
    let vague: Vec<String> = parts
        .iter()
        .filter(|c| {
            verb_of(c).is_some_and(|v| VAGUE_VERBS.contains(&v) || v == "cleanup")
                || c.first().is_some_and(|w| w == "cleanup")
        })
        .filter(|c| {
            let rest: Vec<&String> = c.iter().skip(1).collect();
            rest.iter().all(|w| GENERIC_WORDS.contains(&w.as_str()))
        })
        .map(|c| c.join(" "))
        .collect();
    if let Some(first) = vague.first() {
        warnings.push(GoalWarning {
            code: GoalWarningCode::Vague,
            message: format!("\"{first}\" names an activity but not what it applies to"),
            suggestion: "name the specific thing to change, e.g. \"Fix the crash in OrderService.total when the cart is empty\"".into(),
        });
    }

    let lower = goal.to_lowercase();
    let explicit_split = lower.contains(';')
        || lower.contains(" and also ")
        || lower.contains(" as well as ")
        || lower.split_whitespace().any(|w| w == "also");
    let aims: Vec<&str> = parts
        .iter()
        .filter(|c| !c.iter().any(|w| SUPPORTING_WORDS.contains(&w.as_str())))
        .filter_map(|c| verb_of(c))
        .collect();
    if (explicit_split && parts.len() > 1) || aims.len() >= 2 {
        let list = if aims.len() >= 2 {
            format!(" ({})", aims.join(", "))
        } else {
            String::new()
        };
        warnings.push(GoalWarning {
            code: GoalWarningCode::SeveralAims,
            message: format!("the goal joins several separate aims{list}"),
            suggestion: "keep one aim per task and create another task for the rest (tests for the same change are fine)".into(),
        });
    }

    let soft = parts
        .first()
        .and_then(|c| c.first())
        .is_some_and(|w| SOFT_VERBS.contains(&w.as_str()));
    let outcome =
        all.iter().any(|w| OUTCOME_WORDS.contains(&w.as_str())) || has_concrete_artifact(goal);
    if (soft || !vague.is_empty()) && !outcome {
        warnings.push(GoalWarning {
            code: GoalWarningCode::NoTestableOutcome,
            message: "nothing in the goal says how to tell that it is done".into(),
            suggestion: "add an outcome someone can check, e.g. \"... so that the tests in tests/tax.rs pass\" or \"... under 200 ms\"".into(),
        });
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::GoalWarningCode::*;
    use super::*;

    fn codes(goal: &str) -> Vec<GoalWarningCode> {
        check(goal).into_iter().map(|w| w.code).collect()
    }

    #[test]
    fn goals_are_judged_by_a_table_of_good_and_bad_examples() {
        let long = "Fix the checkout page so that the tax line uses the customer's shipping \
                    address rather than the billing address, which matters for customers who \
                    ship gifts to other states, so that the receipt email and the order \
                    history page show the same number afterwards";
        let table: &[(&str, &[GoalWarningCode])] = &[
            // Good: one narrow aim with a checkable result.
            ("Fix checkout tax calculation and add tests", &[]),
            ("Fix the login redirect loop after a password reset", &[]),
            ("Add a --json flag to `paddock task list`", &[]),
            (
                "Return 404 instead of 500 when an order id does not exist",
                &[],
            ),
            (
                "Rename the User struct to Account and update its call sites",
                &[],
            ),
            (
                "Make the search endpoint respond in under 200 ms for 10k products",
                &[],
            ),
            (
                "Reject uploads larger than 10 MB with a clear error message",
                &[],
            ),
            (
                "Add retry with exponential backoff to the webhook sender, with a regression test",
                &[],
            ),
            (
                "Refactor parse_config into smaller functions so that each has a unit test",
                &[],
            ),
            (
                "Fix the null pointer crash in OrderService.total when the cart is empty",
                &[],
            ),
            (
                "Remove the deprecated v1 billing endpoints and their tests",
                &[],
            ),
            (
                "Validate email addresses on the signup form before submit",
                &[],
            ),
            // Bad: too short, vague, several aims, nothing testable, too long.
            ("Clean up", &[TooShort, Vague, NoTestableOutcome]),
            ("Improve the code", &[TooShort, Vague, NoTestableOutcome]),
            ("refactor everything", &[TooShort, Vague, NoTestableOutcome]),
            ("fix bugs", &[TooShort, Vague, NoTestableOutcome]),
            ("Make it better", &[TooShort, Vague, NoTestableOutcome]),
            ("Add tests", &[TooShort]),
            ("Clean up the codebase a bit", &[Vague, NoTestableOutcome]),
            (
                "Improve the performance of the dashboard",
                &[NoTestableOutcome],
            ),
            ("Refactor the payment module", &[NoTestableOutcome]),
            (
                "Fix the login redirect and also update the README",
                &[SeveralAims],
            ),
            ("Add dark mode; fix the flaky payment test", &[SeveralAims]),
            (
                "Upgrade React to v19 and rewrite the settings page and fix the signup validation",
                &[SeveralAims],
            ),
            (
                "Fix the invoice PDF margins and migrate the user table to Postgres",
                &[SeveralAims],
            ),
            (long, &[TooLong]),
        ];
        assert!(table.len() >= 20);
        let mut wrong = Vec::new();
        for (goal, expected) in table {
            let got = codes(goal);
            if got != *expected {
                wrong.push(format!("{goal:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    #[test]
    fn every_warning_explains_itself_and_suggests_a_narrower_goal() {
        for w in check("fix bugs; improve stuff and also make it better") {
            assert!(!w.message.is_empty());
            assert!(!w.suggestion.is_empty());
            assert!(w.to_string().starts_with(&format!("[{}]", w.code.as_str())));
        }
    }
}
