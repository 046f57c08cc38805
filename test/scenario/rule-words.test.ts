/** Fault rules in words (describeRule: `scenario explain`, the admin API, the dashboard): ordinals and plurals read right. */
import { describe, expect, it } from 'vitest';
import { describeRule, ordinal, plural } from '../../src/faults/rules.js';
import { schemas } from '../../src/scenario/schema.js';

const words = (times: unknown) => describeRule(schemas().ruleSchema.parse({ when: { endpoint: 'token' }, then: { error: 50126 }, times }));

describe('describeRule', () => {
  it.each([
    [{ every: 2 }, 'every 2nd time'],
    [{ every: 3 }, 'every 3rd time'],
    [{ every: 4 }, 'every 4th time'],
    [{ every: 11 }, 'every 11th time'],
    [{ every: 12 }, 'every 12th time'],
    [{ every: 21 }, 'every 21st time'],
    [{ every: 22 }, 'every 22nd time'],
    [{ every: 113 }, 'every 113th time'],
    [{ every: 1 }, 'every time'],
    [{ first: 1 }, 'the first time only'],
    [{ first: 3 }, 'the first 3 times only'],
    [{ after: 1 }, 'after the first time'],
    [{ after: 2 }, 'after the first 2 times'],
    [{ after: 0 }, 'every time'],
    ['always', 'every time'],
  ])('%j reads "%s"', (times, text) => {
    expect(words(times)).toBe(`token requests: fail with AADSTS50126, ${text}.`);
  });
});

describe('ordinal and plural', () => {
  it('say 1st 2nd 3rd 4th, 11th 12th 13th, 101st, and 1 group, 2 groups, 2 entries, 2 switches', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 101, 111, 1002].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '101st', '111th', '1002nd']);
    expect([plural(1, 'group'), plural(2, 'group'), plural(0, 'app'), plural(2, 'entry'), plural(2, 'switch'), plural(1, 'identity'), plural(2, 'key')]).toEqual(['1 group', '2 groups', '0 apps', '2 entries', '2 switches', '1 identity', '2 keys']);
  });
});
