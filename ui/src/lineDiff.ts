// A line-first diff for the side-by-side view. @codemirror/merge diffs
// characters, and on a large file it gives up (past its scan limit it reports
// the whole file as one change). Here each distinct line becomes one UTF-16
// code unit, the exact diff runs over lines (fast: 20,000 lines with a few
// hundred changed ones take milliseconds), and only the changed blocks are
// then diffed by character for the inline highlights.
import { Change, diff } from "@codemirror/merge";

/** Blocks longer than this many characters on both sides are not refined by character. */
const REFINE_LIMIT = 20_000;
/** Distinct lines one code unit can name. */
const MAX_DISTINCT_LINES = 0xffff;

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The changes between `a` and `b`, at line granularity first, refined by character inside each changed block. */
export function lineDiff(a: string, b: string): readonly Change[] {
  const sa = lineStarts(a);
  const sb = lineStarts(b);
  const ids = new Map<string, number>();
  const encode = (text: string, starts: number[]): string | null => {
    const units: number[] = new Array(starts.length);
    for (let i = 0; i < starts.length; i++) {
      const line = text.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : text.length);
      let id = ids.get(line);
      if (id === undefined) {
        id = ids.size;
        if (id >= MAX_DISTINCT_LINES) return null;
        ids.set(line, id);
      }
      units[i] = id;
    }
    let s = "";
    for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.slice(i, i + 8192));
    return s;
  };
  const ea = encode(a, sa);
  const eb = ea === null ? null : encode(b, sb);
  if (ea === null || eb === null) return diff(a, b, { scanLimit: 500, timeout: 500 });
  // Line i of a text spans [starts[i], starts[i + 1]) (its newline included).
  const at = (starts: number[], text: string, line: number) => (line < starts.length ? starts[line] : text.length);
  const out: Change[] = [];
  for (const c of diff(ea, eb)) {
    const fromA = at(sa, a, c.fromA), toA = at(sa, a, c.toA);
    const fromB = at(sb, b, c.fromB), toB = at(sb, b, c.toB);
    if (toA - fromA > REFINE_LIMIT && toB - fromB > REFINE_LIMIT) {
      out.push(new Change(fromA, toA, fromB, toB));
      continue;
    }
    for (const r of diff(a.slice(fromA, toA), b.slice(fromB, toB), { scanLimit: 500 })) {
      out.push(new Change(r.fromA + fromA, r.toA + fromA, r.fromB + fromB, r.toB + fromB));
    }
  }
  return out;
}
