/**
 * Who is talking, where. A session is keyed by platform + workspace + channel (+ thread) + user;
 * a person's identity — what MCP connections and sign-ins belong to — is platform + workspace +
 * user, so the same person shares sign-ins across channels but never with anyone else.
 */
export interface Conversation {
  platform: string;
  workspace: string;
  channel: string;
  /** Thread (Slack thread_ts, Discord thread id) when the platform has one. */
  thread?: string;
  user: string;
}

/** The person, without the place. */
export interface Actor {
  platform: string;
  workspace: string;
  user: string;
}

const enc = (s: string) => encodeURIComponent(s);

export function sessionKey(c: Conversation): string {
  return [c.platform, c.workspace, c.channel, c.thread ?? '-', c.user].map(enc).join(':');
}

export function identityKey(a: Actor): string {
  return [a.platform, a.workspace, a.user].map(enc).join(':');
}

export function sameActor(a: Actor, b: Actor): boolean {
  return a.platform === b.platform && a.workspace === b.workspace && a.user === b.user;
}
