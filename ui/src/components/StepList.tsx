import type { StepState } from "../backend";
import { STATUS_LABEL } from "../wizard";

interface Props {
  steps: StepState[];
  selected: StepState["id"] | null;
  onSelect: (id: StepState["id"]) => void;
}

export function StepList({ steps, selected, onSelect }: Props) {
  return (
    <nav className="steps" aria-label="Setup steps">
      <ol>
        {steps.map((s, i) => (
          <li key={s.id}>
            <button
              className={`step ${s.status} ${s.id === selected ? "selected" : ""}`}
              data-testid={`step-${s.id}`}
              data-status={s.status}
              onClick={() => onSelect(s.id)}
            >
              <span className="num">{i + 1}</span>
              <span className="title">{s.title}</span>
              <span className={`badge ${s.status}`}>{STATUS_LABEL[s.status]}</span>
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}
