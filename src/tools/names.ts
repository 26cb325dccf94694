/**
 * Tool names: one reversible, collision-free mapping between MCP tool names and the names a
 * language model sees. MCP allows almost any string as a tool name (dots, slashes, non-ASCII,
 * 100+ characters); OpenAI-style function names must match `^[a-zA-Z0-9_-]{1,64}$`. A name that
 * already fits is used as it is (`server__tool`); any other is sanitised and suffixed with a hash
 * of the exact (server, tool) pair, so two names that sanitise alike still differ. Decoding is a
 * lookup in the table built from the current listing — never a reverse transformation that could
 * guess wrong.
 */
import { createHash } from 'node:crypto';

/** Between the server and the tool in a namespaced name (`demo__create_ticket`). */
export const SEP = '__';
const LLM_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX = 64;

export interface ToolRef {
  server: string;
  tool: string;
}

/** The name a person types and sees: `server__tool`, with the tool's own name unchanged. */
export function qualifiedName(ref: ToolRef): string {
  return `${ref.server}${SEP}${ref.tool}`;
}

function hashOf(ref: ToolRef, length: number): string {
  return createHash('sha256').update(`${ref.server}\u0000${ref.tool}`).digest('hex').slice(0, length);
}

function hashed(ref: ToolRef, length: number): string {
  const suffix = `_${hashOf(ref, length)}`;
  const base = qualifiedName(ref).replace(/[^a-zA-Z0-9_-]/g, '_');
  return `${base.slice(0, MAX - suffix.length)}${suffix}`;
}

/** The model-facing name of one tool, before collisions with the rest of a listing are settled. */
export function llmName(ref: ToolRef): string {
  const plain = qualifiedName(ref);
  return LLM_NAME.test(plain) ? plain : hashed(ref, 8);
}

/**
 * A two-way table for one listing. Collisions (two pairs with the same model name — a plain name
 * that happens to equal another's hashed one, or an 8-hex-digit hash clash) are settled by giving
 * every colliding pair a longer hash, deterministically, so any process builds the same table.
 */
export class ToolNameTable {
  private readonly byLlm = new Map<string, ToolRef>();
  private readonly toLlm = new Map<string, string>();

  constructor(refs: Iterable<ToolRef>) {
    const groups = new Map<string, ToolRef[]>();
    for (const ref of refs) {
      const name = llmName(ref);
      const list = groups.get(name) ?? [];
      list.push(ref);
      groups.set(name, list);
    }
    for (const [name, list] of groups) {
      if (list.length === 1) this.add(name, list[0] as ToolRef);
      else for (const ref of list) this.add(hashed(ref, 24), ref);
    }
  }

  private add(name: string, ref: ToolRef): void {
    this.byLlm.set(name, ref);
    this.toLlm.set(exactKey(ref), name);
  }

  /** The model-facing name of a listed tool. */
  encode(ref: ToolRef): string | undefined {
    return this.toLlm.get(exactKey(ref));
  }

  /** The tool a model-facing name stands for, if it is in this listing. */
  decode(name: string): ToolRef | undefined {
    return this.byLlm.get(name);
  }
}

/**
 * Splits a name a person typed (`server__tool`) against the configured server names. The longest
 * matching server wins, so a server whose own name contains `__` still works.
 */
export function splitQualified(name: string, servers: readonly string[]): ToolRef | undefined {
  let best: ToolRef | undefined;
  for (const server of servers) {
    const prefix = `${server}${SEP}`;
    if (
      name.startsWith(prefix) &&
      name.length > prefix.length &&
      (!best || server.length > best.server.length)
    )
      best = { server, tool: name.slice(prefix.length) };
  }
  return best;
}

/** Unambiguous where `server__tool` is not (`a__b` + `c` and `a` + `b__c`). */
function exactKey(ref: ToolRef): string {
  return `${ref.server}\u0000${ref.tool}`;
}
