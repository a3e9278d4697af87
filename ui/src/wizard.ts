// What the wizard shows about the steps. It only presents the engine's
// measurements; it never decides whether a step is in place.
import type { StepState, StepStatus } from "./backend";

export const STATUS_LABEL: Record<StepStatus, string> = {
  ok: "In place",
  warn: "Needs a look",
  fail: "Broken",
  not_set_up: "Not set up",
};

export interface Progress {
  inPlace: number;
  total: number;
  broken: number;
  headline: string;
}

export function progress(steps: StepState[]): Progress {
  const inPlace = steps.filter((s) => s.status === "ok").length;
  const broken = steps.filter((s) => s.status === "fail").length;
  const total = steps.length;
  let headline: string;
  if (total === 0) headline = "No steps reported";
  else if (broken > 0) headline = `${broken} of ${total} steps broken`;
  else if (inPlace === total) headline = "The fence is in place";
  else headline = `${inPlace} of ${total} steps in place`;
  return { inPlace, total, broken, headline };
}

/** The step to open first: the first broken one, else the first not in place, else the first. */
export function firstStepToOpen(steps: StepState[]): StepState["id"] | null {
  const broken = steps.find((s) => s.status === "fail");
  if (broken) return broken.id;
  const open = steps.find((s) => s.status !== "ok");
  return (open ?? steps[0])?.id ?? null;
}
