import type { StepState } from "../backend";
import { STATUS_LABEL } from "../wizard";

export function StepDetail({ step }: { step: StepState }) {
  return (
    <article className="step-detail" data-testid="step-detail">
      <h2>
        {step.title} <span className={`badge ${step.status}`}>{STATUS_LABEL[step.status]}</span>
      </h2>
      <p className="why">{step.why}</p>
      <p className="summary" data-testid="step-summary">
        {step.summary}
      </p>
      {step.fix && (
        <p className="fix" data-testid="step-fix">
          Fix: <code>{step.fix}</code>
        </p>
      )}
    </article>
  );
}
