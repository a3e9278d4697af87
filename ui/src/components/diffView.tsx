// The seam between the review page and the CodeMirror diff: the page renders
// whatever `DiffView` it is given; the app gives it the lazily loaded
// CodeMirror view, tests give it a plain one.
import { lazy, Suspense, type ComponentType } from "react";
import type { FileContents } from "../backend";

export interface DiffViewProps {
  path: string;
  contents: FileContents;
  /** A line of the new side was clicked (1-based): the comment box targets it. */
  onLine?: (line: number) => void;
}

export type DiffViewComponent = ComponentType<DiffViewProps>;

const loadSideBySide = () => import("./SideBySide");
const LazySideBySide = lazy(loadSideBySide);

/** Start loading CodeMirror before the first file is opened. */
export function preloadDiffView() {
  void loadSideBySide().catch(() => undefined);
}

export function CodeMirrorDiff(props: DiffViewProps) {
  return (
    <Suspense fallback={<p className="muted">Loading the diff view…</p>}>
      <LazySideBySide {...props} />
    </Suspense>
  );
}
