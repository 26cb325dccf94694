/**
 * The demo accounts of the Parley auth server. They have no passwords: a person proves nothing, they
 * simply pick who to be. The ids are the `sub` of every token, so the MCP server can key data on them.
 */

/** One demo account. */
export interface DemoUser {
  /** The `sub` claim and the value of `AUTH_AUTO_APPROVE`. */
  id: string;
  name: string;
  email: string;
}

/** The accounts the sign-in page offers, in display order. */
export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'alice', name: 'Alice Anders', email: 'alice@example.test' },
  { id: 'bob', name: 'Bob Brandt', email: 'bob@example.test' },
  { id: 'carol', name: 'Carol Chen', email: 'carol@example.test' },
];

/** Finds a demo account by id; `undefined` for anything else. */
export function findDemoUser(id: string | undefined): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.id === id);
}

/** The scopes this server grants for an MCP resource, in display order, with consent wording. */
export const DEMO_SCOPES: ReadonlyMap<string, string> = new Map([
  ['tickets:read', 'See your support tickets'],
  ['tickets:write', 'Create and change your support tickets'],
  ['calendar', 'Use your calendar'],
]);
