//! The guided first run: where the person is in setting up a task, what they
//! acknowledged, and whether each step may be left. The app's wizard shows
//! this; it never decides a step's state or whether Next is allowed.
//!
//! Everything is stored as audit events, so the log tells the story of the
//! setup as it tells everything else, and nothing new needs a table:
//! - `setup.position` {task, stage}: the person moved to a stage (the newest
//!   one is where the app reopens);
//! - `setup.ack` {task, step, kind, summary}: the person acknowledged
//!   something (the policy, the review gate, a warning they continue past),
//!   with what the step said at that moment.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{self, Actor, AuditError, NewEvent};
use crate::checklist::{self, StepId, StepState, StepStatus};
use crate::store::{Store, StoreError};
use crate::task::{self, Task, TaskError, TaskState};

pub const POSITION_KIND: &str = "setup.position";
pub const ACK_KIND: &str = "setup.ack";

/// A screen of the guided setup: the repository form, the eight steps, and the last screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum SetupStage {
    Repository,
    Workspace,
    Branch,
    Goal,
    Secrets,
    Network,
    Commands,
    Logs,
    Review,
    Ready,
}

impl SetupStage {
    pub const ALL: [SetupStage; 10] = [
        SetupStage::Repository,
        SetupStage::Workspace,
        SetupStage::Branch,
        SetupStage::Goal,
        SetupStage::Secrets,
        SetupStage::Network,
        SetupStage::Commands,
        SetupStage::Logs,
        SetupStage::Review,
        SetupStage::Ready,
    ];

    /// The checklist step this stage sets up (none for the first and last screens).
    pub fn step(self) -> Option<StepId> {
        let i = Self::ALL.iter().position(|s| *s == self)?;
        (1..=8).contains(&i).then(|| StepId::ALL[i - 1])
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SetupStage::Repository => "repository",
            SetupStage::Workspace => "workspace",
            SetupStage::Branch => "branch",
            SetupStage::Goal => "goal",
            SetupStage::Secrets => "secrets",
            SetupStage::Network => "network",
            SetupStage::Commands => "commands",
            SetupStage::Logs => "logs",
            SetupStage::Review => "review",
            SetupStage::Ready => "ready",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// What the person acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum AckKind {
    /// "I have reviewed the command policy" (the Commands step).
    PolicyReviewed,
    /// "Nothing merges without my review" (the Review step).
    ReviewRequired,
    /// "Continue anyway": the step warns and the person goes on knowingly.
    ContinueAnyway,
}

impl AckKind {
    fn as_str(self) -> &'static str {
        match self {
            AckKind::PolicyReviewed => "policy_reviewed",
            AckKind::ReviewRequired => "review_required",
            AckKind::ContinueAnyway => "continue_anyway",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            AckKind::PolicyReviewed,
            AckKind::ReviewRequired,
            AckKind::ContinueAnyway,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The sentence the log records.
    fn sentence(self, step: StepId) -> String {
        match self {
            AckKind::PolicyReviewed => "the person reviewed the command policy".into(),
            AckKind::ReviewRequired => {
                "the person confirmed that nothing merges without their review".into()
            }
            AckKind::ContinueAnyway => format!(
                "the person continued past the {} step's warning",
                step.title()
            ),
        }
    }
}

/// The acknowledgements a step needs before it may be left, besides its own state.
pub fn required_acks(step: StepId) -> &'static [AckKind] {
    match step {
        StepId::Commands => &[AckKind::PolicyReviewed],
        StepId::Review => &[AckKind::ReviewRequired],
        _ => &[],
    }
}

/// One recorded acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Acknowledgement {
    pub step: StepId,
    pub kind: AckKind,
    /// What the step said when the person acknowledged it.
    pub summary: String,
    pub at: String,
}

/// Whether a step may be left forward, and what is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct StepGate {
    pub step: StepId,
    pub can_leave: bool,
    /// Acknowledgements still missing (a warning needs `continue_anyway`).
    pub needs: Vec<AckKind>,
    /// Why the step cannot be left even with acknowledgements (it is broken or not set up).
    pub blocked: Option<String>,
}

/// Everything the wizard shows, measured now.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct SetupView {
    /// The task being set up (none on the repository screen).
    pub task: Option<Task>,
    pub stage: SetupStage,
    /// The eight steps measured for this task (empty without a task).
    pub steps: Vec<StepState>,
    pub gates: Vec<StepGate>,
    pub acks: Vec<Acknowledgement>,
    /// Every step is in place, or warns and the person continued knowingly.
    pub ready: bool,
    /// Steps fully in place (`ok`), of eight.
    pub in_place: u32,
    /// One sentence for the last screen.
    pub verdict: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error("the {step} step cannot be left yet: {why}")]
    StepNotDone { step: String, why: String },
    #[error("\"{kind}\" does not apply to the {step} step")]
    AckDoesNotApply { step: String, kind: String },
    #[error("the {step} step does not warn ({status}); there is nothing to continue past")]
    NothingToContinuePast { step: String, status: String },
    #[error("task {task} is {state}; its setup is over")]
    TaskFinished { task: String, state: TaskState },
}

fn status_text(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Ok => "in place",
        StepStatus::Warn => "needs a look",
        StepStatus::Fail => "broken",
        StepStatus::NotSetUp => "not set up",
    }
}

/// The acknowledgements recorded for `task`, oldest first.
pub fn acknowledgements(store: &Store, task: &str) -> Result<Vec<Acknowledgement>, SetupError> {
    let mut st = store
        .conn()
        .prepare("SELECT payload, at FROM events WHERE kind = ?1 AND task = ?2 ORDER BY id")
        .map_err(|e| StoreError::sql("reading the setup acknowledgements", e))?;
    let rows = st
        .query_map(rusqlite::params![ACK_KIND, task], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(|e| StoreError::sql("reading the setup acknowledgements", e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::sql("reading the setup acknowledgements", e))?;
    Ok(rows
        .into_iter()
        .filter_map(|(payload, at)| {
            let v: serde_json::Value = serde_json::from_str(&payload).ok()?;
            let step = StepId::ALL
                .into_iter()
                .find(|s| Some(step_key(*s)) == v["step"].as_str())?;
            Some(Acknowledgement {
                step,
                kind: AckKind::parse(v["kind"].as_str()?)?,
                summary: v["summary"].as_str().unwrap_or_default().to_string(),
                at,
            })
        })
        .collect())
}

fn step_key(step: StepId) -> &'static str {
    SetupStage::ALL
        .into_iter()
        .find(|s| s.step() == Some(step))
        .map(SetupStage::as_str)
        .unwrap_or("")
}

/// May `state` be left forward, given what was acknowledged?
pub fn gate(state: &StepState, acks: &[Acknowledgement]) -> StepGate {
    let has = |k: AckKind| acks.iter().any(|a| a.step == state.id && a.kind == k);
    let mut needs: Vec<AckKind> = required_acks(state.id)
        .iter()
        .copied()
        .filter(|k| !has(*k))
        .collect();
    let blocked = match state.status {
        StepStatus::Ok => None,
        StepStatus::Warn => {
            if !has(AckKind::ContinueAnyway) {
                needs.push(AckKind::ContinueAnyway);
            }
            None
        }
        StepStatus::Fail | StepStatus::NotSetUp => Some(format!(
            "{} is {}: {}",
            state.title,
            status_text(state.status),
            state.summary
        )),
    };
    StepGate {
        step: state.id,
        can_leave: blocked.is_none() && needs.is_empty(),
        needs,
        blocked,
    }
}

/// The wizard for `task` at `stage`, measured now.
pub fn view(store: &Store, task: &str, stage: SetupStage) -> Result<SetupView, SetupError> {
    let t = task::get(store, task)?;
    let steps = checklist::steps_for_task(store, &t.id);
    let acks = acknowledgements(store, &t.id)?;
    let gates: Vec<StepGate> = steps.iter().map(|s| gate(s, &acks)).collect();
    let in_place = steps.iter().filter(|s| s.status == StepStatus::Ok).count() as u32;
    let ready = gates.iter().all(|g| g.can_leave);
    let open: Vec<&str> = steps
        .iter()
        .zip(&gates)
        .filter(|(_, g)| !g.can_leave)
        .map(|(s, _)| s.title.as_str())
        .collect();
    let warned = steps.len() as u32 - in_place;
    let verdict = if !ready {
        format!(
            "Not ready: {} still need{} you.",
            open.join(", "),
            if open.len() == 1 { "s" } else { "" }
        )
    } else if warned == 0 {
        format!("Ready: all eight steps are in place for task {}.", t.id)
    } else {
        format!(
            "Ready: {in_place} of 8 steps in place; you continued past {warned} warning{} knowingly (logged).",
            if warned == 1 { "" } else { "s" }
        )
    };
    Ok(SetupView {
        task: Some(t),
        stage,
        steps,
        gates,
        acks,
        ready,
        in_place,
        verdict,
    })
}

/// The repository screen: no task yet.
pub fn empty_view() -> SetupView {
    SetupView {
        task: None,
        stage: SetupStage::Repository,
        steps: Vec::new(),
        gates: Vec::new(),
        acks: Vec::new(),
        ready: false,
        in_place: 0,
        verdict: "Choose a repository to begin.".into(),
    }
}

/// The newest recorded position: (task, stage), the task absent on the repository screen.
fn newest_position(store: &Store) -> Result<Option<(Option<String>, SetupStage)>, SetupError> {
    let row: Option<(Option<String>, String)> = store
        .conn()
        .query_row(
            "SELECT task, payload FROM events WHERE kind = ?1 ORDER BY id DESC LIMIT 1",
            [POSITION_KIND],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(|e| StoreError::sql("reading the setup position", e))?;
    Ok(row.and_then(|(task, payload)| {
        let v: serde_json::Value = serde_json::from_str(&payload).ok()?;
        Some((task, SetupStage::parse(v["stage"].as_str()?)?))
    }))
}

/// Where the person left the guided setup, if it is still open: the newest
/// position, when its task is still being set up (not yet handed to an agent,
/// or not yet at the last screen). On a first launch (no task, no setup
/// begun) the repository screen. `None`: nothing to resume.
pub fn resume(store: &Store) -> Result<Option<SetupView>, SetupError> {
    let Some((task, stage)) = newest_position(store)? else {
        return Ok(task::list(store)?.is_empty().then(empty_view));
    };
    let Some(task) = task else {
        return Ok(Some(empty_view()));
    };
    let t = match task::get(store, &task) {
        Ok(t) => t,
        // The task was removed from under the setup: nothing to go back to.
        Err(TaskError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let open = match t.state {
        TaskState::Draft | TaskState::Ready => true,
        TaskState::Running | TaskState::AwaitingReview => stage != SetupStage::Ready,
        TaskState::Merged | TaskState::Discarded => false,
    };
    if !open {
        return Ok(None);
    }
    view(store, &t.id, stage).map(Some)
}

/// Begin a new setup (the "New task" button): the repository screen, recorded
/// so a restart returns to it.
pub fn begin(store: &mut Store) -> Result<SetupView, SetupError> {
    audit::record(
        store,
        NewEvent::new(
            POSITION_KIND,
            Actor::User,
            "the person began setting up a new task",
        )
        .payload(serde_json::json!({"stage": SetupStage::Repository.as_str()})),
    )?;
    Ok(empty_view())
}

/// Move to `stage` of `task`'s setup. Going back is always allowed; going
/// forward only past steps that may be left (see [`gate`]). The move is recorded.
pub fn go_to(store: &mut Store, task: &str, stage: SetupStage) -> Result<SetupView, SetupError> {
    let t = task::get(store, task)?;
    if !t.state.is_active() {
        return Err(SetupError::TaskFinished {
            task: t.id,
            state: t.state,
        });
    }
    let current = view(store, &t.id, stage)?;
    // Every step before the target must be leavable (the repository screen
    // and the task's creation are behind any task that exists).
    for (state, g) in current.steps.iter().zip(&current.gates) {
        let step_stage = SetupStage::ALL[state_index(state.id) + 1];
        if step_stage.index() >= stage.index() {
            break;
        }
        if !g.can_leave {
            let why = g.blocked.clone().unwrap_or_else(|| {
                format!(
                    "it needs {}",
                    g.needs
                        .iter()
                        .map(|k| k.as_str().replace('_', " "))
                        .collect::<Vec<_>>()
                        .join(" and ")
                )
            });
            return Err(SetupError::StepNotDone {
                step: state.title.clone(),
                why,
            });
        }
    }
    audit::record(
        store,
        NewEvent::new(
            POSITION_KIND,
            Actor::User,
            format!("setup of task {} at {}", t.id, stage.as_str()),
        )
        .task(&t.id)
        .payload(serde_json::json!({"stage": stage.as_str()})),
    )?;
    Ok(current)
}

fn state_index(step: StepId) -> usize {
    StepId::ALL.iter().position(|s| *s == step).unwrap_or(0)
}

/// Record an acknowledgement for `step` of `task`, with what the step says now.
/// Only acknowledgements that apply are accepted: the policy on Commands, the
/// review gate on Review, "continue anyway" on a step that warns.
pub fn acknowledge(
    store: &mut Store,
    task: &str,
    step: StepId,
    kind: AckKind,
    stage: SetupStage,
) -> Result<SetupView, SetupError> {
    let t = task::get(store, task)?;
    let steps = checklist::steps_for_task(store, &t.id);
    let Some(state) = steps.iter().find(|s| s.id == step) else {
        return Err(SetupError::AckDoesNotApply {
            step: step.title().into(),
            kind: kind.as_str().into(),
        });
    };
    match kind {
        AckKind::ContinueAnyway if state.status != StepStatus::Warn => {
            return Err(SetupError::NothingToContinuePast {
                step: state.title.clone(),
                status: status_text(state.status).into(),
            })
        }
        AckKind::ContinueAnyway => {}
        other if !required_acks(step).contains(&other) => {
            return Err(SetupError::AckDoesNotApply {
                step: state.title.clone(),
                kind: other.as_str().into(),
            })
        }
        _ => {}
    }
    audit::record(
        store,
        NewEvent::new(ACK_KIND, Actor::User, kind.sentence(step))
            .task(&t.id)
            .payload(serde_json::json!({
                "step": step_key(step),
                "kind": kind.as_str(),
                "status": state.status,
                "summary": state.summary,
            })),
    )?;
    view(store, &t.id, stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: StepId, status: StepStatus) -> StepState {
        StepState {
            id,
            title: id.title().into(),
            why: id.why().into(),
            status,
            summary: "measured".into(),
            fix: None,
        }
    }

    fn ack(step: StepId, kind: AckKind) -> Acknowledgement {
        Acknowledgement {
            step,
            kind,
            summary: String::new(),
            at: String::new(),
        }
    }

    #[test]
    fn stages_map_to_the_eight_steps_in_order() {
        assert_eq!(SetupStage::Repository.step(), None);
        assert_eq!(SetupStage::Ready.step(), None);
        let mapped: Vec<StepId> = SetupStage::ALL.iter().filter_map(|s| s.step()).collect();
        assert_eq!(mapped, StepId::ALL.to_vec());
        for s in SetupStage::ALL {
            assert_eq!(SetupStage::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_warning_needs_continue_anyway_and_a_failure_blocks() {
        let ok = gate(&state(StepId::Secrets, StepStatus::Ok), &[]);
        assert!(ok.can_leave && ok.needs.is_empty());

        let warn = gate(&state(StepId::Secrets, StepStatus::Warn), &[]);
        assert!(!warn.can_leave);
        assert_eq!(warn.needs, vec![AckKind::ContinueAnyway]);
        let warn = gate(
            &state(StepId::Secrets, StepStatus::Warn),
            &[ack(StepId::Secrets, AckKind::ContinueAnyway)],
        );
        assert!(warn.can_leave);

        // An acknowledgement of another step does not count.
        let other = gate(
            &state(StepId::Network, StepStatus::Warn),
            &[ack(StepId::Secrets, AckKind::ContinueAnyway)],
        );
        assert!(!other.can_leave);

        for status in [StepStatus::Fail, StepStatus::NotSetUp] {
            let g = gate(
                &state(StepId::Secrets, status),
                &[ack(StepId::Secrets, AckKind::ContinueAnyway)],
            );
            assert!(!g.can_leave, "{status:?}");
            assert!(g.blocked.unwrap().contains("measured"));
        }
    }

    #[test]
    fn commands_and_review_need_their_own_acknowledgement_even_when_in_place() {
        let g = gate(&state(StepId::Commands, StepStatus::Ok), &[]);
        assert_eq!(g.needs, vec![AckKind::PolicyReviewed]);
        let g = gate(
            &state(StepId::Commands, StepStatus::Warn),
            &[ack(StepId::Commands, AckKind::PolicyReviewed)],
        );
        assert_eq!(g.needs, vec![AckKind::ContinueAnyway]);
        let g = gate(
            &state(StepId::Review, StepStatus::Ok),
            &[ack(StepId::Review, AckKind::ReviewRequired)],
        );
        assert!(g.can_leave);
    }
}
