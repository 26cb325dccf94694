/**
 * `npm run bench [-- section …]`: runs benchmark sections one after another, each in its own
 * process (so one section's heap and event loop never colour the next one's figures), and prints
 * their output as it comes. With no argument every section runs, in the order below, with the
 * default settings. Exit code: 1 if any section failed (a section fails when a flow fails or a
 * goal it checks is missed), 2 on an unknown section name.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Section name → file (relative to this folder) and a one-line description for `--help`. */
const SECTIONS: Record<string, { file: string; about: string; env?: Record<string, string> }> = {
  slack: {
    file: 'slack-ack.ts',
    about: 'Slack ack latency as the sender sees it: 200 people, form-flow bursts',
    env: { BENCH_USERS: '200' },
  },
  'slack-1000': {
    file: 'slack-ack.ts',
    about: 'the same with 1,000 people',
    env: { BENCH_USERS: '1000' },
  },
  'slack-llm': {
    file: 'slack-ack.ts',
    about: 'the same, 200 people, the answer streamed from a (scripted) model',
    env: { BENCH_USERS: '200', BENCH_LLM: 'stream' },
  },
  pool: { file: 'pool.ts', about: 'MCP pool: 1, 10, 100, 1,000 people, both eras' },
  knee: { file: 'knee.ts', about: 'tool turns with 1, 10, 100, 1,000 people, default settings: the knee' },
  memory: { file: 'memory.ts', about: 'open forms held in one process: 1,000 (2025-11-25), 10,000 (MRTR)' },
  cpu: { file: 'cpu.ts', about: "Parley's CPU: a form flow against an echo turn, direct and via the LLM" },
  overhead: { file: 'overhead.ts', about: 'direct and LLM turns against the raw SDK, pooled and per turn' },
  scaling: { file: 'scaling.ts', about: 'tool-turn throughput with 1, 2, 3 processes' },
};

const asked = process.argv.slice(2).filter((a) => a !== '--');
if (asked.includes('--help') || asked.includes('-h')) {
  for (const [name, s] of Object.entries(SECTIONS)) process.stdout.write(`${name.padEnd(10)} ${s.about}\n`);
  process.exit(0);
}
const unknown = asked.filter((a) => !(a in SECTIONS));
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown benchmark section(s): ${unknown.join(', ')}. Use: ${Object.keys(SECTIONS).join(', ')}.\n`,
  );
  process.exit(2);
}
const chosen = asked.length > 0 ? asked : Object.keys(SECTIONS);

const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
let failed = 0;
for (const name of chosen) {
  const section = SECTIONS[name];
  if (!section) continue;
  process.stdout.write(`\n=== bench: ${name} (${section.about})\n`);
  const file = fileURLToPath(new URL(section.file, import.meta.url));
  const code = await new Promise<number>((resolve) => {
    const child = spawn(tsx, [file], { stdio: 'inherit', env: { ...section.env, ...process.env } });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  if (code !== 0) {
    failed += 1;
    process.stdout.write(`bench section ${name} exited with ${code}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
