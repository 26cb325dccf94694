/**
 * Engine and library error text never reaches a person, and tool arguments are bounded before
 * anything walks them. The case that found it: `/call` with arguments nested 10,000 levels deep,
 * which overflowed the MCP SDK transport's JSON.stringify and showed the person "Maximum call
 * stack size exceeded" (src/tools/calls.ts `personReason` passed any short message through).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { MAX_ARGUMENT_DEPTH, nestingOf, parseArguments } from '../../src/tools/arguments.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { conv } from '../helpers/surface.js';

let demo: DemoMcp;
let rig: CoreRig;
beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
  rig = await startCoreRig('engine-errors', [demoServerConfig(demo.url)]);
});
afterAll(async () => {
  await rig?.close();
  await demo?.close();
});

const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('deeply nested /call arguments', () => {
  it('never show the JavaScript engine’s error text', async () => {
    await rig.agent.message(conv('deep'), `/call demo__echo {"message":"hi","k":${nested(10_000)}}`);
    const said = rig.surface.texts('deep').join('\n');
    expect(said).toMatch(/⚠️|nested too deeply/);
    expect(said).not.toMatch(/Maximum call stack size exceeded|RangeError/);
  });

  it('are refused up front with a sentence that says why', async () => {
    await rig.agent.message(conv('deep2'), `/call demo__echo {"message":"hi","k":${nested(10_000)}}`);
    expect(rig.surface.texts('deep2').join('\n')).toMatch(
      new RegExp(`nested too deeply \\(over ${MAX_ARGUMENT_DEPTH} levels\\)`),
    );
  });

  it('within the bound, the call runs', async () => {
    // The outer object is one level: the deepest accepted value sits at MAX_ARGUMENT_DEPTH.
    await rig.agent.message(
      conv('ok'),
      `/call demo__echo {"message":"fine","k":${nested(MAX_ARGUMENT_DEPTH - 1)}}`,
    );
    expect(rig.surface.texts('ok').join('\n')).toMatch(/fine/);
  });
});

describe('parseArguments', () => {
  it('counts nesting outside strings only, escapes included', () => {
    expect(nestingOf('{"a":"{{{[[[\\"{{{"}')).toBe(1);
    expect(nestingOf('[[{}]]')).toBe(3);
  });

  it('refuses text over the size bound, and non-objects, with sentences', () => {
    const huge = parseArguments('t', `{"a":"${'x'.repeat(1_000_001)}"}`);
    expect(huge).toMatchObject({ ok: false, sentence: expect.stringMatching(/too long/) });
    expect(parseArguments('t', '[1]')).toMatchObject({
      ok: false,
      sentence: expect.stringMatching(/JSON object/),
    });
    expect(parseArguments('t', '')).toEqual({ ok: true, args: {} });
  });
});
