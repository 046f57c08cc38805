/**
 * One instance of a server whose store is shared (Redis): the scenario, the fault control state
 * (run-time rules, switches, counters' epoch) and the logs are the store's, and every instance
 * follows them. A change made on one instance is written to the store, then told to the others
 * (pub/sub), which apply it before they acknowledge it: a scenario switch builds the new world
 * beside the old and swaps it, so each request sees the old world or the new one, never a mixture.
 * An instance that missed messages (the store was lost) catches up when it is back, and puts the
 * scenario back when the store came back empty.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FaultSync } from '../faults/state.js';
import { type Rule, type Scenario, schemas } from '../scenario/schema.js';
import type { ControlChange, SharedChannel, SharedSignIn, StoredScenario } from '../store/types.js';
import type { RequestRecord } from './log.js';
import type { LoggedSignIn } from './signins.js';
import type { World } from './world.js';

/** What the replica needs of its server (app.ts). */
export interface ReplicaHost {
  world(): World;
  /** Swaps to the scenario the store holds (another instance switched): in the server's switch order. */
  adopt(stored: StoredScenario): Promise<void>;
  mirrorRequest(r: RequestRecord): void;
  mirrorSignIn(e: SharedSignIn): void;
  clearMirrors(): void;
}

/** Caps of the shared logs, as the instance's own: 500 requests; sign-ins with their pending starts. */
const REQUEST_LOG_CAP = 500;
const SIGN_IN_LOG_CAP = 2000;
/** How often a running instance keeps the shared state from expiring (it lives 30 days). */
const TOUCH_EVERY_MS = 60 * 60 * 1000;

export const scenarioDigest = (s: Scenario): string => createHash('sha256').update(JSON.stringify(s)).digest('hex');

/** A new generation of a scenario, as the store keeps it. */
export function storedScenario(scenario: Scenario, source: string): StoredScenario {
  return { generation: randomUUID(), source, scenario, ruleIds: scenario.rules.map(() => randomUUID()) };
}

/**
 * At start: the scenario the instances run. The first instance of a server (no other one runs)
 * starts it afresh, as a single mock's restart does: its scenario, no run-time rules, empty logs
 * (what an earlier run left in Redis is not picked up). An instance started with the scenario the
 * running ones were started with joins them (the scenario in force may have been switched since);
 * one started with another scenario (a new deployment) switches them all to it.
 */
export async function bootScenario(shared: SharedChannel, scenario: Scenario, source: string): Promise<{ stored: StoredScenario; announce: boolean }> {
  const digest = scenarioDigest(scenario);
  if ((await shared.peers()) === 0) {
    const fresh = storedScenario(scenario, source);
    await shared.saveScenario(fresh);
    await Promise.all([shared.setBootDigest(digest), shared.clearLogs()]);
    // Another instance may have come up meanwhile: it follows this one.
    return { stored: fresh, announce: true };
  }
  const [current, boot] = await Promise.all([shared.loadScenario(), shared.bootDigest()]);
  if (current && boot === digest) return { stored: current, announce: false };
  const mine = storedScenario(scenario, source);
  if (!current) {
    // Several first instances at once: the first to write wins, the others join it (and any running one follows it).
    const written = await shared.saveScenario(mine, { ifAbsent: true });
    await shared.setBootDigest(digest);
    if (!written) return { stored: (await shared.loadScenario()) ?? mine, announce: false };
    return { stored: mine, announce: true };
  }
  await shared.saveScenario(mine);
  await shared.setBootDigest(digest);
  return { stored: mine, announce: true };
}

export class Replica {
  /** Refreshes the time to live of the long-lived state while the server runs. */
  private readonly toucher: NodeJS.Timeout;
  /** Local changes go out one at a time, in the order they were made. */
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  /** Another instance changed the control state while this one's own changes were still going out. */
  private reloadAfter = false;

  constructor(
    private readonly shared: SharedChannel,
    private readonly host: ReplicaHost,
    private readonly digest: string,
  ) {
    shared.onMessage((m) => this.receive(m));
    shared.onReconnect(() => this.catchUp());
    this.toucher = setInterval(() => void shared.touch(host.world().generation).catch(() => undefined), TOUCH_EVERY_MS);
    this.toucher.unref();
  }

  stop(): void {
    clearInterval(this.toucher);
  }

  /** The fault layer of a world of generation `generation`: changes are shared, counters are the store's. */
  faultSync(generation: string): FaultSync {
    return {
      changed: (change) => this.send(generation, change),
      counters: this.shared.counters(generation),
      parse: (rule) => {
        const r = schemas().ruleSchema.safeParse(rule);
        return r.success ? (r.data as Rule) : undefined;
      },
    };
  }

  /** Resolves once this instance's changes were shared (and the others applied them). */
  settled(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private send(generation: string, change: ControlChange): void {
    this.pending++;
    const run = this.queue.then(async () => {
      await this.shared.writeControl(generation, change);
      await this.shared.broadcast({ kind: 'control', generation }, { acknowledged: true });
    });
    // A change that could not be shared (the store is lost) stays local; catchUp() reconciles.
    this.queue = run.catch(() => undefined).then(async () => {
      if (--this.pending === 0 && this.reloadAfter) {
        this.reloadAfter = false;
        await this.reloadControl().catch(() => undefined);
      }
    });
  }

  /** A scenario this instance switched to: stored first (the caller then builds its world), announced after. */
  async store(stored: StoredScenario): Promise<void> {
    await this.shared.saveScenario(stored);
  }

  announce(generation: string): Promise<void> {
    return this.shared.broadcast({ kind: 'scenario', generation }, { acknowledged: true });
  }

  logRequest(r: RequestRecord): void {
    this.shared.appendLog('request', r, REQUEST_LOG_CAP);
  }

  /** The other instances get the record built (they hold it as it is). */
  logSignIn(e: LoggedSignIn): void {
    this.shared.appendLog('signin', { record: e.record, tag: e.tag } satisfies SharedSignIn, SIGN_IN_LOG_CAP);
  }

  async clearLogs(): Promise<void> {
    await this.shared.clearLogs();
    await this.shared.broadcast({ kind: 'clear' });
  }

  /** The logs as the store keeps them, into this instance's view (at start). */
  async seedLogs(): Promise<void> {
    const [requests, signIns] = await Promise.all([this.shared.readLog('request'), this.shared.readLog('signin')]);
    for (const r of requests) this.host.mirrorRequest(r as RequestRecord);
    for (const e of signIns) this.host.mirrorSignIn(e as SharedSignIn);
  }

  private async reloadControl(): Promise<void> {
    const world = this.host.world();
    world.faults.apply(await this.shared.loadControl(world.generation, world.generation));
  }

  private async receive(m: import('../store/types.js').SharedMessage): Promise<void> {
    if (m.kind === 'log') {
      if (m.log === 'request') this.host.mirrorRequest(m.entry as RequestRecord);
      else this.host.mirrorSignIn(m.entry as SharedSignIn);
    } else if (m.kind === 'clear') {
      this.host.clearMirrors();
    } else if (m.kind === 'control') {
      if (m.generation !== this.host.world().generation) return;
      if (this.pending > 0) this.reloadAfter = true;
      else await this.reloadControl();
    } else {
      const stored = await this.shared.loadScenario();
      if (stored && stored.generation !== this.host.world().generation) await this.host.adopt(stored);
    }
  }

  /** The store is back: follow what changed meanwhile, or put the scenario and fault state back on an empty one. */
  private async catchUp(): Promise<void> {
    const world = this.host.world();
    const stored = await this.shared.loadScenario();
    if (stored) {
      if (stored.generation !== world.generation) await this.host.adopt(stored);
      else await this.reloadControl();
      return;
    }
    const mine: StoredScenario = { generation: world.generation, source: world.source, scenario: world.scenario, ruleIds: world.faults.rules.filter((r) => r.source === 'scenario').map((r) => r.id) };
    if (!(await this.shared.saveScenario(mine, { ifAbsent: true }))) return this.catchUp();
    await this.shared.setBootDigest(this.digest);
    const faults = world.faults;
    if (faults.epoch !== world.generation) await this.shared.writeControl(world.generation, { kind: 'reset', epoch: faults.epoch });
    for (const r of faults.rules.filter((x) => x.source === 'runtime')) await this.shared.writeControl(world.generation, { kind: 'use', rule: { id: r.id, rule: r.rule, at: r.at ?? Date.now() } });
    for (const [name, on] of faults.switches) if (faults.initial[name] !== on) await this.shared.writeControl(world.generation, { kind: 'flip', name, on });
    await this.shared.broadcast({ kind: 'scenario', generation: world.generation });
  }
}
