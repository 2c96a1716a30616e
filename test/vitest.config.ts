import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // two test files at a time on the 2-core CI machine (vitest's default there is one): many files wait on
    // child processes, browsers, PostgreSQL and sockets; measured: the suite's wall time ≈ 0.55× of one worker's
    maxWorkers: 2,
  },
});
