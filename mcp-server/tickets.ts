/**
 * The demo server's ticket port. Tickets belong to a caller (see `identity.ts`), so one user's
 * `list_my_tickets` never shows another's. Only an in-memory store exists: the demo server keeps
 * its own state and shares nothing with the bot. The interface is async so a durable store could
 * replace the memory one without touching the tools.
 */

export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export const TICKET_CATEGORIES = ['bug', 'feature', 'question', 'other'] as const;
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];

/** What a tool hands the store; the store adds the id, owner and creation time. */
export interface NewTicket {
  description: string;
  reporter?: string;
  priority?: TicketPriority;
  category?: TicketCategory;
  /** ISO date (YYYY-MM-DD). */
  dueDate?: string;
}

export interface Ticket extends NewTicket {
  /** Like `T-1001`; unique within one store. */
  id: string;
  owner: string;
  createdAt: string;
}

export interface TicketStore {
  create(owner: string, ticket: NewTicket): Promise<Ticket>;
  /** The owner's tickets, oldest first. */
  list(owner: string): Promise<Ticket[]>;
  get(owner: string, id: string): Promise<Ticket | undefined>;
  /** Returns false when the owner has no ticket with that id. */
  delete(owner: string, id: string): Promise<boolean>;
}

/** Keeps tickets in process memory; ids count up from `T-1001`. */
export class InMemoryTicketStore implements TicketStore {
  private readonly byOwner = new Map<string, Map<string, Ticket>>();
  private next = 1001;

  constructor(private readonly now: () => Date = () => new Date()) {}

  async create(owner: string, ticket: NewTicket): Promise<Ticket> {
    const created: Ticket = {
      ...ticket,
      id: `T-${this.next++}`,
      owner,
      createdAt: this.now().toISOString(),
    };
    let mine = this.byOwner.get(owner);
    if (!mine) {
      mine = new Map();
      this.byOwner.set(owner, mine);
    }
    mine.set(created.id, created);
    return { ...created };
  }

  async list(owner: string): Promise<Ticket[]> {
    return [...(this.byOwner.get(owner)?.values() ?? [])].map((t) => ({ ...t }));
  }

  async get(owner: string, id: string): Promise<Ticket | undefined> {
    const found = this.byOwner.get(owner)?.get(id);
    return found ? { ...found } : undefined;
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return this.byOwner.get(owner)?.delete(id) ?? false;
  }
}

/** One line per ticket, shared by the tools that print tickets. */
export function formatTicket(t: Ticket): string {
  const parts = [`${t.id}: ${t.description}`];
  if (t.priority) parts.push(`priority ${t.priority}`);
  if (t.category) parts.push(`category ${t.category}`);
  if (t.reporter) parts.push(`reported by ${t.reporter}`);
  if (t.dueDate) parts.push(`due ${t.dueDate}`);
  return parts.join(' · ');
}
