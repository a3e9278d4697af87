// The side-by-side diff of one file: @codemirror/merge's MergeView, read-only,
// with the file's language highlighted (loaded on demand by
// @codemirror/language-data). CodeMirror renders only the lines in view, and
// long unchanged stretches are collapsed, so a 20,000-line file stays quick.
// Kept behind this one component so the rest of the UI tests without CodeMirror.
import { useEffect, useRef } from "react";
import { MergeView } from "@codemirror/merge";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { EditorView, lineNumbers } from "@codemirror/view";
import { LanguageDescription, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { languages } from "@codemirror/language-data";
import type { DiffViewProps } from "./diffView";
import { lineDiff } from "../lineDiff";

const theme = EditorView.theme({
  "&": { fontSize: "12.5px", backgroundColor: "white" },
  ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace" },
  ".cm-gutters": { backgroundColor: "#faf9f5", borderRight: "1px solid #eeebe2" },
  ".cm-line.paddock-comment-line": { outline: "1px dashed #b7791f" },
});

export default function SideBySide({ path, contents, onLine }: DiffViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const onLineRef = useRef(onLine);
  onLineRef.current = onLine;

  useEffect(() => {
    const parent = host.current;
    if (!parent) return;
    const langA = new Compartment();
    const langB = new Compartment();
    const common = (lang: Compartment): Extension[] => [
      lineNumbers(),
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      theme,
      lang.of([]),
    ];
    const clicks = EditorView.domEventHandlers({
      mousedown: (event, view) => {
        const pos = view.posAtCoords({ x: event.clientX, y: event.clientY });
        if (pos !== null) onLineRef.current?.(view.state.doc.lineAt(pos).number);
        return false;
      },
    });
    const view = new MergeView({
      a: { doc: contents.old?.text ?? "", extensions: common(langA) },
      b: { doc: contents.new?.text ?? "", extensions: [...common(langB), clicks] },
      parent,
      gutter: true,
      highlightChanges: true,
      collapseUnchanged: { margin: 3, minSize: 8 },
      // Line-first: exact on large files, where the character diff would give up.
      diffConfig: { override: lineDiff },
    });
    // For the end-to-end first-paint measurement: when the view was built.
    performance.mark("paddock:diff-built");
    let live = true;
    const desc = LanguageDescription.matchFilename(languages, path);
    if (desc) {
      desc.load().then(
        (support) => {
          if (!live) return;
          view.a.dispatch({ effects: langA.reconfigure(support) });
          view.b.dispatch({ effects: langB.reconfigure(support) });
        },
        () => undefined,
      );
    }
    return () => {
      live = false;
      view.destroy();
    };
  }, [path, contents]);

  return <div className="side-by-side" ref={host} data-testid="diff-view" data-path={path} />;
}
