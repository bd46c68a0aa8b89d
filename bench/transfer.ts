import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Figure } from './lib/figure';
import { skipped } from './lib/figure';
import { startWorker } from './lib/rpc';
import { CURL, fmtBytes, fmtNum, fmtPct, fmtRate, hasCurl, MiB, median, run, tempDir } from './lib/util';
import type { Api as FilesApi } from './workers/files';
import type { Api as TransferApi } from './workers/transfer';

/** A file of `size` bytes that does not compress (random blocks). */
export function makeFile(file: string, size: number): void {
  const block = randomBytes(4 * MiB);
  const fd = openSync(file, 'w');
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(block.length, size - done);
      writeSync(fd, block, 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

async function curlDownload(url: string, out: string): Promise<{ sec: number; size: number }> {
  const { stdout } = await run(CURL, ['-s', '-S', '--fail', '-o', out, '-w', '%{time_total} %{size_download}', url], { maxBuffer: 1 << 20 });
  rmSync(out, { force: true });
  const [sec, size] = stdout.trim().split(' ').map(Number);
  return { sec: sec!, size: size! };
}

async function curlUpload(url: string, file: string): Promise<{ sec: number; size: number; code: number }> {
  const { stdout } = await run(CURL, ['-s', '-S', '--fail', '-o', '/dev/null', '-w', '%{time_total} %{size_upload} %{http_code}', '-F', 'model=lipsync-2', '-F', `video=@${file};type=video/mp4;filename=avatar.mp4`, url], {
    maxBuffer: 1 << 20,
  });
  const [sec, size, code] = stdout.trim().split(' ').map(Number);
  return { sec: sec!, size: size!, code: code! };
}

const DL_TARGETS = { rate: '≥ 80% of curl', memory: '≤ 64 MB growth', resume: '≤ 51% of the file' };

/**
 * Download: a big output served by a FakeServer in its own process (Range, cuts), fetched by the app's
 * downloadTo (streamed to a part file, then verified by SHA-256) in a fresh process per run, against
 * curl on the same URL in the same run (runs alternate; medians). Memory growth = the downloading
 * process's peak resident size minus its size before the download. Then a download cut at 50% and
 * resumed: the share of the file the resume transfers.
 */
export const download: Figure = {
  id: 'download',
  title: 'Download',
  async run(o) {
    const size = o.quick ? 8 * MiB : 1024 * MiB;
    const reps = o.quick ? 1 : 3;
    const label = `Download: ${fmtBytes(size)} output from a local fake`;
    const tmp = tempDir('download');
    const files = await startWorker<FilesApi>('files');
    try {
      const src = path.join(tmp.dir, 'output.mp4');
      makeFile(src, size);
      const { downloadUrl } = await files.call('start', { file: src });
      const curl: { sec: number; size: number }[] = [];
      const app: Awaited<ReturnType<TransferApi['download']>>[] = [];
      const readOnly: Awaited<ReturnType<TransferApi['readOnly']>>[] = [];
      for (let i = 0; i < reps; i++) {
        if (hasCurl()) curl.push(await curlDownload(downloadUrl, path.join(tmp.dir, 'curl.out')));
        const w = await startWorker<TransferApi>('transfer');
        try {
          app.push(await w.call('download', { url: downloadUrl, part: path.join(tmp.dir, 'app.part') }));
        } finally {
          await w.close();
        }
      }
      // Reference (not a target): undici alone reading the response and discarding it, same kind of process.
      const ref = await startWorker<TransferApi>('transfer');
      try {
        readOnly.push(await ref.call('readOnly', { url: downloadUrl }));
      } finally {
        await ref.close();
      }
      for (const a of app) if (a.size !== size) throw new Error(`downloaded ${a.size} of ${size} bytes`);
      // Cut at 50%, then resume in a new process (as after a restart).
      const part = path.join(tmp.dir, 'resume.part');
      await files.call('cut', { fraction: 0.5 });
      let resumed: Awaited<ReturnType<TransferApi['download']>>;
      const w1 = await startWorker<TransferApi>('transfer');
      try {
        await w1.call('downloadCut', { url: downloadUrl, part });
      } finally {
        await w1.close();
      }
      const w2 = await startWorker<TransferApi>('transfer');
      try {
        resumed = await w2.call('download', { url: downloadUrl, part });
      } finally {
        await w2.close();
      }
      const fileRequests = await files.call('fileRequests');
      const appSec = median(app.map((a) => a.ms / 1000));
      const appRate = size / appSec;
      const transferRate = size / median(app.map((a) => a.transferMs / 1000));
      const growth = Math.max(...app.map((a) => Math.max(0, a.peakRss - a.rssBefore)));
      const resumeShare = (resumed.size - resumed.resumedFrom) / size;
      const resumeOk = resumed.size === size && resumed.sha256 === app[0]!.sha256;
      const rows = [];
      if (curl.length) {
        const curlRate = size / median(curl.map((c) => c.sec));
        rows.push({
          figure: `${label}: throughput`,
          value: fmtRate(appRate),
          baseline: `${fmtRate(curlRate)} (curl, same file)`,
          ratio: fmtPct(appRate / curlRate, 0),
          target: DL_TARGETS.rate,
          pass: appRate / curlRate >= 0.8,
          raw: { value: appRate, baseline: curlRate, ratio: appRate / curlRate, unit: 'bytes/s' },
        });
      } else rows.push(skipped(`${label}: throughput`, DL_TARGETS.rate, `${CURL} not found: no curl baseline`));
      rows.push(
        {
          figure: `${label}: resident memory growth`,
          value: fmtBytes(growth),
          baseline: `${fmtBytes(size)} file; process at ${fmtBytes(median(app.map((a) => a.rssBefore)))} before`,
          ratio: fmtPct(growth / size, 1),
          target: DL_TARGETS.memory,
          pass: growth <= 64e6,
          raw: { value: growth, baseline: size, ratio: growth / size, unit: 'bytes' },
        },
        {
          figure: `${label}: resume after a cut at 50%`,
          value: `${fmtBytes(resumed.size - resumed.resumedFrom)} transferred`,
          baseline: `${fmtBytes(size)} (the whole file)`,
          ratio: fmtPct(resumeShare),
          target: DL_TARGETS.resume,
          pass: resumeOk && resumeShare <= 0.51,
          raw: { value: resumed.size - resumed.resumedFrom, baseline: size, ratio: resumeShare, unit: 'bytes' },
        },
      );
      return {
        rows,
        notes: [
          `${reps} alternating run(s) each, medians. App: ${app.map((a) => `${fmtNum(a.ms / 1000, 2)} s`).join(', ')} (of which receiving the bytes ${app.map((a) => `${fmtNum(a.transferMs / 1000, 2)} s`).join(', ')}; the rest is verifying and closing the file). curl: ${curl.map((c) => `${fmtNum(c.sec, 2)} s`).join(', ') || 'n/a'}.`,
          `Throughput while receiving only (before the check): ${fmtRate(transferRate)}. Reference: undici alone reading the response without writing it: ${fmtRate(size / (readOnly[0]!.ms / 1000))}, memory growth ${fmtBytes(readOnly[0]!.peakRss - readOnly[0]!.rssBefore)}.`,
          `Resume: ${fmtBytes(resumed.resumedFrom)} kept from the cut download, ${resumeOk ? 'final file identical (SHA-256)' : 'FINAL FILE DIFFERS'}; requests of the file: ${JSON.stringify(fileRequests.filter((r) => r.range !== 'bytes=0-0').slice(-2))}.`,
        ],
        details: { size, curl, app, readOnly, resumed, fileRequests },
      };
    } finally {
      await files.close();
      tmp.cleanup();
    }
  },
};

const UL_TARGETS = { rate: '≥ 80% of curl -F', memory: '≤ 64 MB growth' };

/**
 * Upload: a big avatar video sent as multipart/form-data through the shared HTTP client with a
 * file-backed Blob (as the Sync and Oshara adapters send files) to a FakeServer route (busboy, as the
 * fakes parse uploads) in its own process, against `curl -F` to the same route in the same run.
 */
export const upload: Figure = {
  id: 'upload',
  title: 'Upload',
  async run(o) {
    const size = o.quick ? 8_000_000 : 500_000_000;
    const reps = o.quick ? 1 : 3;
    const label = `Upload: ${fmtNum(size / 1e6, 0)} MB avatar video, multipart`;
    const tmp = tempDir('upload');
    const files = await startWorker<FilesApi>('files');
    try {
      const src = path.join(tmp.dir, 'avatar.mp4');
      makeFile(src, size);
      const { uploadUrl, rawUrl } = await files.call('start', { file: src });
      const curl: { sec: number; size: number; code: number }[] = [];
      const app: Awaited<ReturnType<TransferApi['upload']>>[] = [];
      const received: number[] = [];
      for (let i = 0; i < reps; i++) {
        if (hasCurl()) {
          curl.push(await curlUpload(uploadUrl, src));
          received.push((await files.call('lastUpload'))?.files.video?.size ?? -1);
        }
        const w = await startWorker<TransferApi>('transfer');
        try {
          app.push(await w.call('upload', { url: uploadUrl, file: src }));
        } finally {
          await w.close();
        }
        received.push((await files.call('lastUpload'))?.files.video?.size ?? -1);
      }
      if (received.some((n) => n !== size)) throw new Error(`the fake received ${received.join(', ')} bytes, not ${size}`);
      // Reference (not a target): undici sending the file as a plain stream in 1 MiB reads, no multipart.
      const ref = await startWorker<TransferApi>('transfer');
      let plain: Awaited<ReturnType<TransferApi['uploadStream']>>;
      try {
        plain = await ref.call('uploadStream', { url: rawUrl, file: src });
      } finally {
        await ref.close();
      }
      if (JSON.parse(plain.body).size !== size) throw new Error(`the raw route received ${plain.body}`);
      const appRate = size / median(app.map((a) => a.ms / 1000));
      const growth = Math.max(...app.map((a) => Math.max(0, a.peakRss - a.rssBefore)));
      const rows = [];
      if (curl.length) {
        const curlRate = size / median(curl.map((c) => c.sec));
        rows.push({
          figure: `${label}: throughput`,
          value: fmtRate(appRate),
          baseline: `${fmtRate(curlRate)} (curl -F, same route)`,
          ratio: fmtPct(appRate / curlRate, 0),
          target: UL_TARGETS.rate,
          pass: appRate / curlRate >= 0.8,
          raw: { value: appRate, baseline: curlRate, ratio: appRate / curlRate, unit: 'bytes/s' },
        });
      } else rows.push(skipped(`${label}: throughput`, UL_TARGETS.rate, `${CURL} not found: no curl baseline`));
      rows.push({
        figure: `${label}: resident memory growth`,
        value: fmtBytes(growth),
        baseline: `${fmtBytes(size)} file; process at ${fmtBytes(median(app.map((a) => a.rssBefore)))} before`,
        ratio: fmtPct(growth / size, 1),
        target: UL_TARGETS.memory,
        pass: growth <= 64e6,
        raw: { value: growth, baseline: size, ratio: growth / size, unit: 'bytes' },
      });
      return {
        rows,
        notes: [
          `${reps} alternating run(s) each, medians. App: ${app.map((a) => `${fmtNum(a.ms / 1000, 2)} s`).join(', ')}; curl -F: ${curl.map((c) => `${fmtNum(c.sec, 2)} s`).join(', ') || 'n/a'}. The fake counted every byte of every upload.`,
          `Reference: undici sending the same file as a plain stream read in 1 MiB chunks (no multipart encoder): ${fmtRate(size / (plain.ms / 1000))}, memory growth ${fmtBytes(plain.peakRss - plain.rssBefore)}.`,
        ],
        details: { size, curl, app, plain },
      };
    } finally {
      await files.close();
      tmp.cleanup();
    }
  },
};
