// The changed files of a review, virtualised with @tanstack/react-virtual: a
// 2,000-file change renders only the rows in view.
import { useRef } from "react";
import { observeElementRect, useVirtualizer, type Virtualizer } from "@tanstack/react-virtual";
import type { FileDiff } from "../backend";
import { fileLabel, statusLetter } from "../review";

const ROW = 30;
/** Used until the list is measured (and where nothing is measured, as in tests). */
const FALLBACK = { width: 320, height: 600 };

function observeOrFallback(
  instance: Virtualizer<HTMLDivElement, Element>,
  cb: (rect: { width: number; height: number }) => void,
) {
  return observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : FALLBACK));
}

interface Props {
  files: FileDiff[];
  selected: string | null;
  busy: ReadonlySet<string>;
  onSelect: (path: string) => void;
  onMark: (path: string, reviewed: boolean) => void;
}

export function FileList({ files, selected, busy, onSelect, onMark }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: files.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 12,
    initialRect: FALLBACK,
    observeElementRect: observeOrFallback,
  });
  return (
    <div className="file-list" ref={scroller} data-testid="file-list" data-count={files.length}>
      <div style={{ height: v.getTotalSize(), position: "relative" }}>
        {v.getVirtualItems().map((item) => {
          const f = files[item.index];
          return (
            <div
              key={f.path}
              className={`file-row${f.path === selected ? " selected" : ""}${f.reviewed ? " reviewed" : ""}`}
              style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW, transform: `translateY(${item.start}px)` }}
              data-testid="review-file"
              data-path={f.path}
              data-reviewed={f.reviewed ? "true" : "false"}
            >
              <input
                type="checkbox"
                checked={f.reviewed}
                disabled={busy.has(f.path)}
                onChange={(e) => onMark(f.path, e.currentTarget.checked)}
                aria-label={`Reviewed ${f.path}`}
                title="Reviewed"
                data-testid="file-reviewed"
              />
              <span className={`status s-${f.status}`} title={f.status}>{statusLetter(f.status)}</span>
              <button className="file-name" onClick={() => onSelect(f.path)} title={fileLabel(f)} data-testid="file-open">
                {fileLabel(f)}
              </button>
              <span className="stats">
                {f.binary ? "bin" : (
                  <>
                    <span className="add">+{f.additions}</span> <span className="del">−{f.deletions}</span>
                  </>
                )}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
