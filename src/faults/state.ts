/** The fault layer's state: the rules in force (run-time ones first), their counters, and the named switches. */
import { randomUUID } from 'node:crypto';
import type { Rule } from '../scenario/schema.js';
import { type RequestFacts, fires, matches } from './rules.js';

export interface ActiveRule {
  id: string;
  rule: Rule;
  source: 'scenario' | 'runtime';
  /** Requests matched so far. */
  matched: number;
  /** Times it fired. */
  fired: number;
}

export interface Fired {
  id: string;
  rule: Rule;
}

export class FaultState {
  private runtime: ActiveRule[] = [];
  private scenario: ActiveRule[] = [];
  readonly switches = new Map<string, boolean>();
  private initialSwitches: Record<string, boolean> = {};

  constructor(rules: Rule[], switches: Record<string, boolean>) {
    this.load(rules, switches);
  }

  /** A new scenario: its rules and switches replace the old; run-time rules are dropped too. */
  load(rules: Rule[], switches: Record<string, boolean>): void {
    this.scenario = rules.map((rule) => ({ id: randomUUID(), rule, source: 'scenario', matched: 0, fired: 0 }));
    this.runtime = [];
    this.initialSwitches = { ...switches };
    this.switches.clear();
    for (const [k, v] of Object.entries(switches)) this.switches.set(k, v);
  }

  /** Adds a run-time rule ahead of the others (msw's `use`); returns its id. */
  use(rule: Rule): string {
    const id = randomUUID();
    this.runtime.unshift({ id, rule, source: 'runtime', matched: 0, fired: 0 });
    return id;
  }

  remove(id: string): boolean {
    const before = this.runtime.length;
    this.runtime = this.runtime.filter((r) => r.id !== id);
    return this.runtime.length < before;
  }

  /** Counters to zero, switches to their initial state, run-time rules removed. */
  reset(): void {
    this.runtime = [];
    for (const r of this.scenario) {
      r.matched = 0;
      r.fired = 0;
    }
    this.switches.clear();
    for (const [k, v] of Object.entries(this.initialSwitches)) this.switches.set(k, v);
  }

  flip(name: string, on: boolean): boolean {
    if (!this.switches.has(name)) return false;
    this.switches.set(name, on);
    return true;
  }

  get rules(): readonly ActiveRule[] {
    return [...this.runtime, ...this.scenario];
  }

  /**
   * First rule that matches and fires wins; every matching rule counts the request.
   * `userRulesOnly`: only rules scoped to a user (tx.identify(), once the user is known).
   */
  evaluate(facts: RequestFacts, opts: { userRulesOnly?: boolean } = {}): Fired | undefined {
    for (const r of this.rules) {
      if (opts.userRulesOnly && r.rule.when.user === undefined) continue;
      if (!matches(r.rule, facts)) continue;
      r.matched++;
      if (fires(r.rule.times, r.matched, this.switches)) {
        r.fired++;
        return { id: r.id, rule: r.rule };
      }
    }
    return undefined;
  }
}
