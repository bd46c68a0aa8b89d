import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import type { Figure } from './lib/figure';
import { skipped } from './lib/figure';
import type { Row } from './lib/report';
import { ROOT, startWorker, type Worker } from './lib/rpc';
import { CHROMIUM, fmtBytes, fmtMs, fmtNum, median, tempDir } from './lib/util';
import type { Api } from './workers/ui-server';

const RENDERER_DIR = path.join(ROOT, 'dist', 'renderer');
/** The same switches as the end-to-end tests (playwright.config.ts). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

/**
 * What "rendered" means: the first library card / queue row in the frame it is painted in; with an
 * empty data folder, the screen's empty state. (The library shows its empty state while its first
 * query runs, so a full library is not "rendered" until a card appears.)
 */
const SELECTORS = {
  library: { full: '.lib-card, .lib-row', empty: '.main .panel.empty' },
  queue: { full: '.job-row', empty: '.main .panel.empty' },
} as const;
type Screen = keyof typeof SELECTORS;

/**
 * Installed before any page script: the time (from navigation start) of the animation frame in which
 * each screen's first content appears, a long-task log, a frame counter, and a count of the
 * jobs:changed events the page receives (an extra listener on the page's EventSource). Plain
 * JavaScript text, so no TypeScript helper can leak into the page.
 */
function probe(selectors: Readonly<Record<string, string>>): { content: string } {
  return {
    content: `(() => {
  const selectors = ${JSON.stringify(selectors)};
  const tb = (window.__tb = { first: {}, longTasks: [], frameWork: [], frames: [], jobEvents: 0 });
  const check = () => {
    for (const [k, sel] of Object.entries(selectors)) {
      if (tb.first[k] === undefined && document.querySelector(sel)) {
        tb.first[k] = -1;
        requestAnimationFrame(() => (tb.first[k] = performance.now()));
      }
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) tb.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  // Long animation frames name the scripts that ran in them: what a long task was doing.
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        tb.frameWork.push({ start: e.startTime, duration: e.duration, scripts: (e.scripts || []).map((x) => x.invoker + ' ' + Math.round(x.duration) + 'ms').slice(0, 4) });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {}
  const frame = (t) => {
    tb.frames.push(t);
    if (tb.frames.length > 20000) tb.frames.splice(0, 10000);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const ES = window.EventSource;
  window.EventSource = class extends ES {
    constructor(url, init) {
      super(url, init);
      this.addEventListener('jobs:changed', () => tb.jobEvents++);
    }
  };
})();`,
  };
}

type Probe = {
  first: Record<string, number>;
  longTasks: { start: number; duration: number }[];
  frameWork: { start: number; duration: number; scripts: string[] }[];
  frames: number[];
  jobEvents: number;
};

type Timing = { first: number; domContentLoaded: number; calls: Record<string, { start: number; end: number; bytes: number }> };

async function firstRender(browser: Browser, url: string, screen: Screen, data: 'full' | 'empty'): Promise<Timing> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const page = await ctx.newPage();
    await page.addInitScript(probe({ [screen]: SELECTORS[screen][data] }));
    await page.goto(`${url}#${screen}`);
    await page.waitForFunction((k) => ((window as unknown as { __tb: Probe }).__tb.first[k] ?? -1) > 0, screen, { timeout: 60_000 });
    // Where the time went: the page's own resource timings of the contract calls made so far.
    return await page.evaluate((k) => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const calls: Record<string, { start: number; end: number; bytes: number }> = {};
      for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
        const m = /\/api\/([^?]+)/.exec(e.name);
        if (m && m[1] !== 'events') calls[decodeURIComponent(m[1]!)] = { start: Math.round(e.startTime), end: Math.round(e.responseEnd), bytes: e.encodedBodySize };
      }
      return { first: (window as unknown as { __tb: Probe }).__tb.first[k]!, domContentLoaded: Math.round(nav?.domContentLoadedEventEnd ?? 0), calls };
    }, screen);
  } finally {
    await ctx.close();
  }
}

/** Wheel-scrolls the queue list down and back up; returns the long tasks and frames seen meanwhile. */
type ScrollPass = { longTasks: Probe['longTasks']; longFrames: Probe['frameWork']; frameGaps: number[]; seconds: number };

async function scrollQueue(page: Page, steps: number, settleMs: number): Promise<ScrollPass> {
  const box = await page.locator('.queue-list').boundingBox();
  if (!box) throw new Error('no queue list on the page');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const t0 = await page.evaluate(() => performance.now());
  for (let i = 0; i < steps; i++) {
    await page.mouse.wheel(0, i < steps / 2 ? 420 : -420);
    await page.waitForTimeout(30);
  }
  await page.waitForTimeout(settleMs);
  return await page.evaluate((since) => {
    const tb = (window as unknown as { __tb: Probe }).__tb;
    const frames = tb.frames.filter((t) => t >= since);
    return {
      longTasks: tb.longTasks.filter((l) => l.start + l.duration >= since),
      longFrames: tb.frameWork.filter((l) => l.start + l.duration >= since && l.duration > 50),
      frameGaps: frames.slice(1).map((t, i) => t - frames[i]!),
      seconds: (performance.now() - since) / 1000,
    };
  }, t0);
}

/**
 * UI: server mode in Debian's Chromium (headless, as the end-to-end tests run it). A data folder with
 * a 10,000-video library and 2,000 live jobs (12,000 jobs in all), against an empty data folder in
 * the same run: time to the first library card / queue row (median of 3 fresh browser contexts), then
 * long tasks while wheel-scrolling the queue, without updates and with 200 job updates a second pushed
 * through the core's event bus (one event per 100 ms, as the engine coalesces them).
 */
export const ui: Figure = {
  id: 'ui',
  title: 'UI',
  async run(o) {
    const library = o.quick ? 100 : 10_000;
    const live = o.quick ? 50 : 2_000;
    const reps = o.quick ? 1 : 3;
    const steps = o.quick ? 10 : 120;
    const settleMs = o.quick ? 400 : 2000;
    const labels = {
      lib: `UI: library first render (${library.toLocaleString('en-US')} videos)`,
      queue: `UI: queue first render (${live.toLocaleString('en-US')} live of ${(library + live).toLocaleString('en-US')} jobs)`,
      scroll: 'UI: longest main-thread task while scrolling the queue at 200 updates/s',
    };
    const targets = { render: '≤ 500 ms', scroll: 'none over 50 ms' };
    const why = !existsSync(CHROMIUM) ? `${CHROMIUM} not found` : !existsSync(path.join(RENDERER_DIR, 'index.html')) ? 'interface not built (npm run build)' : null;
    if (why) {
      return {
        rows: [skipped(labels.lib, targets.render, why), skipped(labels.queue, targets.render, why), skipped(labels.scroll, targets.scroll, why)],
        notes: [`Not measured: ${why}.`],
        details: {},
      };
    }
    const { chromium } = await import('@playwright/test');
    const tmp = tempDir('ui');
    let full: Worker<Api> | null = null;
    let empty: Worker<Api> | null = null;
    let browser: Browser | null = null;
    try {
      full = await startWorker<Api>('ui-server');
      empty = await startWorker<Api>('ui-server');
      const fullUrl = (await full.call('start', { dataDir: path.join(tmp.dir, 'full'), rendererDir: RENDERER_DIR, library, live })).url;
      const emptyUrl = (await empty.call('start', { dataDir: path.join(tmp.dir, 'empty'), rendererDir: RENDERER_DIR, library: 0, live: 0 })).url;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      const runs: Record<string, number[]> = { libFull: [], libEmpty: [], queueFull: [], queueEmpty: [] };
      let libTiming: Timing | null = null;
      for (let i = 0; i < reps; i++) {
        runs.libEmpty!.push((await firstRender(browser, emptyUrl, 'library', 'empty')).first);
        libTiming = await firstRender(browser, fullUrl, 'library', 'full');
        runs.libFull!.push(libTiming.first);
        runs.queueEmpty!.push((await firstRender(browser, emptyUrl, 'queue', 'empty')).first);
        runs.queueFull!.push((await firstRender(browser, fullUrl, 'queue', 'full')).first);
      }
      o.log(`ui: first renders ${JSON.stringify(runs)}`);

      // Scrolling the queue: first without updates (baseline), then with the pump on.
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await ctx.newPage();
      await page.addInitScript(probe({ queue: SELECTORS.queue.full }));
      await page.goto(`${fullUrl}#queue`);
      await page.waitForSelector('.job-row', { timeout: 60_000 });
      // Let loading settle, and scroll once unmeasured (first layouts, JIT), so both measured passes start alike.
      await page.waitForTimeout(settleMs);
      if (!o.quick) await scrollQueue(page, Math.min(steps, 40), settleMs / 4);
      await page.waitForTimeout(settleMs / 2);
      // Passes alternate (quiet, busy, quiet, busy) so load from elsewhere on the machine hits both alike.
      const quietPasses: ScrollPass[] = [];
      const busyPasses: ScrollPass[] = [];
      let pump = { perTick: 0, running: 0 };
      let events = 0;
      let pumped = { events: 0, jobs: 0 };
      for (let round = 0; round < (o.quick ? 1 : 2); round++) {
        quietPasses.push(await scrollQueue(page, steps, settleMs / 4));
        pump = await full.call('pump', { perSecond: 200, tickMs: 100 });
        await page.waitForTimeout(settleMs / 2);
        const before = await page.evaluate(() => (window as unknown as { __tb: Probe }).__tb.jobEvents);
        busyPasses.push(await scrollQueue(page, steps, settleMs / 4));
        events += (await page.evaluate(() => (window as unknown as { __tb: Probe }).__tb.jobEvents)) - before;
        const p = await full.call('stopPump');
        pumped = { events: pumped.events + p.events, jobs: pumped.jobs + p.jobs };
        await page.waitForTimeout(settleMs / 4);
      }
      const merge = (xs: ScrollPass[]): ScrollPass => ({
        longTasks: xs.flatMap((x) => x.longTasks),
        longFrames: xs.flatMap((x) => x.longFrames),
        frameGaps: xs.flatMap((x) => x.frameGaps),
        seconds: xs.reduce((a, x) => a + x.seconds, 0),
      });
      const quiet = merge(quietPasses);
      const busy = merge(busyPasses);
      // Instrument check: a deliberate 80 ms task must show up as a long task, or the scroll figure means nothing.
      const seen = await page.evaluate(async () => {
        const tb = (window as unknown as { __tb: Probe }).__tb;
        const n = tb.longTasks.length;
        // A page task (a timer): work run by the DevTools protocol itself is not a page task.
        setTimeout(() => {
          const t = performance.now();
          while (performance.now() - t < 80);
        }, 0);
        await new Promise((r) => setTimeout(r, 300));
        return tb.longTasks.length > n;
      });
      await ctx.close();

      const libMs = median(runs.libFull!);
      const libEmptyMs = median(runs.libEmpty!);
      const queueMs = median(runs.queueFull!);
      const queueEmptyMs = median(runs.queueEmpty!);
      const maxTask = (s: typeof busy) => Math.max(0, ...s.longTasks.map((l) => l.duration));
      const over = (s: typeof busy) => s.longTasks.filter((l) => l.duration > 50).length;
      const fps = (s: typeof busy) => s.frameGaps.length / Math.max(0.001, s.frameGaps.reduce((a, b) => a + b, 0) / 1000);
      const received = (events * pump.perTick) / busy.seconds;
      const rows: Row[] = [
        {
          figure: labels.lib,
          value: fmtMs(libMs),
          baseline: `${fmtMs(libEmptyMs)} (empty library)`,
          ratio: `${fmtNum(libMs / libEmptyMs)}×`,
          target: targets.render,
          pass: libMs <= 500,
          raw: { value: libMs, baseline: libEmptyMs, ratio: libMs / libEmptyMs, unit: 'ms' },
        },
        {
          figure: labels.queue,
          value: fmtMs(queueMs),
          baseline: `${fmtMs(queueEmptyMs)} (empty queue)`,
          ratio: `${fmtNum(queueMs / queueEmptyMs)}×`,
          target: targets.render,
          pass: queueMs <= 500,
          raw: { value: queueMs, baseline: queueEmptyMs, ratio: queueMs / queueEmptyMs, unit: 'ms' },
        },
        {
          figure: labels.scroll,
          value: over(busy) ? `${fmtMs(maxTask(busy))} (${over(busy)} tasks over 50 ms)` : `none over 50 ms`,
          baseline: `${over(quiet) ? `${fmtMs(maxTask(quiet))} (${over(quiet)} over 50 ms)` : 'none over 50 ms'} without updates`,
          ratio: `${fmtNum(fps(busy), 0)} vs ${fmtNum(fps(quiet), 0)} frames/s`,
          target: targets.scroll,
          pass: seen ? over(busy) === 0 : null,
          raw: { value: maxTask(busy), baseline: maxTask(quiet), ratio: null, unit: 'ms' },
        },
      ];
      const call = (name: string) => {
        const c = libTiming?.calls[name];
        return c ? `${name} ${fmtBytes(c.bytes)} in ${fmtMs(c.end - c.start)} (done at ${fmtMs(c.end)})` : `${name} –`;
      };
      return {
        rows,
        notes: [
          `First render = navigation start to the animation frame showing the first library card / queue row (empty folder: the empty state); runs (ms) ${JSON.stringify(Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.map((x) => Math.round(x))])))}.`,
          `Where the library's first render goes (last run): page script ready at ${fmtMs(libTiming?.domContentLoaded ?? 0)}; ${['batches:list', 'jobs:list', 'library:list'].map(call).join('; ')}; first card at ${fmtMs(libTiming?.first ?? 0)}.`,
          `${seen ? 'Long-task instrument checked (a deliberate 80 ms task was seen).' : 'LONG TASKS NOT OBSERVABLE in this browser: the scroll figure is not measured.'} Scrolling: passes of ${steps} wheel steps of 420 px (30 ms apart) down and back up, without and with updates alternately, ${fmtNum(busy.seconds, 1)} s with updates; the page received ${fmtNum(received, 0)} job updates/s meanwhile (${pumped.events} events, ${pumped.jobs} job updates pushed in all). Long tasks with updates: ${JSON.stringify(busy.longTasks.map((l) => Math.round(l.duration)))}; without: ${JSON.stringify(quiet.longTasks.map((l) => Math.round(l.duration)))}.`,
          `Long animation frames while scrolling with updates (what ran): ${JSON.stringify(busy.longFrames.slice(0, 5).map((f) => `${Math.round(f.duration)} ms: ${f.scripts.join(', ') || 'no script (style/layout/paint)'}`))}.`,
        ],
        details: { library, live, runs, libTiming, quiet, busy, pumped, received },
      };
    } finally {
      await browser?.close();
      await full?.close();
      await empty?.close();
      tmp.cleanup();
    }
  },
};
