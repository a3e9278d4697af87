import { describe, expect, it } from "vitest";
import { fileLabel, kindsParam, mergeWaitsFor, offerMergeAnyway, queueBadges, refusalOf, reviewProgress, testBadge, toggleKind } from "./review";
import { TIMELINE_KINDS } from "./backend";
import { changedFile, fixedTask, queueEntry } from "./testSupport";

describe("review words", () => {
  it("badges say tests passed / failed / none, approvals and blocked actions", () => {
    expect(testBadge("passing")).toEqual({ id: "tests", label: "tests passed", tone: "ok" });
    expect(testBadge("failing").label).toBe("tests failed");
    expect(testBadge("missing").label).toBe("no tests");
    const b = queueBadges(queueEntry(fixedTask(), { approvals: 1, blocked: 2, reviewed: 1, files: 3, unsent_comments: 1 }));
    expect(b.map((x) => x.label)).toEqual(["tests passed", "1 approval", "2 blocked actions", "1/3 reviewed", "1 unsent comment"]);
    expect(b.find((x) => x.id === "blocked")?.tone).toBe("fail");
  });

  it("merge waits until every file is marked reviewed", () => {
    expect(mergeWaitsFor(null)).toContain("reading");
    expect(mergeWaitsFor({ files: [] })).toBe("the task changes nothing");
    const files = [changedFile("a.rs", { reviewed: true }), changedFile("b.rs")];
    expect(reviewProgress({ files })).toEqual({ reviewed: 1, total: 2, all: false });
    expect(mergeWaitsFor({ files })).toBe("1 file not reviewed yet: mark every file reviewed before merging");
    expect(mergeWaitsFor({ files: files.map((f) => ({ ...f, reviewed: true })) })).toBeNull();
  });

  it("offers merge anyway only when tests are not passing", () => {
    expect(offerMergeAnyway("passing", null)).toBe(false);
    expect(offerMergeAnyway("failing", null)).toBe(true);
    expect(offerMergeAnyway("missing", null)).toBe(true);
    expect(offerMergeAnyway("passing", refusalOf({ reason: "tests", message: "m", merge_anyway: true, files: [] }))).toBe(true);
    expect(offerMergeAnyway(null, refusalOf("locked"))).toBe(false);
    expect(refusalOf("the store is locked")).toEqual({ reason: "error", message: "the store is locked", merge_anyway: false, files: [] });
  });

  it("names renamed files old → new", () => {
    expect(fileLabel({ path: "b.rs", old_path: "a.rs" })).toBe("a.rs → b.rs");
    expect(fileLabel({ path: "b.rs", old_path: null })).toBe("b.rs");
  });

  it("asks for every event when every kind is on, else only the chosen kinds", () => {
    const all = new Set(TIMELINE_KINDS);
    expect(kindsParam(all)).toBeNull();
    const some = toggleKind(toggleKind(all, "prompts"), "network");
    expect(kindsParam(some)).toEqual(["commands", "decisions", "files", "tests"]);
    expect(kindsParam(toggleKind(some, "prompts"))).toEqual(["prompts", "commands", "decisions", "files", "tests"]);
  });
});
