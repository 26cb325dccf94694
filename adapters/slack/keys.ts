/**
 * Every store key the Slack adapter writes, in one place so no two of its jobs collide: per
 * interaction the message that offered it (and a click's response_url to rewrite it with, kept
 * apart: see MessageRefs.rememberResponseUrl), per session the "working" placeholder and the last
 * command's response_url, the once-only marks of deliveries Slack may repeat, and who opened their
 * App Home lately.
 */
import { type Conversation, sessionKey } from '../../src/conversation.js';

export const keys = {
  ref: (id: string) => `slack:msg:${id}`,
  /** The response_url of the latest click on an interaction's ephemeral message. */
  refUrl: (id: string) => `slack:msg:${id}:url`,
  placeholder: (c: Conversation) => `slack:ph:${sessionKey(c)}`,
  responseUrl: (c: Conversation) => `slack:resp:${sessionKey(c)}`,
  seen: (id: string) => `slack:seen:${id}`,
  submitted: (id: string, user: string) => `slack:submitted:${id}:${encodeURIComponent(user)}`,
  /** The person opened the App Home lately (home.ts keeps it current for them). */
  home: (identity: string) => `slack:home:${identity}`,
};
