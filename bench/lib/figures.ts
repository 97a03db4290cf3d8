/**
 * What every benchmark hands back: named figures, each with its unit and, where the issue sets
 * one, a target. The runner turns them into `latest.json` and `latest.md` and names each miss.
 */
export interface Target {
  /** `max`: the figure must be at most `value`; `min`: at least. */
  kind: 'max' | 'min';
  value: number;
}

export interface Figure {
  /** Stable id, `<bench>.<figure>`, e.g. `startup.version.ratio_to_cdk`. */
  id: string;
  label: string;
  value: number;
  unit: string;
  target?: Target;
  /** Present exactly when there is a target; false for a miss (NaN never passes). */
  pass?: boolean;
  note?: string;
}

export interface BenchResult {
  bench: string;
  title: string;
  figures: Figure[];
  /** Sizes and settings the figures came from (runs, items, rates). */
  params: Record<string, unknown>;
  notes: string[];
  tookMs: number;
}

export function figure(id: string, label: string, value: number, unit: string, target?: Target, note?: string): Figure {
  const pass = target ? Number.isFinite(value) && (target.kind === 'max' ? value <= target.value : value >= target.value) : undefined;
  return { id, label, value, unit, ...(target ? { target, pass } : {}), ...(note ? { note } : {}) };
}

export const atMost = (value: number): Target => ({ kind: 'max', value });
export const atLeast = (value: number): Target => ({ kind: 'min', value });
