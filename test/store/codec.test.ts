/** What the Redis store keeps of a scenario is the scenario: every shipped one survives the store's JSON as it was (Dates included). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/index.js';
import { fromStoreJson, toStoreJson } from '../../src/store/redis.js';

const SCENARIOS = 'scenarios';

describe('the store keeps a scenario as it was', () => {
  for (const file of readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'))) {
    it(file, async () => {
      const scenario = await loadScenarioFile(join(SCENARIOS, file));
      expect(fromStoreJson(toStoreJson({ scenario }))).toStrictEqual({ scenario });
    });
  }

  it('plain JSON would not (the reason for the codec): a Date comes back a string', async () => {
    const scenario = await loadScenarioFile(join(SCENARIOS, 'expired-client-secret.yaml'));
    expect(JSON.parse(JSON.stringify(scenario))).not.toStrictEqual(scenario);
  });
});
