import { describe, expect, it } from "vitest";
import {
  ONCE, choiceProblem, decisionNote, displayOrder, duration, groupByTask, keepSelection, keyCommand, moveSelection,
  pendingHeadline, rememberScope, ruleSentence, scopeSentence, suggestedPrefix,
} from "./approvals";
import { pendingRequest } from "./testSupport";

describe("the remember scope", () => {
  it("is nothing at all for once, and says what it will match otherwise", () => {
    expect(rememberScope(ONCE)).toBeNull();
    expect(rememberScope({ reach: "task", match: "exact", prefix: "" })).toEqual({ reach: "task", matching: { kind: "exact" } });
    expect(rememberScope({ reach: "project", match: "prefix", prefix: "  npm   install " })).toEqual({
      reach: "project", matching: { kind: "prefix", words: ["npm", "install"] },
    });
    expect(scopeSentence(ONCE)).toBe("Allows this request once; the next one asks again.");
    expect(scopeSentence({ reach: "task", match: "prefix", prefix: "npm install" })).toBe(
      'Allows commands starting "npm install" in this task from now on, until you revoke it.',
    );
  });

  it("offers the first words of the part that asked, and refuses what cannot be remembered", () => {
    const p = pendingRequest(1);
    expect(suggestedPrefix(p)).toBe("npm install");
    expect(choiceProblem({ reach: "task", match: "prefix", prefix: " " }, p)).toBe("Type the words the commands start with.");
    expect(choiceProblem({ reach: "project", match: "exact", prefix: "" }, pendingRequest(2, null))).toBe("This request belongs to no project.");
    const read = pendingRequest(3);
    read.approval.action = { kind: "read", path: "/etc/passwd" };
    expect(choiceProblem({ reach: "task", match: "prefix", prefix: "cat" }, read)).toContain("Only a shell command");
    expect(choiceProblem(ONCE, pendingRequest(4, null))).toBeNull();
  });
});

describe("grouping and moving", () => {
  const list = [pendingRequest(5, "bbbb"), pendingRequest(4, "aaaa"), pendingRequest(3, "bbbb"), pendingRequest(2, null)];

  it("groups requests by task in the order of each task's newest request", () => {
    const groups = groupByTask(list);
    expect(groups.map((g) => [g.task, g.items.map((p) => p.approval.id)])).toEqual([
      ["bbbb", [5, 3]], ["aaaa", [4]], [null, [2]],
    ]);
    expect(groups[0].goal).toBe("Fix checkout tax calculation and add tests");
    expect(displayOrder(list)).toEqual([5, 3, 4, 2]);
  });

  it("moves through the shown order and stays in bounds", () => {
    const ids = displayOrder(list);
    expect(moveSelection(ids, null, 1)).toBe(5);
    expect(moveSelection(ids, 5, 1)).toBe(3);
    expect(moveSelection(ids, 3, 1)).toBe(4);
    expect(moveSelection(ids, 2, 1)).toBe(2);
    expect(moveSelection(ids, 5, -1)).toBe(5);
    expect(moveSelection([], 5, 1)).toBeNull();
    expect(keepSelection(ids, 99)).toBe(5);
    expect(keepSelection(ids, 4)).toBe(4);
  });

  it("maps the keyboard shortcuts", () => {
    expect(["j", "ArrowDown", "k", "ArrowUp", "a", "d", "x"].map(keyCommand)).toEqual([
      "next", "next", "prev", "prev", "approve", "deny", null,
    ]);
  });
});

describe("words", () => {
  it("says how long and how many", () => {
    expect(duration(4)).toBe("4 s");
    expect(duration(125)).toBe("2 min 5 s");
    expect(duration(3700)).toBe("1 h 1 min");
    expect(pendingHeadline(0)).toBe("Nothing is waiting for you.");
    expect(pendingHeadline(1)).toBe("1 request waiting");
    expect(pendingHeadline(3)).toBe("3 requests waiting");
  });

  it("describes decisions and remembered rules", () => {
    const p = pendingRequest(7);
    expect(decisionNote("allow", p, null)).toBe("Approved once for task 1a2b3c4d: npm install left-pad && make");
    const rule = {
      id: 2, verdict: "allow" as const, reach: "task" as const, task: "1a2b3c4d", project: null, action_kind: "shell",
      matching: { kind: "exact" as const }, pattern: "npm install left-pad", from_approval: 7,
      created_at: "", created_by: "user (app)", revoked_at: null, revoked_by: null,
    };
    expect(ruleSentence(rule)).toBe('allow shell exactly "npm install left-pad" in task 1a2b3c4d');
    expect(decisionNote("allow", p, rule)).toBe(
      'Approved for task 1a2b3c4d and remembered: allow shell exactly "npm install left-pad" in task 1a2b3c4d (rule 2).',
    );
  });
});
