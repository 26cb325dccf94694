import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The production runtime-layout test installs from the registry (about a minute of CPU and
    // disk that slows every test beside it): `npm run test:runtime`, and CI's Node 24 step.
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.PARLEY_RUNTIME_TEST === '1' ? [] : ['test/deploy/runtime-layout.test.ts']),
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    // expect.poll's own default is 1 s: too short for real processes, Redis and HTTP on a loaded
    // two-core machine. A poll that passes returns as soon as it does, so this costs nothing then.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 30_000,
    pool: 'forks',
    // Tests start real servers on port 0; two cores are plenty for a few files at once.
    maxWorkers: 2,
  },
});
