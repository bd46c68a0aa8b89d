import type { FigureResult, Row } from './report';

export type FigureOptions = Readonly<{
  quick: boolean;
  /** Progress lines (stderr), never part of the results. */
  log: (line: string) => void;
}>;

export type Figure = Readonly<{
  id: string;
  title: string;
  run: (o: FigureOptions) => Promise<Omit<FigureResult, 'id' | 'title' | 'seconds'>>;
}>;

/** A row for a figure that could not be measured here (e.g. no curl): SKIP with the reason. */
export function skipped(figure: string, target: string, reason: string): Row {
  return { figure, value: 'not measured', baseline: reason, ratio: '–', target, pass: null, raw: { value: null, baseline: null, ratio: null, unit: '' } };
}
