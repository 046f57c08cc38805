import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Makes the keys the tests share once per run (the local CA among them) and exports
    // NODE_EXTRA_CA_CERTS before the test workers start, exactly as a user trusts mock-entra's CA.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Forks, not threads: NODE_EXTRA_CA_CERTS is read when a process starts, so only a worker
    // process started after globalSetup trusts the CA.
    pool: 'forks',
    // Workers are reused across files with their module cache: loading the server's modules once
    // per worker instead of once per file more than halves the run. Files share no global state
    // (each starts its own servers and restores what it patches), so nothing carries over.
    isolate: false,
    // Vitest's default is one worker fewer than the CPUs (one, on two cores); most files mostly wait
    // on servers, child processes and key generation, so each core gets a worker.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
