/**
 * `npm run bench -- overhead`: what Parley adds to a tool call, in each era, as ratios from one
 * run. One person, one thing at a time, against the demo MCP server and the scripted LLM (each in
 * a child process) and Redis; every figure is the median of BENCH_SAMPLES, the variants taking
 * turns so the machine's load falls on all alike:
 *
 * - raw SDK: `callTool('echo')` on a connected `Client`; and connect + call + close per call.
 * - floor of an LLM turn: two chat completions (the tool call, then the answer) and the call, by
 *   hand (the `openai` client and the warm raw `Client`): what any bot must do.
 * - Parley, direct: `/call demo__echo`, message to answer; pooled (the connection kept), and
 *   connect-per-turn (the pool emptied before each turn).
 * - Parley, LLM turn: "echo …" → the model asks for demo__echo → its answer; pooled and
 *   connect-per-turn.
 *
 * Exit 1 when a turn fails (no goal is checked here: these are the figures the README quotes).
 *
 *   BENCH_SAMPLES   samples per variant and era (default 40)
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import {
  type BenchParley,
  demoServer,
  machine,
  openRedis,
  person,
  startDemoServer,
  startLlm,
  startParley,
} from './rig.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
type Era = 'legacy' | 'auto';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function rawClient(url: string, era: Era): Promise<Client> {
  const client = new Client(
    { name: 'raw-bench', version: '0' },
    {
      capabilities: { elicitation: { form: {}, url: {} } },
      versionNegotiation: { mode: era === 'legacy' ? 'legacy' : 'auto' },
    },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const ECHO_TOOL: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'demo__echo',
    description: 'Returns the message it is given.',
    parameters: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
  },
};

let serial = 0;

/** Message → answer text for one Parley turn; throws when the answer isn't the echo. */
async function parleyTurn(p: BenchParley, text: (n: number) => string, perTurn: boolean): Promise<number> {
  if (perTurn) await p.agent.pool.closeAll();
  const n = ++serial;
  const user = 'solo';
  const where = person(user, `C${n}`);
  const answered = p.surface.next(user, 'text');
  const started = performance.now();
  void p.agent.message(where, text(n));
  const said = await answered;
  const ms = performance.now() - started;
  if (!said.includes(`ovh ${n}`)) throw new Error(`turn ${n}: ${said}`);
  await p.agent.whenIdle();
  return ms;
}

interface EraFigures {
  era: Era;
  raw: number;
  rawConnect: number;
  floor: number;
  direct: number;
  directConnect: number;
  llm: number;
  llmConnect: number;
}

async function measureEra(era: Era, mcpUrl: string, redisUrl: string, baseURL: string): Promise<EraFigures> {
  const model = new OpenAI({ apiKey: 'bench', baseURL });
  const { OpenAiLlm } = await import('../../src/llm.js');
  const p = await startParley(redisUrl, [demoServer(mcpUrl, era)], {
    llm: new OpenAiLlm({ apiKey: 'bench', baseURL, model: 'scripted' }),
  });
  const client = await rawClient(mcpUrl, era);
  const samples: Record<Exclude<keyof EraFigures, 'era'>, number[]> = {
    raw: [],
    rawConnect: [],
    floor: [],
    direct: [],
    directConnect: [],
    llm: [],
    llmConnect: [],
  };
  const time = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  const echo = (c: Client, n: number) => c.callTool({ name: 'echo', arguments: { message: `ovh ${n}` } });
  const variants: Array<[keyof typeof samples, () => Promise<number>]> = [
    ['raw', () => time(() => echo(client, ++serial))],
    [
      'rawConnect',
      () =>
        time(async () => {
          const c = await rawClient(mcpUrl, era);
          await echo(c, ++serial);
          await c.close();
        }),
    ],
    [
      'floor',
      () =>
        time(async () => {
          const n = ++serial;
          const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: `echo ovh ${n}` }];
          const first = await model.chat.completions.create({
            model: 'scripted',
            messages,
            tools: [ECHO_TOOL],
          });
          const call = first.choices[0]?.message.tool_calls?.[0];
          if (call?.type !== 'function') throw new Error('the scripted LLM asked for no tool');
          const result = await client.callTool({
            name: 'echo',
            arguments: JSON.parse(call.function.arguments),
          });
          messages.push(first.choices[0]?.message as ChatCompletionMessageParam, {
            role: 'tool',
            tool_call_id: call.id,
            content: JSON.stringify(result.content),
          });
          await model.chat.completions.create({ model: 'scripted', messages, tools: [ECHO_TOOL] });
        }),
    ],
    ['direct', () => parleyTurn(p, (n) => `/call demo__echo {"message":"ovh ${n}"}`, false)],
    ['directConnect', () => parleyTurn(p, (n) => `/call demo__echo {"message":"ovh ${n}"}`, true)],
    ['llm', () => parleyTurn(p, (n) => `echo ovh ${n}`, false)],
    ['llmConnect', () => parleyTurn(p, (n) => `echo ovh ${n}`, true)],
  ];
  try {
    // Warm: every path once (modules, JIT, the tool list, the connection).
    for (let i = 0; i < 5; i++) for (const [, run] of variants) await run();
    for (let i = 0; i < SAMPLES; i++) for (const [name, run] of variants) samples[name].push(await run());
  } finally {
    await client.close();
    await p.close();
  }
  const m = (k: keyof typeof samples) => median(samples[k]);
  return {
    era,
    raw: m('raw'),
    rawConnect: m('rawConnect'),
    floor: m('floor'),
    direct: m('direct'),
    directConnect: m('directConnect'),
    llm: m('llm'),
    llmConnect: m('llmConnect'),
  };
}

async function main(): Promise<void> {
  const mcp = await startDemoServer();
  const redis = await openRedis();
  const llm = await startLlm();
  const rows: EraFigures[] = [];
  try {
    for (const era of ['legacy', 'auto'] as const)
      rows.push(await measureEra(era, mcp.url, redis.url, llm.baseURL));
  } finally {
    mcp.stop();
    llm.stop();
    await redis.stop();
  }
  const eraName = (e: Era) => (e === 'legacy' ? '2025-11-25' : '2026-07-28');
  console.log(`Parley's overhead, medians of ${SAMPLES} sequential samples (ms); ${machine()}`);
  const ms = (x: number) => x.toFixed(2).padStart(10);
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`.padStart(9);
  console.log(
    `${'era'.padEnd(12)}${['raw call', 'raw+conn', 'LLM floor', 'direct', 'direct+c', 'LLM turn', 'LLM+conn'].map((h) => h.padStart(10)).join('')}`,
  );
  for (const r of rows)
    console.log(
      `${eraName(r.era).padEnd(12)}${[r.raw, r.rawConnect, r.floor, r.direct, r.directConnect, r.llm, r.llmConnect].map(ms).join('')}`,
    );
  console.log('(+conn, +c: a new connection for every call or turn; the others keep theirs)');
  console.log('\nratios (same run)');
  console.log(
    `${'era'.padEnd(12)}${['direct/raw', 'LLM/floor', 'direct: per-turn/pooled', 'LLM: per-turn/pooled', 'raw: conn/warm'].map((h) => h.padStart(h.length + 2)).join('')}`,
  );
  for (const r of rows)
    console.log(
      `${eraName(r.era).padEnd(12)}${x(r.direct, r.raw).padStart(12)}${x(r.llm, r.floor).padStart(11)}${x(r.directConnect, r.direct).padStart(24)}${x(r.llmConnect, r.llm).padStart(22)}${x(r.rawConnect, r.raw).padStart(16)}`,
    );
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
