import { expect, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * axe-core inside the e2e suite: every screen and state a test reaches is checked, and the test fails on
 * any critical or serious violation (issue 14). The source is evaluated through the DevTools protocol
 * (page.evaluate), which server mode's strict CSP does not block, so the tests keep the real CSP on.
 * Each check's full result (minor and moderate too) is kept under test-results/axe/ for reading.
 */
const AXE_SOURCE = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_RESULTS = path.resolve('test-results', 'axe');

type Violation = { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] };

export async function axeViolations(page: Page): Promise<Violation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: Violation[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
}

/** Fails the test on any critical or serious axe violation of what the page shows now. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  // Let transitions and the next frame settle: contrast is measured on what is painted.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const all = await axeViolations(page);
  mkdirSync(AXE_RESULTS, { recursive: true });
  writeFileSync(path.join(AXE_RESULTS, `${label}.json`), JSON.stringify(all, null, 2));
  const bad = all.filter((v) => v.impact === 'critical' || v.impact === 'serious');
  const report = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n').slice(0, 3).join(' ') ?? ''}`).join('\n')}`).join('\n');
  expect(bad.map((v) => `${v.impact} ${v.id}`), `axe on "${label}":\n${report}`).toEqual([]);
}
