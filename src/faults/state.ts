/**
 * The fault layer's state: the rules in force (run-time ones first), their counters, and the named
 * switches. On a shared store (several instances), changes made here are handed to `sync`, which
 * shares them (store/ and server/replica.ts), and the counters are the store's, atomic across the
 * instances: a rule that fires once fires once in total.
 */
import { randomUUID } from 'node:crypto';
import type { Rule } from '../scenario/schema.js';
import type { ControlChange, ControlSnapshot, SharedCounters } from '../store/types.js';
import { type RequestFacts, fires, matches } from './rules.js';

export interface ActiveRule {
  id: string;
  rule: Rule;
  source: 'scenario' | 'runtime';
  /** Requests matched so far (on a shared store: as last counted by this instance). */
  matched: number;
  /** Times it fired. */
  fired: number;
  /** When a run-time rule was added (they are ordered newest first). */
  at?: number;
}

export interface Fired {
  id: string;
  rule: Rule;
}

/** How a FaultState shares itself: its changes go out, its counters are the store's. */
export interface FaultSync {
  changed(change: ControlChange): void;
  counters: SharedCounters;
  /** Turns a shared rule (JSON) back into a rule; undefined for one this instance cannot read. */
  parse(rule: unknown): Rule | undefined;
}

export interface FaultOptions {
  /** The scenario rules' IDs (the same on every instance of a shared store); default: new ones. */
  ids?: string[];
  sync?: FaultSync;
}

export class FaultState {
  private runtime: ActiveRule[] = [];
  private scenario: ActiveRule[] = [];
  readonly switches = new Map<string, boolean>();
  private initialSwitches: Record<string, boolean> = {};
  private readonly sync?: FaultSync;
  /** Counters start again at each reset: on a shared store they are kept per epoch. */
  epoch: string = randomUUID();

  constructor(rules: Rule[], switches: Record<string, boolean>, o: FaultOptions = {}) {
    this.sync = o.sync;
    this.load(rules, switches, o.ids);
  }

  /** A new scenario: its rules and switches replace the old; run-time rules are dropped too. */
  load(rules: Rule[], switches: Record<string, boolean>, ids?: string[]): void {
    this.scenario = rules.map((rule, i) => ({ id: ids?.[i] ?? randomUUID(), rule, source: 'scenario', matched: 0, fired: 0 }));
    this.runtime = [];
    this.initialSwitches = { ...switches };
    this.setSwitches(switches);
  }

  private setSwitches(values: Readonly<Record<string, boolean>>): void {
    this.switches.clear();
    for (const [k, v] of Object.entries(values)) this.switches.set(k, v);
  }

  /** The scenario's switches as it sets them. */
  get initial(): Readonly<Record<string, boolean>> {
    return this.initialSwitches;
  }

  /** Adds a run-time rule ahead of the others (msw's `use`); returns its id. */
  use(rule: Rule): string {
    const id = randomUUID();
    const at = Date.now();
    this.runtime.unshift({ id, rule, source: 'runtime', matched: 0, fired: 0, at });
    this.sync?.changed({ kind: 'use', rule: { id, rule, at } });
    return id;
  }

  remove(id: string): boolean {
    const before = this.runtime.length;
    this.runtime = this.runtime.filter((r) => r.id !== id);
    const removed = this.runtime.length < before;
    if (removed) this.sync?.changed({ kind: 'remove', id });
    return removed;
  }

  /** Counters to zero, switches to their initial state, run-time rules removed. */
  reset(): void {
    this.runtime = [];
    for (const r of this.scenario) {
      r.matched = 0;
      r.fired = 0;
    }
    this.setSwitches(this.initialSwitches);
    if (this.sync) {
      this.epoch = randomUUID();
      this.sync.changed({ kind: 'reset', epoch: this.epoch });
    }
  }

  flip(name: string, on: boolean): boolean {
    if (!this.switches.has(name)) return false;
    this.switches.set(name, on);
    this.sync?.changed({ kind: 'flip', name, on });
    return true;
  }

  /** The shared state as the store holds it (another instance changed it, or this one catches up). */
  apply(s: ControlSnapshot): void {
    const known = new Map(this.runtime.map((r) => [r.id, r]));
    const rules: ActiveRule[] = [];
    for (const shared of [...s.rules].sort((a, b) => b.at - a.at)) {
      const rule = known.get(shared.id)?.rule ?? this.sync?.parse(shared.rule);
      if (rule) rules.push({ id: shared.id, rule, source: 'runtime', matched: known.get(shared.id)?.matched ?? 0, fired: known.get(shared.id)?.fired ?? 0, at: shared.at });
    }
    this.runtime = rules;
    if (s.epoch !== this.epoch) {
      for (const r of this.scenario) {
        r.matched = 0;
        r.fired = 0;
      }
      this.epoch = s.epoch;
    }
    // Only the switches this scenario has: another instance may still run an older one.
    this.setSwitches(Object.fromEntries(Object.keys(this.initialSwitches).map((k) => [k, s.switches[k] ?? this.initialSwitches[k]!])));
  }

  /** No rule at all, the scenario's or run-time: the gate has nothing to ask. */
  get none(): boolean {
    return this.runtime.length === 0 && this.scenario.length === 0;
  }

  get rules(): readonly ActiveRule[] {
    return [...this.runtime, ...this.scenario];
  }

  /** The counts as the store has them now (on a shared store; in memory they are always current). */
  async refreshCounts(): Promise<void> {
    if (!this.sync) return;
    const rules = this.rules;
    const counts = await this.sync.counters.read(this.epoch, rules.map((r) => r.id));
    for (const r of rules) {
      const c = counts.get(r.id);
      r.matched = c?.matched ?? 0;
      r.fired = c?.fired ?? 0;
    }
  }

  /**
   * First rule that matches and fires wins; every matching rule counts the request.
   * `userRulesOnly`: only rules scoped to a user (tx.identify(), once the user is known).
   * Synchronous unless a rule matched on a shared store (its count is the store's).
   */
  evaluate(facts: RequestFacts, opts: { userRulesOnly?: boolean } = {}): Fired | undefined | Promise<Fired | undefined> {
    const wanted = (r: ActiveRule) => !(opts.userRulesOnly && r.rule.when.user === undefined) && matches(r.rule, facts);
    if (this.sync) {
      const matching = this.rules.filter(wanted);
      return matching.length === 0 ? undefined : this.countShared(matching);
    }
    // In memory: counted as matched, in order, up to the first that fires (the rules after it are not asked).
    return this.countLocal(this.runtime, wanted) ?? this.countLocal(this.scenario, wanted);
  }

  private countLocal(rules: ActiveRule[], wanted: (r: ActiveRule) => boolean): Fired | undefined {
    for (const r of rules) {
      if (!wanted(r)) continue;
      r.matched++;
      if (fires(r.rule.times, r.matched, this.switches)) {
        r.fired++;
        return { id: r.id, rule: r.rule };
      }
    }
    return undefined;
  }

  private async countShared(matching: ActiveRule[]): Promise<Fired | undefined> {
    const { counters } = this.sync!;
    const epoch = this.epoch;
    for (const r of matching) {
      const count = await counters.match(epoch, r.id);
      r.matched = Math.max(r.matched, count);
      if (fires(r.rule.times, count, this.switches)) {
        r.fired++;
        await counters.fire(epoch, r.id);
        return { id: r.id, rule: r.rule };
      }
    }
    return undefined;
  }
}
