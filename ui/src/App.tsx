import { useCallback, useEffect, useState } from "react";
import type { AppInfo, Backend, DoctorCheck, PendingApproval, QueueEntry, SetupView, StepState, Task } from "./backend";
import { StepList } from "./components/StepList";
import { StepDetail } from "./components/StepDetail";
import { NewTaskForm } from "./components/NewTaskForm";
import { TaskList } from "./components/TaskList";
import { ApprovalsScreen } from "./components/ApprovalsScreen";
import { PolicyEditor } from "./components/PolicyEditor";
import { NetworkPanel } from "./components/NetworkPanel";
import { SecretsPanel } from "./components/SecretsPanel";
import { ReviewScreen } from "./components/ReviewScreen";
import { LogsScreen } from "./components/LogsScreen";
import { SetupWizard } from "./components/SetupWizard";
import type { DiffViewComponent } from "./components/diffView";
import { firstStepToOpen, progress } from "./wizard";
import { isTaskStep } from "./tasks";

type View = "setup" | "steps" | "tasks" | "approvals" | "review" | "logs";

/** How often the review queue is read (the tray's event also triggers a read). */
const QUEUE_EVERY_MS = 3000;

/** How often the pending requests are read while the app runs (the tray's event also triggers a read). */
const PENDING_EVERY_MS = 1000;

export function App({ backend, DiffView }: { backend: Backend; DiffView?: DiffViewComponent }) {
  const [steps, setSteps] = useState<StepState[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<StepState["id"] | null>(null);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [doctor, setDoctor] = useState<DoctorCheck[] | null>(null);
  const [view, setView] = useState<View>("steps");
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [tasksError, setTasksError] = useState<string | null>(null);
  const [pending, setPending] = useState<PendingApproval[] | null>(null);
  const [pendingError, setPendingError] = useState<string | null>(null);
  const [queue, setQueue] = useState<QueueEntry[] | null>(null);
  const [queueError, setQueueError] = useState<string | null>(null);
  const [logsTask, setLogsTask] = useState<string | null>(null);
  const [setup, setSetup] = useState<SetupView | null>(null);
  const [setupKey, setSetupKey] = useState(0);
  const [setupError, setSetupError] = useState<string | null>(null);

  // Where the person left the guided setup (or the first launch's repository screen).
  useEffect(() => {
    let live = true;
    backend.setupResume().then(
      (v) => {
        if (live && v) {
          setSetup(v);
          setView("setup");
        }
      },
      (e) => live && setSetupError(String(e)),
    );
    return () => {
      live = false;
    };
  }, [backend]);

  const beginSetup = useCallback(async () => {
    try {
      const v = await backend.setupBegin();
      setSetup(v);
      setSetupKey((k) => k + 1);
      setSetupError(null);
      setView("setup");
    } catch (e) {
      setSetupError(String(e));
    }
  }, [backend]);

  // "Set up": back to where the engine says the setup stands, else a new one.
  const openSetup = useCallback(async () => {
    try {
      const v = await backend.setupResume();
      if (!v) return void (await beginSetup());
      setSetup(v);
      setSetupKey((k) => k + 1);
      setSetupError(null);
      setView("setup");
    } catch (e) {
      setSetupError(String(e));
    }
  }, [backend, beginSetup]);

  const refreshQueue = useCallback(async () => {
    try {
      setQueue(await backend.reviewQueue());
      setQueueError(null);
    } catch (e) {
      setQueueError(String(e));
    }
  }, [backend]);

  useEffect(() => {
    void refreshQueue();
    const t = setInterval(() => void refreshQueue(), QUEUE_EVERY_MS);
    const stops: Promise<() => void>[] = [
      backend.onReviewChanged(() => void refreshQueue()),
      backend.onOpenReview(() => {
        setView("review");
        void refreshQueue();
      }),
    ];
    return () => {
      clearInterval(t);
      for (const s of stops) void s.then((stop) => stop(), () => undefined);
    };
  }, [backend, refreshQueue]);

  const refreshPending = useCallback(async () => {
    try {
      setPending(await backend.listPendingApprovals());
      setPendingError(null);
    } catch (e) {
      setPendingError(String(e));
    }
  }, [backend]);

  useEffect(() => {
    void refreshPending();
    const t = setInterval(() => void refreshPending(), PENDING_EVERY_MS);
    const stops: Promise<() => void>[] = [
      backend.onApprovalsChanged(() => void refreshPending()),
      backend.onOpenApprovals(() => {
        setView("approvals");
        void refreshPending();
      }),
    ];
    return () => {
      clearInterval(t);
      for (const s of stops) void s.then((stop) => stop(), () => undefined);
    };
  }, [backend, refreshPending]);

  const refreshTasks = useCallback(async () => {
    try {
      setTasks(await backend.listTasks());
      setTasksError(null);
    } catch (e) {
      setTasksError(String(e));
    }
  }, [backend]);

  const refresh = useCallback(async () => {
    try {
      const s = await backend.steps();
      setSteps(s);
      setError(null);
      setSelected((cur) => cur ?? firstStepToOpen(s));
    } catch (e) {
      setError(String(e));
    }
  }, [backend]);

  useEffect(() => {
    void refresh();
    void refreshTasks();
    backend.appInfo().then(setInfo, () => undefined);
    const t = setInterval(() => {
      void refresh();
      void refreshTasks();
    }, 3000);
    return () => clearInterval(t);
  }, [backend, refresh, refreshTasks]);

  const onCreated = useCallback(() => {
    void refresh();
    void refreshTasks();
  }, [refresh, refreshTasks]);

  const current = steps?.find((s) => s.id === selected) ?? null;
  const p = steps ? progress(steps) : null;

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <svg className="logo" viewBox="0 0 24 24" width="20" height="20" aria-hidden>
            <path d="M5 5v14M12 5v14M19 5v14M3 10h18M3 15h18" stroke="currentColor" strokeWidth="2.2" fill="none" strokeLinecap="round" />
          </svg>
          Paddock
        </div>
        <nav className="views" aria-label="Views">
          <button
            className={view === "setup" ? "active" : ""}
            onClick={() => void openSetup()}
            data-testid="nav-setup"
          >
            Set up
          </button>
          <button className={view === "steps" ? "active" : ""} onClick={() => setView("steps")} data-testid="nav-steps">
            Steps
          </button>
          <button className={view === "tasks" ? "active" : ""} onClick={() => setView("tasks")} data-testid="nav-tasks">
            Tasks{tasks && tasks.length > 0 ? ` (${tasks.length})` : ""}
          </button>
          <button
            className={`${view === "approvals" ? "active" : ""}${pending && pending.length > 0 ? " attention" : ""}`}
            onClick={() => setView("approvals")}
            data-testid="nav-approvals"
          >
            Approvals{pending && pending.length > 0 ? ` (${pending.length})` : ""}
          </button>
          <button
            className={`${view === "review" ? "active" : ""}${queue && queue.length > 0 ? " attention" : ""}`}
            onClick={() => setView("review")}
            data-testid="nav-review"
          >
            Review{queue && queue.length > 0 ? ` (${queue.length})` : ""}
          </button>
          <button className={view === "logs" ? "active" : ""} onClick={() => setView("logs")} data-testid="nav-logs">
            Logs
          </button>
        </nav>
        <div className="headline" data-testid="headline">
          {p ? p.headline : "Reading Paddock's state…"}
        </div>
        <div className="meta">{info ? `v${info.version} · ${info.home}` : ""}</div>
      </header>
      {error && (
        <div className="error" role="alert" data-testid="error">
          Paddock cannot read its state: {error}
        </div>
      )}
      {setupError && (
        <div className="error" role="alert" data-testid="setup-resume-error">
          Paddock cannot read where the setup stands: {setupError}
        </div>
      )}
      {view === "setup" && setup ? (
        <SetupWizard
          key={setupKey}
          backend={backend}
          initial={setup}
          onCreated={onCreated}
          onShowApprovals={() => setView("approvals")}
          onShowReview={() => setView("review")}
          onShowLogs={(t) => {
            setLogsTask(t);
            setView("logs");
          }}
        />
      ) : view === "review" ? (
        <main className="wizard">
          <section className="detail review-detail">
            <ReviewScreen
              backend={backend}
              queue={queue}
              error={queueError}
              DiffView={DiffView}
              onChanged={() => {
                void refreshQueue();
                void refreshTasks();
                void refresh();
              }}
              onShowLogs={(t) => {
                setLogsTask(t);
                setView("logs");
              }}
            />
          </section>
        </main>
      ) : view === "logs" ? (
        <main className="wizard">
          <section className="detail">
            <LogsScreen backend={backend} tasks={tasks} task={logsTask} onTask={setLogsTask} />
          </section>
        </main>
      ) : view === "approvals" ? (
        <main className="wizard">
          <section className="detail">
            <ApprovalsScreen backend={backend} pending={pending} error={pendingError} onChanged={() => void refreshPending()} />
          </section>
        </main>
      ) : view === "tasks" ? (
        <main className="wizard">
          <section className="detail">
            <TaskList
              backend={backend}
              tasks={tasks}
              error={tasksError}
              onChanged={onCreated}
              onNewTask={() => void beginSetup()}
            />
          </section>
        </main>
      ) : (
        <main className="wizard">
          <StepList steps={steps ?? []} selected={selected} onSelect={setSelected} />
          <section className="detail">
            {current ? (
              <StepDetail step={current} />
            ) : (
              <p className="muted">Loading the eight steps…</p>
            )}
            {isTaskStep(selected) && (
              <NewTaskForm backend={backend} onCreated={onCreated} onShowTasks={() => setView("tasks")} />
            )}
            {selected === "commands" && <PolicyEditor backend={backend} />}
            {selected === "network" && <NetworkPanel backend={backend} />}
            {selected === "secrets" && <SecretsPanel backend={backend} />}
            <section className="doctor">
              <h3>This machine</h3>
              {doctor ? (
                <ul data-testid="doctor">
                  {doctor.map((c) => (
                    <li key={c.name} className={c.health}>
                      <strong>{c.name}</strong>: {c.evidence}
                      {c.fix && <div className="fix">Fix: {c.fix}</div>}
                    </li>
                  ))}
                </ul>
              ) : (
                <button onClick={() => backend.doctor().then(setDoctor, (e) => setError(String(e)))}>
                  Check this machine
                </button>
              )}
            </section>
          </section>
        </main>
      )}
    </div>
  );
}
