import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, render, waitFor } from "@testing-library/react";
import SideBySide from "./components/SideBySide";

// CodeMirror measures the DOM; jsdom has no layout, so give ranges empty rects.
beforeAll(() => {
  const empty = () => ({ x: 0, y: 0, width: 0, height: 0, top: 0, left: 0, right: 0, bottom: 0, toJSON: () => ({}) }) as DOMRect;
  Range.prototype.getBoundingClientRect = empty;
  Range.prototype.getClientRects = () => ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as unknown as DOMRectList;
});
afterEach(cleanup);

const side = (path: string, text: string) => ({ path, blob: "a".repeat(40), mode: 0o100644, text, binary: false, non_utf8: false, size: text.length });

describe("the side-by-side diff", () => {
  it("renders both sides of a file in a CodeMirror merge view", async () => {
    const { container } = render(
      <SideBySide path="src/tax.rs" contents={{ old: side("src/tax.rs", "fn tax() -> u32 {\n    1\n}\n"), new: side("src/tax.rs", "fn tax() -> u32 {\n    2\n}\n") }} />,
    );
    await waitFor(() => expect(container.querySelectorAll(".cm-editor")).toHaveLength(2));
    const [a, b] = Array.from(container.querySelectorAll(".cm-editor .cm-content"));
    expect(a.textContent).toContain("1");
    expect(b.textContent).toContain("2");
    expect(container.querySelector(".cm-changedLine, .cm-changedText, .cm-deletedChunk, .cm-insertedLine")).not.toBeNull();
  });

  it("shows an added file against an empty left side", async () => {
    const { container } = render(<SideBySide path="new.py" contents={{ old: null, new: side("new.py", "print('hi')\n") }} />);
    await waitFor(() => expect(container.querySelectorAll(".cm-editor")).toHaveLength(2));
    expect(container.querySelectorAll(".cm-editor .cm-content")[1].textContent).toContain("print('hi')");
  });
});
