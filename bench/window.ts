/**
 * Phase W of `npm run bench -- --window-overhead` (issue 16): the quiesce window's own overhead at
 * N pods, in process, without a cluster. The window (runQuiesceWindow) runs N pods with one pre and
 * one post hook each against an executor that answers every exec at once (so no cluster time is in
 * the figures), and COMMAND as a real child process (childCommand: the frozen-pods JSON file, env,
 * spawn) that stamps its first and last instant with `date +%s%N`. Measured, wall clock:
 *   - pre → COMMAND: from the last pre hook's end (its exec answered) to COMMAND's first instruction;
 *   - COMMAND → post: from COMMAND's last instruction to the first post hook's exec request.
 * Both include the session close, the report, the frozen-pods file, process spawn and exit, so they
 * are what a user waits for beyond the hooks and the snapshot itself. Not a test: a figure.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { childCommand } from '../src/cli/window-command.ts';
import type { PlannedHook } from '../src/model/plan.ts';
import type { PodManifest } from '../src/model/pod.ts';
import { createSystemClock } from '../src/run/clock.ts';
import type { ExecOutcome, ExecRequest, PodExecutor } from '../src/run/ports.ts';
import { runQuiesceWindow } from '../src/run/quiesce-window.ts';

const nowMs = (): number => performance.timeOrigin + performance.now();

function pod(i: number): PodManifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `db-${i}`, namespace: 'bench', uid: `uid-${i}` },
    spec: { containers: [{ name: 'db', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-db-${i}` } }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'db', ready: true, state: { running: { startedAt: '2026-12-02T00:00:00Z' } } }] },
  };
}

function hook(i: number, phase: 'pre' | 'post', stage: number | undefined): PlannedHook {
  return {
    namespace: 'bench', pod: `db-${i}`, container: 'db', type: 'exec', source: 'annotation', name: '<from-annotation>', phase, index: 0,
    command: [phase === 'pre' ? '/bin/freeze' : '/bin/thaw'], onError: 'Fail', execTimeoutMs: 30_000, waitTimeoutMs: 0, waitForReady: false,
    ...(stage === undefined ? {} : { stage }),
  };
}

/** Answers every exec on the next turn of the event loop; records when pre execs end and post execs start. */
class InstantExecutor implements PodExecutor {
  lastPreEnd = 0;
  firstPostStart = Number.POSITIVE_INFINITY;
  execs = 0;
  async exec(request: ExecRequest): Promise<ExecOutcome> {
    const post = request.command[0] === '/bin/thaw';
    if (post) this.firstPostStart = Math.min(this.firstPostStart, nowMs());
    const startedAt = new Date();
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.execs++;
    if (!post) this.lastPreEnd = Math.max(this.lastPreEnd, nowMs());
    return { kind: 'exited', exitCode: 0, message: '', stdout: '', stderr: '', truncated: false, startedAt, durationMs: 0 };
  }
}

export interface WindowSample {
  readonly pods: number;
  readonly stages: number;
  readonly preToCommandMs: number;
  /** Of preToCommandMs: from the last pre hook's end until the window hands over to COMMAND (session close, report, frozen list). */
  readonly preToHandoverMs: number;
  /** Of commandToPostMs: from COMMAND's exit seen by kubehooks to the first post exec. */
  readonly exitToPostMs: number;
  readonly commandToPostMs: number;
  readonly windowMs: number;
  readonly loadavg1: number;
}

async function once(pods: number, stages: number, dir: string): Promise<WindowSample> {
  const stamps = join(dir, `stamps-${pods}-${stages}`);
  const exec = new InstantExecutor();
  const stageOf = (i: number): number | undefined => (stages <= 1 ? undefined : 1 + (i % stages));
  const manifests = Array.from({ length: pods }, (_, i) => pod(i));
  const started = nowMs();
  let handover = 0;
  let thawStep = 0;
  const report = await runQuiesceWindow({
    onStep: (step) => {
      if (step.step === 'command') handover = nowMs();
      else thawStep = nowMs();
    },
    runId: 'bench',
    pre: { hooks: manifests.map((_, i) => hook(i, 'pre', stageOf(i))), skipped: [] },
    post: { hooks: manifests.map((_, i) => hook(i, 'post', stageOf(i))), skipped: [] },
    pods: manifests,
    command: childCommand({ argv: ['/bin/sh', '-c', `date +%s%N > ${stamps}; date +%s%N >> ${stamps}`], env: process.env }),
    signal: new AbortController().signal,
    thawSignal: new AbortController().signal,
    executor: exec,
    clock: createSystemClock(),
    adaptiveConcurrency: true,
    concurrency: 64,
  });
  const windowMs = nowMs() - started;
  if (report.status !== 'ok') throw new Error(`window ended ${report.status}`);
  const [start = '0', end = '0'] = (await readFile(stamps, 'utf8')).trim().split('\n');
  const commandStart = Number(BigInt(start) / 1000n) / 1000;
  const commandEnd = Number(BigInt(end) / 1000n) / 1000;
  return {
    pods,
    stages,
    preToCommandMs: Math.round((commandStart - exec.lastPreEnd) * 100) / 100,
    commandToPostMs: Math.round((exec.firstPostStart - commandEnd) * 100) / 100,
    preToHandoverMs: Math.round((handover - exec.lastPreEnd) * 100) / 100,
    exitToPostMs: Math.round((exec.firstPostStart - thawStep) * 100) / 100,
    windowMs: Math.round(windowMs),
    loadavg1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Runs phase W and writes bench/results/<date>-window.{json,md}; returns the markdown table. */
export async function benchWindow(options: { readonly pods: readonly number[]; readonly repeats: number; readonly out?: string | undefined }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-bench-window-'));
  const samples: WindowSample[] = [];
  try {
    for (const pods of options.pods) {
      for (const stages of [1, 3]) {
        await once(pods, stages, dir); // warm-up, not counted
        for (let r = 0; r < options.repeats; r++) {
          const s = await once(pods, stages, dir);
          samples.push(s);
          process.stderr.write(`window: ${pods} pods, ${stages} stage(s): pre→COMMAND ${s.preToCommandMs} ms, COMMAND→post ${s.commandToPostMs} ms (load ${s.loadavg1})\n`);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const rows = ['| pods | stages | runs | pre → COMMAND median (max) | of it: pre → hand-over | COMMAND → post median (max) | of it: thaw step → first post exec | whole window median | load avg (1 min) |', '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const pods of options.pods) {
    for (const stages of [1, 3]) {
      const of = samples.filter((s) => s.pods === pods && s.stages === stages);
      const pre = of.map((s) => s.preToCommandMs);
      const post = of.map((s) => s.commandToPostMs);
      rows.push(
        `| ${pods} | ${stages} | ${of.length} | ${median(pre).toFixed(1)} ms (${Math.max(...pre).toFixed(1)}) | ${median(of.map((s) => s.preToHandoverMs)).toFixed(1)} ms | ${median(post).toFixed(1)} ms (${Math.max(...post).toFixed(1)}) | ${median(of.map((s) => s.exitToPostMs)).toFixed(1)} ms | ${median(of.map((s) => s.windowMs))} ms | ${[...new Set(of.map((s) => s.loadavg1))].join(', ')} |`,
      );
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const out = options.out ?? join(import.meta.dirname, 'results', `${date}-window.json`);
  await mkdir(join(out, '..'), { recursive: true });
  const doc = { kind: 'window-overhead', date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), node: process.version, samples };
  await writeFile(out, `${JSON.stringify(doc, null, 2)}\n`);
  const md = `${rows.join('\n')}\n`;
  await writeFile(out.replace(/\.json$/, '.md'), `# Window overhead (${date})\n\n${md}`);
  return md;
}
