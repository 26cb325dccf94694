/**
 * Starts {@link ./parley-child.ts} as a real process and reads what it posts. For tests that kill
 * (SIGKILL), freeze (SIGSTOP) or restart a Parley process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import type { Actor, Conversation } from '../../src/conversation.js';
import type { Answer, AnswerReply } from '../../src/inbound.js';
import type { OutboundMessage } from '../../src/surface.js';

export interface ParleyProcess {
  child: ChildProcess;
  processId: string;
  posts: Array<{ conversation: Conversation; message: OutboundMessage }>;
  message(conversation: Conversation, text: string): void;
  /** Answers a form through this process (the inbound port's `answer`), as a click on it would. */
  answer(id: string, actor: Actor, answer: Answer): Promise<AnswerReply>;
  waitFor<K extends OutboundMessage['kind']>(
    user: string,
    kind: K,
    nth?: number,
  ): Promise<Extract<OutboundMessage, { kind: K }>>;
  texts(user: string): string[];
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

const root = join(import.meta.dirname, '..', '..');

export async function startParleyProcess(opts: {
  /** One Redis node; or give `storeEnv` (the Cluster/Sentinel variables, as Parley reads them). */
  redisUrl?: string;
  storeEnv?: Record<string, string>;
  prefix: string;
  servers: unknown[];
  /** The agent's turnLeaseMs (how fast others notice this process died). */
  leaseMs?: number;
}): Promise<ParleyProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/parley-child.ts')], {
    cwd: root,
    env: {
      ...process.env,
      // Only the topology asked for: the test runner's own REDIS_URL must not also be set.
      REDIS_URL: opts.redisUrl ?? '',
      REDIS_CLUSTER_NODES: '',
      REDIS_SENTINELS: '',
      ...opts.storeEnv,
      PARLEY_TEST_PREFIX: opts.prefix,
      PARLEY_TEST_SERVERS: JSON.stringify(opts.servers),
      ...(opts.leaseMs !== undefined && { PARLEY_TEST_LEASE_MS: String(opts.leaseMs) }),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const posts: ParleyProcess['posts'] = [];
  const replies = new Map<number, { resolve: (reply: AnswerReply) => void; reject: (err: Error) => void }>();
  let refs = 0;
  child.on('exit', () => {
    for (const waiter of replies.values())
      waiter.reject(new Error('the Parley process exited before it replied'));
    replies.clear();
  });
  let processId = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the Parley process exited early (${code})`)));
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (line) => {
      const parsed = JSON.parse(line) as {
        ready?: string;
        conversation?: Conversation;
        message?: OutboundMessage;
        reply?: AnswerReply;
        ref?: number;
      };
      if (parsed.reply && parsed.ref !== undefined) {
        replies.get(parsed.ref)?.resolve(parsed.reply);
        replies.delete(parsed.ref);
      } else if (parsed.ready) {
        processId = parsed.ready;
        resolve();
      } else if (parsed.conversation && parsed.message)
        posts.push({ conversation: parsed.conversation, message: parsed.message });
    });
  });
  await ready;
  const of = (user: string) => posts.filter((p) => p.conversation.user === user).map((p) => p.message);
  return {
    child,
    processId,
    posts,
    message: (conversation, text) => child.stdin?.write(`${JSON.stringify({ conversation, text })}\n`),
    answer: (id, actor, answer) =>
      new Promise<AnswerReply>((resolve, reject) => {
        const ref = ++refs;
        replies.set(ref, { resolve, reject });
        child.stdin?.write(`${JSON.stringify({ answer: { id, actor, answer }, ref })}\n`);
      }),
    async waitFor(user, kind, nth = 1) {
      await expect
        .poll(() => of(user).filter((m) => m.kind === kind).length, { timeout: 20_000 })
        .toBeGreaterThanOrEqual(nth);
      return of(user).filter((m) => m.kind === kind)[nth - 1] as never;
    },
    texts: (user) => of(user).flatMap((m) => (m.kind === 'text' || m.kind === 'notice' ? [m.text] : [])),
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
