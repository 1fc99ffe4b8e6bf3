import assert from 'node:assert/strict';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../src/logger';
import { ExportError } from '../../../src/media/export/errors';
import { ExportJobs } from '../../../src/media/export/export-jobs';
import type { ExportJobRecord, ExportJobsOptions } from '../../../src/media/export/job-types';
import type { SegmentRef } from '../../../src/media/export/types';
import { CHANNEL, hasFfmpeg, layFootage, slowFfmpeg, T0, until } from './helpers';

const HOUR = 3_600_000;

describe('ExportJobs', { skip: !hasFfmpeg && 'ffmpeg is not installed' }, () => {
  let tmp: string;
  let root: string;
  let segments: SegmentRef[];
  const open: ExportJobs[] = [];
  const jobsWith = (o: Partial<ExportJobsOptions> = {}) => {
    const dataDir = mkdtempSync(join(tmp, 'data-'));
    const jobs = new ExportJobs({ dataDir, root, findSegments: (channelId) => (channelId === CHANNEL ? segments : []), logger: silentLogger(), ...o });
    open.push(jobs);
    return jobs;
  };
  const settled = (jobs: ExportJobs, id: string) =>
    new Promise<ExportJobRecord>((resolve) => {
      const check = (job: ExportJobRecord) => {
        if (job.id === id && job.finishedAt !== null) {
          jobs.off('change', check);
          resolve(job);
        }
      };
      jobs.on('change', check);
    });

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gbvms-export-jobs-'));
    root = join(tmp, 'footage');
    segments = layFootage(root);
  });
  after(async () => {
    await Promise.all(open.map((j) => j.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  test('jobs run two at a time, report progress, and end done with their file in exports/<id>.mp4', async () => {
    const jobs = jobsWith();
    let running = 0;
    let most = 0;
    const progress = new Map<string, number[]>();
    jobs.on('change', (j) => {
      if (j.state === 'running') most = Math.max(most, ++running);
      else if (j.finishedAt !== null) running--;
    });
    jobs.on('progress', (j) => progress.set(j.id, [...(progress.get(j.id) ?? []), j.progress]));
    const done: ExportJobRecord[] = [];
    jobs.on('done', (j) => done.push(j));
    const created = [0, 1, 2].map((k) => jobs.create({ channelId: CHANNEL, from: T0 + k * 4000, to: T0 + k * 4000 + 3000 }));
    // Two start at once; the third waits its turn.
    assert.deepEqual(created.map((j) => [j.state, j.progress, j.finishedAt]), [['running', 0, null], ['running', 0, null], ['queued', 0, null]]);
    await until(() => done.length === 3, 10_000);
    assert.equal(most, 2);
    for (const c of created) {
      const job = jobs.get(c.id)!;
      assert.equal(job.state, 'done');
      assert.equal(job.progress, 1);
      assert.equal(progress.get(c.id)?.at(-1), 1);
      assert.equal(job.result?.outFile, join(jobs.exportsDir, `${c.id}.mp4`));
      assert.equal(jobs.fileOf(c.id), job.result?.outFile);
      assert.ok(existsSync(job.result!.outFile), 'file kept');
      assert.ok(job.finishedAt! >= job.startedAt! && job.startedAt! >= job.createdAt, 'times in order');
      assert.equal(await jobs.verify(c.id), true);
    }
    assert.deepEqual(readdirSync(jobs.exportsDir).sort(), created.map((c) => `${c.id}.mp4`).sort());
    assert.deepEqual(jobs.list().map((j) => j.id).sort(), created.map((c) => c.id).sort());
  });

  test('a changed export file no longer verifies', async () => {
    const jobs = jobsWith();
    const { id } = jobs.create({ channelId: CHANNEL, from: T0, to: T0 + 1000 });
    const job = await settled(jobs, id);
    assert.equal(job.state, 'done');
    appendFileSync(job.result!.outFile, 'tampered');
    assert.equal(await jobs.verify(id), false);
    assert.equal(await jobs.verify('no-such-job'), false);
  });

  test('a job with no footage fails with the no-footage code and makes no file', async () => {
    const jobs = jobsWith();
    const failed = once(jobs, 'failed');
    const { id } = jobs.create({ channelId: '34020000001320000099', from: T0, to: T0 + 5000 });
    const [job] = (await failed) as [ExportJobRecord];
    assert.equal(job.id, id);
    assert.equal(job.state, 'failed');
    assert.equal(job.error?.code, 'no-footage');
    assert.equal(jobs.fileOf(id), null);
    assert.deepEqual(existsSync(jobs.exportsDir) ? readdirSync(jobs.exportsDir) : [], []);
  });

  test('a bad range is refused when the job is created', () => {
    const jobs = jobsWith({ maxRangeMs: HOUR });
    assert.throws(() => jobs.create({ channelId: CHANNEL, from: T0, to: T0 }), (e: unknown) => e instanceof ExportError && e.failure === 'bad-range');
    assert.throws(() => jobs.create({ channelId: CHANNEL, from: T0, to: T0 + 2 * HOUR }), (e: unknown) => e instanceof ExportError && e.failure === 'bad-range');
    assert.deepEqual(jobs.list(), []);
  });

  test('cancelling a running job kills its export and leaves no file; a queued one never runs', async () => {
    const jobs = jobsWith({ concurrency: 1, ffmpegPath: slowFfmpeg(tmp) });
    const running = jobs.create({ channelId: CHANNEL, from: T0, to: T0 + 20_000 });
    const queued = jobs.create({ channelId: CHANNEL, from: T0, to: T0 + 20_000 });
    await until(() => existsSync(join(jobs.exportsDir, `${running.id}.mp4.part`)));
    const ends = Promise.all([settled(jobs, running.id), settled(jobs, queued.id)]);
    assert.equal(jobs.cancel(queued.id), true);
    assert.equal(jobs.cancel(running.id), true);
    const [r, q] = await ends;
    assert.equal(r.state, 'cancelled');
    assert.equal(q.state, 'cancelled');
    assert.equal(q.startedAt, null);
    assert.deepEqual(readdirSync(jobs.exportsDir), []);
    assert.equal(jobs.cancel(running.id), false, 'a finished job cannot be cancelled');
    assert.equal(jobs.cancel('no-such-job'), false);
  });

  test('finished jobs and their files are pruned after the TTL, with stray files', async () => {
    let now = Date.now();
    const jobs = jobsWith({ clock: () => now, ttlMs: HOUR });
    const { id } = jobs.create({ channelId: CHANNEL, from: T0, to: T0 + 1000 });
    const job = await settled(jobs, id);
    const stray = join(jobs.exportsDir, 'left-from-before.mp4.part');
    writeFileSync(stray, 'x');
    utimesSync(stray, new Date(now - 2 * HOUR), new Date(now - 2 * HOUR));
    now += HOUR - 1;
    assert.equal(await jobs.prune(), 0);
    assert.ok(existsSync(job.result!.outFile), 'kept inside the TTL');
    assert.equal(existsSync(stray), false);
    const pruned: ExportJobRecord[] = [];
    jobs.on('pruned', (j) => pruned.push(j));
    now += 1;
    assert.equal(await jobs.prune(), 1);
    assert.deepEqual(pruned.map((j) => j.id), [id]);
    assert.equal(existsSync(job.result!.outFile), false);
    assert.equal(jobs.get(id), undefined);
  });

  test('records survive JSON, and restore() brings finished jobs back and re-runs interrupted ones', async () => {
    const first = jobsWith();
    const { id } = first.create({ channelId: CHANNEL, from: T0, to: T0 + 2000 });
    const done = await settled(first, id);
    const stored = JSON.parse(JSON.stringify(first.list())) as ExportJobRecord[];
    assert.deepEqual(stored, [done]);
    const interrupted: ExportJobRecord = { ...done, id: '6f0c1c36-0000-4000-8000-000000000001', state: 'running', progress: 0.4, startedAt: done.createdAt, finishedAt: null };
    delete interrupted.result;
    const second = jobsWith({ dataDir: join(first.exportsDir, '..') });
    const rerun = settled(second, interrupted.id);
    second.restore([stored[0]!, interrupted]);
    assert.deepEqual(second.get(id), done);
    assert.equal(await second.verify(id), true);
    const again = await rerun;
    assert.equal(again.state, 'done');
    assert.ok(existsSync(join(second.exportsDir, `${interrupted.id}.mp4`)), 're-run file written');
  });

  test('close() cancels what runs and takes no more jobs', async () => {
    const jobs = jobsWith({ ffmpegPath: slowFfmpeg(tmp) });
    const { id } = jobs.create({ channelId: CHANNEL, from: T0, to: T0 + 20_000 });
    await until(() => existsSync(join(jobs.exportsDir, `${id}.mp4.part`)));
    await jobs.close();
    assert.equal(jobs.get(id)?.state, 'cancelled');
    assert.throws(() => jobs.create({ channelId: CHANNEL, from: T0, to: T0 + 1000 }), ExportError);
    mkdirSync(jobs.exportsDir, { recursive: true });
    assert.deepEqual(readdirSync(jobs.exportsDir), []);
  });
});
