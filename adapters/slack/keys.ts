/**
 * Every store key the Slack adapter writes, in one place so no two of its jobs collide: per
 * interaction the message that offered it, per session the "working" placeholder and the last
 * command's response_url, the once-only marks of deliveries Slack may repeat, and who opened their
 * App Home lately.
 */
import { type Conversation, sessionKey } from '../../src/conversation.js';

export const keys = {
  ref: (id: string) => `slack:msg:${id}`,
  placeholder: (c: Conversation) => `slack:ph:${sessionKey(c)}`,
  responseUrl: (c: Conversation) => `slack:resp:${sessionKey(c)}`,
  seen: (id: string) => `slack:seen:${id}`,
  submitted: (id: string, user: string) => `slack:submitted:${id}:${encodeURIComponent(user)}`,
  /** The person opened the App Home lately (home.ts keeps it current for them). */
  home: (identity: string) => `slack:home:${identity}`,
};
