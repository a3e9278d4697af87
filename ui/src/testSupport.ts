// A backend that answers with fixed engine states, for component tests. It
// renders what the engine would say; the real engine is exercised end to end.
import type { Backend, CreateTaskRequest, GoalWarning, RepoReport, StepState, Task } from "./backend";

export const step = (id: StepState["id"], status: StepState["status"], summary = ""): StepState => ({
  id, title: id[0].toUpperCase() + id.slice(1), why: `why ${id}`, status, summary,
});

export const repoReport = (root: string, base: string): RepoReport => ({
  root, name: root.split("/").pop() ?? "repo", base,
  base_commit: base === "main" ? "0123456789abcdef0123456789abcdef01234567" : "fedcba9876543210fedcba9876543210fedcba98",
  uncommitted: 1, checkout_note: "1 uncommitted change in your checkout (left untouched)", submodules: 0,
});

export const fixedTask = (over: Partial<Task> = {}): Task => ({
  id: "1a2b3c4d", repo: "/src/app", repo_name: "app", base: "main",
  base_commit: "0123456789abcdef0123456789abcdef01234567",
  branch: "paddock/fix-checkout-tax-calculation-and-1a2b3c4d",
  worktree: "/p/worktrees/app/1a2b3c4d",
  goal: "Fix checkout tax calculation and add tests", goal_warnings: [], agent: "claude",
  state: "ready", created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z",
  ...over,
});

export const VAGUE: GoalWarning[] = [
  { code: "too_short", message: "the goal has 2 words", suggestion: "say what should change and where" },
  { code: "vague", message: "\"improve stuff\" names an activity but not what it applies to", suggestion: "name the specific thing" },
];

export interface FakeOptions {
  steps?: StepState[] | Error;
  /** Repositories by path: their branches and current branch. */
  repos?: Record<string, { branches: string[]; head: string }>;
  tasks?: Task[];
  createError?: string;
  discardError?: string;
}

export interface Fake {
  backend: Backend;
  created: CreateTaskRequest[];
  discarded: { id: string; force: boolean }[];
  tasks: Task[];
}

export function fakeBackend(opts: FakeOptions = {}): Fake {
  const repos = opts.repos ?? {};
  const fake: Fake = { backend: undefined as unknown as Backend, created: [], discarded: [], tasks: [...(opts.tasks ?? [])] };
  const notARepo = (path: string) => Promise.reject(`${path} is not inside a git repository`);
  fake.backend = {
    steps: () => (opts.steps instanceof Error ? Promise.reject(opts.steps.message) : Promise.resolve(opts.steps ?? [])),
    auditStatus: () => Promise.resolve({ events: 0, problems: [] }),
    doctor: () => Promise.resolve([]),
    appInfo: () => Promise.resolve({ version: "0.1.0", home: "/tmp/p" }),
    pickFolder: () => Promise.resolve(Object.keys(repos)[0] ?? null),
    repoBranches: (path) => (repos[path] ? Promise.resolve(repos[path].branches) : notARepo(path)),
    inspectRepo: (path, base) => {
      const r = repos[path];
      if (!r) return notARepo(path);
      const b = base ?? r.head;
      if (!r.branches.includes(b)) return Promise.reject(`the base branch "${b}" does not exist`);
      return Promise.resolve(repoReport(path, b));
    },
    checkGoal: (goal) => Promise.resolve(goal.includes("improve stuff") ? VAGUE : []),
    createTask: (request) => {
      fake.created.push(request);
      if (opts.createError) return Promise.reject(opts.createError);
      const t = fixedTask({
        repo: request.repo, base: request.base ?? "main", goal: request.goal, agent: request.agent,
        goal_warnings: request.accept_goal_warnings ? VAGUE : [],
      });
      fake.tasks.unshift(t);
      return Promise.resolve(t);
    },
    listTasks: () => Promise.resolve([...fake.tasks]),
    discardTask: (id, force) => {
      fake.discarded.push({ id, force });
      if (opts.discardError && !force) return Promise.reject(opts.discardError);
      const t = fake.tasks.find((x) => x.id === id);
      if (!t) return Promise.reject(`no task "${id}"`);
      t.state = "discarded";
      return Promise.resolve({ task: t, unreviewed_commits: 0, uncommitted_changes: 0, forced: force });
    },
  };
  return fake;
}
