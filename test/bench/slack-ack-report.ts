/**
 * The Slack ack bench's report (slack-ack.ts): per phase, sender-side p50/p99/max from
 * autocannon's own histograms beside Parley's received → ack and its event-loop delay and CPU;
 * where the sender-side time went; Parley's CPU before each ack; failed flows; the load average.
 */
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import type { PhaseFigures } from './slack-ack-parley.js';

export type PhaseName = 'mention' | 'click' | 'submit';
export const LABEL: Record<PhaseName, string> = {
  mention: 'mention',
  click: 'Fill in',
  submit: 'modal submit',
};

/** One person's flow through the phases; `failed` says at which step and why. */
export interface FlowOutcome {
  failed?: string;
}

export interface PhaseReport {
  name: PhaseName;
  sender: autocannon.Result;
  encoded: autocannon.Result;
  parley: PhaseFigures;
  /** ms from the burst until each flow's outcome (message, modal, ticket) was seen. */
  outcomes: number[];
  setupMs: number;
  releaseMs: number;
  generatorLoop: { p99: number; max: number };
  /** Each ack's time split: before Parley had its headers, in Parley, back to the sender. */
  where: {
    beforeParley: number[];
    inParley: number[];
    back: number[];
  };
}

/** autocannon's own aggregation of results run with skipAggregateResult (not in its types). */
export const aggregate = (results: autocannon.Result[]): autocannon.Result =>
  (
    autocannon as unknown as {
      aggregateResult: (r: autocannon.Result[], o: { url: string }) => autocannon.Result;
    }
  ).aggregateResult(results, { url: 'http://parley' });

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

const num = (x: number, width = 8, digits = 1) => x.toFixed(digits).padStart(width);
export const load = () =>
  `${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`;

export interface ReportInput {
  users: number;
  storeLabel: string;
  flows: FlowOutcome[];
  reports: PhaseReport[];
  /** s, the measured round's three phases. */
  elapsed: number;
  goalP99Ms: number;
  loadAtStart: string;
  profileDir: string | undefined;
  violations: number;
}

/** Prints the report; returns the failed flows and whether the sender-side p99 goal was met. */
export function printReport(o: ReportInput): { failed: FlowOutcome[]; met: boolean } {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(
    `Slack ack latency: ${o.users} people, one form flow each, in three bursts of ${o.users} at once ` +
      `(HTTP receiver, ${o.storeLabel}).`,
  );
  out(
    'Parley alone in one process; the load generator (autocannon, pre-signed requests) in another; ' +
      'the fake Slack API and the demo MCP server in a third.',
  );
  out();
  const head = (s: string, w = 8) => s.padStart(w);
  out(
    `${'ack (ms)'.padEnd(14)}${head('n', 6)}  ${'sender:'.padEnd(8)}${head('p50')}${head('p99')}${head('max')}` +
      `  ${'Parley:'.padEnd(8)}${head('p50')}${head('p99')}${head('max')}  ${'loop delay:'.padEnd(11)}` +
      `${head('p99')}${head('max')}  ${head('CPU', 5)}  ${head('all done (s)', 12)}`,
  );
  const line = (label: string, sender: autocannon.Result, parleyMs: number[], rest: string) =>
    out(
      `${label.padEnd(14)}${String((sender.latency as { totalCount?: number }).totalCount).padStart(6)}  ${''.padEnd(8)}` +
        `${num(sender.latency.p50, 8, 0)}${num(sender.latency.p99, 8, 0)}${num(sender.latency.max, 8, 0)}` +
        `  ${''.padEnd(8)}${num(percentile(parleyMs, 50))}${num(percentile(parleyMs, 99))}` +
        `${num(Math.max(...parleyMs))}  ${rest}`,
    );
  for (const r of o.reports)
    line(
      LABEL[r.name],
      r.sender,
      r.parley.received,
      `${''.padEnd(11)}${num(r.parley.loop.p99)}${num(r.parley.loop.max)}  ${num(r.parley.cpu * 100, 4, 0)}%` +
        `  ${num(Math.max(...r.outcomes) / 1000, 12)}`,
    );
  const overall = aggregate(o.reports.map((r) => r.encoded));
  const allParley = o.reports.flatMap((r) => r.parley.received);
  const soFar = o.reports.at(-1)?.parley.loopSoFar;
  line(
    'all',
    overall,
    allParley,
    `${''.padEnd(11)}${num(soFar?.p99 ?? Number.NaN)}${num(soFar?.max ?? Number.NaN)}`,
  );
  out();
  // Kept in this form: other comparisons (older commits) read this row.
  const row = (name: string, xs: number[]) =>
    `${name.padEnd(26)}${String(xs.length).padStart(6)}${num(percentile(xs, 50))}${num(percentile(xs, 99))}${num(Math.max(...xs))}`;
  out(`${'ack (ms)'.padEnd(26)}${head('n', 6)}${head('p50')}${head('p99')}${head('max')}`);
  out(row('Parley: received → ack', allParley));
  out(
    row(
      'Parley: headers → ack',
      o.reports.flatMap((r) => r.parley.headers),
    ),
  );
  out();

  const failed = o.flows.filter((f) => f.failed);
  const p99 = overall.latency.p99;
  const met = p99 <= o.goalP99Ms;
  out(
    `${o.users - failed.length}/${o.users} flows completed in ${o.elapsed.toFixed(1)} s (0 failed required). ` +
      `Sender-side ack p99 ${p99} ms (goal ≤ ${o.goalP99Ms} ms: ${met ? 'met' : 'NOT met'}).`,
  );
  out(
    `"loop delay": Parley's event-loop delay during the phase; "CPU": Parley's, share of one core; ` +
      `"all done": burst → last outcome. The generator's own time to send each burst: ` +
      `${o.reports.map((r) => r.releaseMs.toFixed(0)).join(' / ')} ms (after ` +
      `${o.reports.map((r) => r.setupMs.toFixed(0)).join(' / ')} ms building and connecting, not counted); ` +
      `its event-loop delay max ${o.reports.map((r) => r.generatorLoop.max.toFixed(0)).join(' / ')} ms.`,
  );
  out(
    'Where the sender-side time went, p50 / p99 (ms), all from sent: ' +
      '→ has the headers | → acked | → sender has it',
  );
  for (const r of o.reports) {
    const pp = (xs: number[]) => `${num(percentile(xs, 50), 7)} /${num(percentile(xs, 99), 7)}`;
    out(
      `  ${LABEL[r.name].padEnd(14)}${pp(r.where.beforeParley)}  |` +
        `${pp(r.where.inParley)}  |${pp(r.where.back)}`,
    );
  }
  out(
    "Parley's CPU time from a burst's first delivery to its acks, p50 / p99 / last (ms; what the acks waited for, " +
      'whatever else the machine runs):',
  );
  for (const r of o.reports) {
    const xs = r.parley.cpuAtAck;
    out(
      `  ${LABEL[r.name].padEnd(14)}${num(percentile(xs, 50), 7, 0)} /${num(percentile(xs, 99), 7, 0)} /` +
        `${num(Math.max(...xs), 7, 0)}`,
    );
  }
  out(`Load average at start: ${o.loadAtStart}; at the end: ${load()}.`);
  if (o.profileDir)
    out(
      `CPU profile of the Parley process in ${o.profileDir}; the phases on its clock (µs): ` +
        o.reports.map((r) => `${r.name} ${r.parley.clockUs.join('–')}`).join(', '),
    );
  if (o.violations > 0) out(`Slack limit violations: ${o.violations}`);
  const reasons = new Map<string, number>();
  for (const f of failed) reasons.set(f.failed as string, (reasons.get(f.failed as string) ?? 0) + 1);
  for (const [reason, n] of [...reasons].slice(0, 5)) out(`failed: ${n} × ${reason}`);

  return { failed, met };
}
