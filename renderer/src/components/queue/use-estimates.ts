import { useCallback, useEffect, useMemo, useState } from 'react';
import { expectedLengthSec, expectedRenderSec, modelOf, type Expected, type RenderSample } from '../../../../shared/eta';
import type { JobRecord } from '../../../../shared/model';
import type { ProviderId } from '../../../../shared/providers';
import { SPECS } from '../../specs';
import { call, useStore } from '../../store';

export type Estimates = Readonly<{
  now: number;
  expectedOf: (j: JobRecord) => Expected;
  concurrencyOf: (p: ProviderId) => number;
}>;

/**
 * What the time-left estimates need: a clock that ticks each second (elapsed time moves even when no
 * event arrives), this machine's render history (asked again whenever more jobs have completed), and
 * each provider's parallel slots.
 */
export function useEstimates(): Estimates {
  const [now, setNow] = useState(() => Date.now());
  const [history, setHistory] = useState<readonly RenderSample[]>([]);
  const providers = useStore((s) => s.providers);
  const completed = useStore((s) => s.queue.counts.completed ?? 0);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    let alive = true;
    void call('queue:insights', {}, { quiet: true }).then((r) => alive && r && setHistory(r.history));
    return () => {
      alive = false;
    };
  }, [completed]);
  const expectedOf = useCallback(
    (j: JobRecord) => expectedRenderSec({ provider: j.provider, model: modelOf(j.input.params), lengthSec: expectedLengthSec(j) }, history, SPECS[j.provider].typicalRenderSec),
    [history],
  );
  const conc = useMemo(() => new Map(providers.map((p) => [p.id, p.concurrency])), [providers]);
  const concurrencyOf = useCallback((p: ProviderId) => conc.get(p) ?? SPECS[p].concurrencyDefault, [conc]);
  return { now, expectedOf, concurrencyOf };
}
