/**
 * The tool-name codec: every name the MCP spec allows maps to a model-legal name and back to
 * exactly the same (server, tool), with no two tools sharing a model name.
 */
import { describe, expect, it } from 'vitest';
import { llmName, splitQualified, ToolNameTable, type ToolRef } from '../../src/tools/names.js';

const LEGAL = /^[a-zA-Z0-9_-]{1,64}$/;

const shapes: ToolRef[] = [
  { server: 'demo', tool: 'echo' },
  { server: 'srv', tool: 'calendar.read' },
  { server: 'srv', tool: 'calendar_read' },
  { server: 'srv', tool: 'files/list' },
  { server: 'srv', tool: 'files_list' },
  { server: 'srv', tool: 'créer_ticket' },
  { server: 'srv', tool: '日本語のツール' },
  { server: 'srv', tool: 'tool with spaces' },
  { server: 'srv', tool: 'x'.repeat(120) },
  { server: 'srv', tool: `${'x'.repeat(120)}y` },
  { server: 'other', tool: 'calendar.read' },
  { server: 'a__b', tool: 'c' },
  { server: 'a', tool: 'b__c' },
];

describe('tool names for the model', () => {
  it('keeps names that are already legal as they are', () => {
    expect(llmName({ server: 'demo', tool: 'create_ticket' })).toBe('demo__create_ticket');
  });

  it('maps every shape to a legal, unique name and back to the same tool', () => {
    const table = new ToolNameTable(shapes);
    const names = shapes.map((ref) => table.encode(ref) as string);
    for (const name of names) expect(name).toMatch(LEGAL);
    expect(new Set(names).size).toBe(shapes.length);
    for (const [i, ref] of shapes.entries()) expect(table.decode(names[i] as string)).toEqual(ref);
  });

  it('the reported case: calendar.read is offered under a name that leads back to calendar.read', () => {
    const table = new ToolNameTable([{ server: 'srv', tool: 'calendar.read' }]);
    const name = table.encode({ server: 'srv', tool: 'calendar.read' }) as string;
    expect(name).toMatch(/^srv__calendar_read_[0-9a-f]{8}$/);
    expect(table.decode(name)).toEqual({ server: 'srv', tool: 'calendar.read' });
    expect(table.decode('srv__calendar_read')).toBeUndefined();
  });

  it('settles a collision between a plain name and another tool’s hashed name', () => {
    const odd: ToolRef = { server: 'srv', tool: 'a.b' };
    const squatter: ToolRef = { server: 'srv', tool: llmName(odd).slice('srv__'.length) };
    expect(llmName(squatter)).toBe(llmName(odd));
    const table = new ToolNameTable([odd, squatter]);
    const [a, b] = [table.encode(odd), table.encode(squatter)];
    expect(a).not.toBe(b);
    expect(table.decode(a as string)).toEqual(odd);
    expect(table.decode(b as string)).toEqual(squatter);
  });

  it('is the same table in every process (deterministic, whatever the listing order)', () => {
    const one = new ToolNameTable(shapes);
    const two = new ToolNameTable([...shapes].reverse());
    for (const ref of shapes) expect(two.encode(ref)).toBe(one.encode(ref));
  });
});

describe('names a person types', () => {
  it('splits server__tool against the configured servers, the longest server first', () => {
    expect(splitQualified('srv__calendar.read', ['srv'])).toEqual({ server: 'srv', tool: 'calendar.read' });
    expect(splitQualified('a__b__c', ['a', 'a__b'])).toEqual({ server: 'a__b', tool: 'c' });
    expect(splitQualified('nope__x', ['srv'])).toBeUndefined();
    expect(splitQualified('srv__', ['srv'])).toBeUndefined();
  });
});
