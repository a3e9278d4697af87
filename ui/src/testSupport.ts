// A backend that answers with fixed engine states, for component tests. It
// renders what the engine would say; the real engine is exercised end to end.
import type {
  Backend, CreateTaskRequest, FileContents, FileDiff, GoalWarning, MergeOptions, MergeRefusal, PendingApproval, PolicySummary,
  QueueEntry, RememberScope, RememberedRule, RepoReport, ReviewComment, ReviewDiff, ReviewNote, StepState, Task,
  TimelineEntry, TimelineKind, UserRuleInput, NetworkSettings, NetworkConnection, HostRuleVerdict,
  Finding, HeldSecret, ScanProgress,
} from "./backend";

/** A finding as the engine reports it: a masked preview, never the value. */
export const finding = (id: string, file: string, line: number, rule: string, name: string, preview: string): Finding => ({
  id, file, line, column: 1, rule, title: rule, name, preview,
});

/** What a move leaves in the store for a finding. */
export const heldFrom = (f: Finding, id: number, project = "shop"): HeldSecret => ({
  id, project, name: f.name, repo: "/home/me/shop", file: f.file, line: f.line, rule: f.rule,
  reference: `paddock://${project}/${f.name}`, keychain_service: `paddock:${project}`, keychain_account: f.name,
  task: "1a2b3c4d", moved_at: "2026-12-04T17:00:00Z", restored_at: null,
});

export const step = (id: StepState["id"], status: StepState["status"], summary = "", fix: string | null = null): StepState => ({
  id, title: id[0].toUpperCase() + id.slice(1), why: `why ${id}`, status, summary, fix,
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

/** A pending `npm install left-pad && make` that asked, as the engine lists it. */
export const pendingRequest = (id: number, task: string | null = "1a2b3c4d", command = "npm install left-pad && make"): PendingApproval => ({
  approval: {
    id, task, project: task ? "/src/app" : null, agent: "claude",
    action: { kind: "shell", command, cwd: "/p/worktrees/app/1a2b3c4d" },
    parts: [
      { command: command.split(" && ")[0], verdict: "ask", rule: "default:package-install", reason: "installing packages runs their install scripts; ask first" },
      ...(command.includes(" && ") ? [{ command: command.split(" && ")[1], verdict: "allow" as const, rule: "default:build", reason: "a local build" }] : []),
    ],
    rule: "default:package-install", reason: "installing packages runs their install scripts; ask first",
    state: "pending", created_at: "2025-01-01T00:00:00Z", deadline: "2025-01-01T00:02:00Z",
    decided_at: null, decided_by: null, remembered_rule: null,
  },
  action_text: command, short_action: command,
  task_goal: task ? "Fix checkout tax calculation and add tests" : null,
  task_branch: task ? `paddock/fix-checkout-tax-${task}` : null, task_repo_name: task ? "app" : null,
  waiting_secs: 12, secs_left: 108,
});

export const policySummary = (over: Partial<PolicySummary> = {}): PolicySummary => ({
  defaults: [
    { category: "Read and search", example: "grep -rn TODO src", verdict: "allow", rule: "default:read-only", reason: "reads only" },
    { category: "Install packages", example: "npm install left-pad", verdict: "ask", rule: "default:package-install", reason: "installing packages runs their install scripts; ask first" },
    { category: "Read secrets", example: "read: ~/.ssh/id_ed25519", verdict: "deny", rule: "default:secret-read", reason: "an SSH key" },
  ],
  user_rules: [], repo_rules: [], user_file: "/tmp/p/policy.toml", repo_file: "/src/app/paddock.toml", error: null,
  ...over,
});

export const changedFile = (path: string, over: Partial<FileDiff> = {}): FileDiff => ({
  path, old_path: null, status: "modified", binary: false, non_utf8: false, crlf: false,
  old_mode: 0o100644, new_mode: 0o100644, old_blob: "a".repeat(40), new_blob: "b".repeat(40),
  additions: 2, deletions: 1, hunks: [], reviewed: false, ...over,
});

export const reviewDiff = (files: FileDiff[], task = "1a2b3c4d"): ReviewDiff => ({
  task, base: "main", branch: `paddock/fix-${task}`, merge_base: "0".repeat(40), head: "1".repeat(40), files,
  copies_detected: true,
  totals: {
    files: files.length, additions: files.reduce((n, f) => n + f.additions, 0), deletions: files.reduce((n, f) => n + f.deletions, 0),
    binary: files.filter((f) => f.binary).length, reviewed: files.filter((f) => f.reviewed).length,
  },
});

export const reviewNote = (diff: ReviewDiff, over: Partial<ReviewNote> = {}): ReviewNote => ({
  task: diff.task, goal: "Fix checkout tax calculation and add tests", base: diff.base, branch: diff.branch, state: "awaiting_review",
  summary: "Fixed the rounding and added three tests.",
  files: diff.files.map((f) => ({ path: f.path, old_path: f.old_path, status: f.status, binary: f.binary, additions: f.additions, deletions: f.deletions, reviewed: f.reviewed })),
  totals: diff.totals, diff_error: null, commands: [],
  tests: [{ event: 7, at: "2025-01-01T00:00:05Z", command: "cargo test", runner: "cargo", exit_code: 0, counts: { passed: 3, failed: 0, skipped: 0 }, outcome: "passed" }],
  test_status: "passing", approvals: [], network: [], attention: [], ...over,
});

export const queueEntry = (task: Task, over: Partial<QueueEntry> = {}): QueueEntry => ({
  task, files: 3, additions: 10, deletions: 2, reviewed: 0, test_status: "passing", approvals: 1, blocked: 0,
  unsent_comments: 0, error: null, ...over,
});

/** A task's network settings as the engine answers them with nothing changed. */
export const networkSettings = (task = "1a2b3c4d", over: Partial<NetworkSettings> = {}): NetworkSettings => ({
  task,
  presets: [
    { name: "default-deny", title: "Default deny list", explanation: "Paste sites, anonymous file drops, request catchers and tunnels (70 domains): always blocked.", on: true, locked: true },
    { name: "localhost", title: "Localhost", explanation: "The app the agent builds, on this machine (localhost, 127.0.0.1, ::1).", on: true, locked: false },
    { name: "model-api", title: "Model API", explanation: "The agent's own model provider, so it can think (and your configured gateway).", on: true, locked: false },
    { name: "packages", title: "Package registries", explanation: "Off unless this task changes packages: the registries your package managers are configured to use.", on: false, locked: false },
    { name: "docs", title: "Documentation sites", explanation: "docs.rs, MDN, the Python, Node and Go docs and similar: reading documentation only.", on: false, locked: false },
  ],
  rules: [],
  ...over,
});

export const connection = (key: string, host: string, verdict: NetworkConnection["verdict"], over: Partial<NetworkConnection> = {}): NetworkConnection => ({
  key, host, port: 80, method: "GET", verdict,
  rule: verdict === "allowed" ? "user:allow-host" : verdict === "blocked" ? "user:deny-host" : "network:unknown-host",
  reason: verdict === "waiting" ? "an unknown host; ask" : "matched", at: "2025-01-01T00:00:00Z",
  approval: null, secs_left: verdict === "waiting" ? 100 : null, ...over,
});

export interface FakeReview {
  diff: ReviewDiff;
  note: ReviewNote;
  contents?: Record<string, FileContents>;
  /** What the engine answers to a merge (beyond its own unreviewed check). */
  mergeRefusal?: MergeRefusal;
}

export interface FakeOptions {
  steps?: StepState[] | Error;
  /** Repositories by path: their branches and current branch. */
  repos?: Record<string, { branches: string[]; head: string }>;
  tasks?: Task[];
  createError?: string;
  discardError?: string;
  pending?: PendingApproval[];
  rules?: RememberedRule[];
  policy?: PolicySummary;
  decideError?: string;
  saveRuleError?: string;
  queue?: QueueEntry[];
  reviews?: Record<string, FakeReview>;
  timeline?: TimelineEntry[];
  /** null: no active task (the engine's error). */
  network?: NetworkSettings | null;
  connections?: NetworkConnection[];
  /** What a scan finds; a string: the engine's error. */
  findings?: Finding[] | string;
  held?: HeldSecret[];
  /** Progress reports a scan sends before it answers. */
  scanProgress?: ScanProgress[];
  moveError?: string;
}

export interface Fake {
  backend: Backend;
  created: CreateTaskRequest[];
  discarded: { id: string; force: boolean }[];
  tasks: Task[];
  pending: PendingApproval[];
  decided: { id: number; verdict: "allow" | "deny"; remember: RememberScope | null }[];
  rules: RememberedRule[];
  revoked: number[];
  policy: PolicySummary;
  savedRules: UserRuleInput[];
  deletedRules: string[];
  marked: { task: string; path: string; reviewed: boolean }[];
  comments: ReviewComment[];
  merges: { task: string; options: MergeOptions }[];
  changesRequested: string[];
  timelineAsked: { task: string; kinds: TimelineKind[] | null }[];
  network: NetworkSettings | null;
  connections: NetworkConnection[];
  networkChanges: { task: string | null; change: string }[];
  findings: Finding[] | string;
  held: HeldSecret[];
  moves: { task: string | null; ids: string[]; all: boolean }[];
}

export function fakeBackend(opts: FakeOptions = {}): Fake {
  const repos = opts.repos ?? {};
  const fake: Fake = {
    backend: undefined as unknown as Backend, created: [], discarded: [], tasks: [...(opts.tasks ?? [])],
    pending: [...(opts.pending ?? [])], decided: [], rules: [...(opts.rules ?? [])], revoked: [],
    policy: opts.policy ?? policySummary(), savedRules: [], deletedRules: [],
    marked: [], comments: [], merges: [], changesRequested: [], timelineAsked: [],
    network: opts.network === undefined ? networkSettings() : opts.network, connections: [...(opts.connections ?? [])],
    networkChanges: [], findings: opts.findings ?? [], held: [...(opts.held ?? [])], moves: [],
  };
  let progressHandler: ((p: ScanProgress) => void) | null = null;
  let nextNetRule = 100;
  const noTask = () => Promise.reject<never>("no active task; create one first (the Workspace step, or `paddock task new`)");
  const net = (task: string | null, change: string, f: (s: NetworkSettings) => NetworkSettings | string) => {
    fake.networkChanges.push({ task, change });
    if (!fake.network) return noTask();
    const r = f(fake.network);
    if (typeof r === "string") return Promise.reject<never>(r);
    fake.network = r;
    return Promise.resolve(r);
  };
  const reviews = opts.reviews ?? {};
  const review = (task: string) => (reviews[task] ? Promise.resolve(reviews[task]) : Promise.reject(`no task "${task}"`));
  let nextRule = 1;
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
    listPendingApprovals: () => Promise.resolve([...fake.pending]),
    decideApproval: (id, verdict, remember) => {
      fake.decided.push({ id, verdict, remember });
      if (opts.decideError) return Promise.reject(opts.decideError);
      const p = fake.pending.find((x) => x.approval.id === id);
      if (!p) return Promise.reject(`approval request ${id} is no longer pending`);
      fake.pending = fake.pending.filter((x) => x.approval.id !== id);
      if (!remember) return Promise.resolve(null);
      const rule: RememberedRule = {
        id: nextRule++, verdict, reach: remember.reach, task: remember.reach === "task" ? p.approval.task : null,
        project: remember.reach === "project" ? p.approval.project : null, action_kind: p.approval.action.kind,
        matching: remember.matching,
        pattern: remember.matching.kind === "exact" ? p.action_text : remember.matching.words.join(" "),
        from_approval: id, created_at: "2025-01-01T00:00:10Z", created_by: "user (app)", revoked_at: null, revoked_by: null,
      };
      fake.rules.push(rule);
      return Promise.resolve(rule);
    },
    listRules: () => Promise.resolve(fake.rules.filter((r) => r.revoked_at === null)),
    revokeRule: (id) => {
      fake.revoked.push(id);
      const r = fake.rules.find((x) => x.id === id);
      if (!r) return Promise.reject(`no remembered rule ${id}`);
      r.revoked_at = "2025-01-01T00:01:00Z";
      return Promise.resolve(r);
    },
    policySummary: () => Promise.resolve(fake.policy),
    saveUserRule: (rule) => {
      fake.savedRules.push(rule);
      if (opts.saveRuleError) return Promise.reject(opts.saveRuleError);
      const n = fake.policy.user_rules.length + 1;
      fake.policy = {
        ...fake.policy,
        user_rules: [...fake.policy.user_rules, {
          id: rule.id ? `user:${rule.id}` : `user:policy.toml#${n}`, verdict: rule.verdict, origin: "user", kind: rule.kind,
          pattern: rule.pattern, access: rule.access, reason: rule.reason ?? "matched your rule", deletable: true,
        }],
      };
      return Promise.resolve(fake.policy);
    },
    deleteUserRule: (id) => {
      fake.deletedRules.push(id);
      fake.policy = { ...fake.policy, user_rules: fake.policy.user_rules.filter((r) => r.id !== id) };
      return Promise.resolve(fake.policy);
    },
    trayState: () => Promise.resolve(null),
    onApprovalsChanged: () => Promise.resolve(() => undefined),
    onOpenApprovals: () => Promise.resolve(() => undefined),
    reviewQueue: () => Promise.resolve([...(opts.queue ?? [])]),
    reviewDiff: (task) => review(task).then((r) => r.diff),
    reviewNote: (task) => review(task).then((r) => r.note),
    reviewFile: (task, path) =>
      review(task).then((r) => r.contents?.[path] ?? {
        old: { path, blob: "a".repeat(40), mode: 0o100644, text: `old ${path}\n`, binary: false, non_utf8: false, size: 8 },
        new: { path, blob: "b".repeat(40), mode: 0o100644, text: `new ${path}\n`, binary: false, non_utf8: false, size: 8 },
      }),
    reviewMark: (task, path, reviewed) => {
      fake.marked.push({ task, path, reviewed });
      return review(task).then((r) => {
        const f = r.diff.files.find((x) => x.path === path);
        if (!f) return Promise.reject(`"${path}" is not one of the files task ${task} changes`);
        f.reviewed = reviewed;
        return { ...f };
      });
    },
    reviewComment: (task, path, line, text) => {
      if (text.trim() === "") return Promise.reject("a comment needs some text");
      const c: ReviewComment = {
        id: fake.comments.length + 1, task, path, line, text: text.trim(), created_at: "2025-01-01T00:01:00Z",
        created_by: "user", sent_at: null,
      };
      fake.comments.push(c);
      return Promise.resolve(c);
    },
    reviewComments: (task) => Promise.resolve(fake.comments.filter((c) => c.task === task)),
    reviewRequestChanges: (task) => {
      fake.changesRequested.push(task);
      const unsent = fake.comments.filter((c) => c.task === task && c.sent_at === null);
      if (unsent.length === 0) return Promise.reject("there are no new review comments to send");
      for (const c of unsent) c.sent_at = "2025-01-01T00:02:00Z";
      return Promise.resolve(`The reviewer asked for changes.\n${unsent.map((c) => `- ${c.path}${c.line ? ` line ${c.line}` : ""}: ${c.text}`).join("\n")}\n`);
    },
    reviewMerge: (task, options) => {
      fake.merges.push({ task, options });
      return review(task).then((r) => {
        const left = r.diff.files.filter((f) => !f.reviewed).map((f) => f.path);
        if (left.length > 0) {
          return Promise.reject<never>({ reason: "unreviewed", message: `${left.length} files are not reviewed yet`, merge_anyway: false, files: left });
        }
        if (r.mergeRefusal && !(r.mergeRefusal.merge_anyway && options.merge_anyway)) return Promise.reject<never>(r.mergeRefusal);
        const t = fake.tasks.find((x) => x.id === task) ?? fixedTask({ id: task });
        t.state = "merged";
        return {
          task: t, kind: "fast_forward" as const, base: "main", previous: "0".repeat(40), commit: "2".repeat(40),
          checkouts_updated: [], merged_anyway: options.merge_anyway, worktree_removed: true, branch_deleted: options.delete_branch,
          cleanup_error: null,
        };
      });
    },
    taskTimeline: (task, kinds) => {
      fake.timelineAsked.push({ task, kinds });
      const all = opts.timeline ?? [];
      return Promise.resolve(kinds === null ? all : all.filter((e) => e.kinds.some((k) => kinds.includes(k))));
    },
    onReviewChanged: () => Promise.resolve(() => undefined),
    onOpenReview: () => Promise.resolve(() => undefined),
    networkSettings: () => (fake.network ? Promise.resolve(fake.network) : noTask()),
    setNetworkPreset: (task, name, on) =>
      net(task, `preset ${name} ${on ? "on" : "off"}`, (s) =>
        name === "default-deny" ? "the default deny list is always on" : { ...s, presets: s.presets.map((p) => (p.name === name ? { ...p, on } : p)) }),
    addNetworkRule: (task, host, verdict: HostRuleVerdict) =>
      net(task, `add ${verdict} ${host}`, (s) =>
        /\s|\//.test(host) ? `"${host}" is not a host name (use \`example.com\` or \`*.example.com\`)`
          : { ...s, rules: [...s.rules, { id: nextNetRule++, host: host.toLowerCase(), verdict, added_at: "2025-01-01T00:01:00Z" }] }),
    removeNetworkRule: (task, id) => net(task, `remove ${id}`, (s) => ({ ...s, rules: s.rules.filter((r) => r.id !== id) })),
    taskConnections: () => (fake.network ? Promise.resolve([...fake.connections]) : noTask()),
    secretsScan: () => {
      for (const p of opts.scanProgress ?? []) progressHandler?.(p);
      if (typeof fake.findings === "string") return Promise.reject<never>(fake.findings);
      const findings = [...fake.findings];
      return Promise.resolve({ root: "/home/me/shop", files: 12, bytes: 3400, millis: 4, findings });
    },
    secretsMove: (task, ids, all) => {
      fake.moves.push({ task, ids, all });
      if (opts.moveError) return Promise.reject<never>(opts.moveError);
      const list = typeof fake.findings === "string" ? [] : fake.findings;
      const picked = all ? list : list.filter((f) => ids.includes(f.id));
      const moved = picked.map((f, i) => heldFrom(f, fake.held.length + i + 1));
      fake.held = [...fake.held, ...moved];
      fake.findings = list.filter((f) => !picked.includes(f));
      return Promise.resolve({ batch: "b1", moved, files: [...new Set(picked.map((f) => f.file))] });
    },
    secretsHeld: () => Promise.resolve([...fake.held]),
    onSecretsScanProgress: (handler) => {
      progressHandler = handler;
      return Promise.resolve(() => { progressHandler = null; });
    },
  };
  const decide = fake.backend.decideApproval;
  fake.backend.decideApproval = (id, verdict, remember) => {
    const c = fake.connections.find((x) => x.approval === id);
    if (c) {
      fake.decided.push({ id, verdict, remember });
      fake.connections = fake.connections.map((x) =>
        x === c ? { ...x, verdict: verdict === "allow" ? "allowed" : "blocked", approval: null, secs_left: null, rule: "user:approved" } : x);
      return Promise.resolve(null);
    }
    return decide(id, verdict, remember);
  };
  return fake;
}
