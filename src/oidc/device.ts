/**
 * Device code flow as Entra runs it (reference §8): /devicecode hands out a user code, a person
 * enters it at the verification page and signs in, and the client polls /token meanwhile.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { App, Tenant, User } from '../directory/model.js';
import { EntraError } from '../entra/errors.js';
import type { Table } from '../store/types.js';

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  tenantId: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  interval: number;
  status: 'pending' | 'approved' | 'declined' | 'failed' | 'redeemed';
  userId?: string;
  /** Why the sign-in at /devicelogin failed: the device's next poll gets the same error. */
  error?: EntraError;
  lastPoll?: number;
}

/** Entra's user codes: nine capital letters and digits, like FRWQDE7YL. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const newUserCode = () => Array.from({ length: 9 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

/** Kept a minute past its expiry, so a late poll is told it expired (70020) rather than that it never was. */
const GRACE_MS = 60_000;

/**
 * The device codes of a server, in its store (shared by the instances of one): every change is one
 * atomic step, so a code is approved once and redeemed once, whichever instance is asked.
 */
export class DeviceCodes {
  constructor(
    private readonly codes: Table<DeviceCode>,
    /** user code -> device code */
    private readonly users: Table<string>,
  ) {}

  async create(tenant: Tenant, app: App, scope: string, o: { expiresIn: number; interval: number }): Promise<DeviceCode> {
    const code: DeviceCode = {
      deviceCode: `DAQABIQEAAAB${randomBytes(96).toString('base64url')}`,
      userCode: newUserCode(),
      tenantId: tenant.id,
      clientId: app.clientId,
      scope,
      expiresAt: Date.now() + o.expiresIn * 1000,
      interval: o.interval,
      status: 'pending',
    };
    const ttl = o.expiresIn * 1000 + GRACE_MS;
    await Promise.all([this.codes.set(code.deviceCode, code, ttl), this.users.set(code.userCode, code.deviceCode, ttl)]);
    return code;
  }

  async byUserCode(userCode: string): Promise<DeviceCode | undefined> {
    const deviceCode = await this.users.get(userCode.replace(/[\s-]/g, '').toUpperCase());
    const c = deviceCode === undefined ? undefined : await this.codes.get(deviceCode);
    return c && c.expiresAt > Date.now() && c.status === 'pending' ? c : undefined;
  }

  /** A pending code moves on; the code as it is now (undefined: it was not pending any more). */
  private settle(code: DeviceCode, next: Partial<DeviceCode>): Promise<DeviceCode | undefined> {
    return this.codes.update(code.deviceCode, (c) => {
      if (!c || c.status !== 'pending') return { result: undefined };
      const value = { ...c, ...next };
      return { value, result: value };
    });
  }

  approve(code: DeviceCode, user: User): Promise<DeviceCode | undefined> {
    return this.settle(code, { status: 'approved', userId: user.id });
  }

  decline(code: DeviceCode): Promise<DeviceCode | undefined> {
    return this.settle(code, { status: 'declined' });
  }

  fail(code: DeviceCode, error: EntraError): Promise<DeviceCode | undefined> {
    return this.settle(code, { status: 'failed', error });
  }

  /** One poll of the token endpoint: the approved code (used up), or the error Entra answers now. */
  async poll(deviceCode: string, clientId: string): Promise<DeviceCode> {
    const now = Date.now();
    const outcome = await this.codes.update<DeviceCode | EntraError>(deviceCode, (c) => {
      if (!c || c.clientId !== clientId || c.status === 'redeemed') return { result: new EntraError(9002313, { error: 'invalid_grant' }) };
      if (c.expiresAt <= now) return { result: new EntraError(70020) };
      if (c.status === 'declined') return { result: new EntraError(65004) };
      if (c.status === 'failed' && c.error) return { value: { ...c, status: 'redeemed' }, result: c.error };
      const tooSoon = c.lastPoll !== undefined && now - c.lastPoll < (c.interval * 1000) / 2;
      if (c.status === 'pending') {
        // (unverified) Entra rarely sends slow_down; the RFC's answer for polling faster than the interval.
        return { value: { ...c, lastPoll: now }, result: tooSoon ? new EntraError(70016, { error: 'slow_down' }) : new EntraError(70016) };
      }
      const redeemed: DeviceCode = { ...c, lastPoll: now, status: 'redeemed' };
      return { value: redeemed, result: redeemed };
    });
    if (outcome instanceof EntraError) throw outcome;
    return outcome;
  }
}
