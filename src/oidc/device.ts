/**
 * Device code flow as Entra runs it (reference §8): /devicecode hands out a user code, a person
 * enters it at the verification page and signs in, and the client polls /token meanwhile.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { App, Tenant, User } from '../directory/model.js';
import { EntraError } from '../entra/errors.js';

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

export class DeviceCodes {
  private readonly byDevice = new Map<string, DeviceCode>();
  private readonly byUser = new Map<string, DeviceCode>();

  create(tenant: Tenant, app: App, scope: string, o: { expiresIn: number; interval: number }): DeviceCode {
    this.sweep();
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
    this.byDevice.set(code.deviceCode, code);
    this.byUser.set(code.userCode, code);
    return code;
  }

  byUserCode(userCode: string): DeviceCode | undefined {
    const c = this.byUser.get(userCode.replace(/[\s-]/g, '').toUpperCase());
    return c && c.expiresAt > Date.now() && c.status === 'pending' ? c : undefined;
  }

  approve(code: DeviceCode, user: User): void {
    code.status = 'approved';
    code.userId = user.id;
  }

  decline(code: DeviceCode): void {
    code.status = 'declined';
  }

  fail(code: DeviceCode, error: EntraError): void {
    code.status = 'failed';
    code.error = error;
  }

  /** One poll of the token endpoint: the approved code (used up), or the error Entra answers now. */
  poll(deviceCode: string, clientId: string): DeviceCode {
    const c = this.byDevice.get(deviceCode);
    if (!c || c.clientId !== clientId || c.status === 'redeemed') throw new EntraError(9002313, { error: 'invalid_grant' });
    const now = Date.now();
    if (c.expiresAt <= now) throw new EntraError(70020);
    if (c.status === 'declined') throw new EntraError(65004);
    if (c.status === 'failed' && c.error) {
      c.status = 'redeemed';
      throw c.error;
    }
    const tooSoon = c.lastPoll !== undefined && now - c.lastPoll < (c.interval * 1000) / 2;
    c.lastPoll = now;
    if (c.status === 'pending') {
      // (unverified) Entra rarely sends slow_down; the RFC's answer for polling faster than the interval.
      if (tooSoon) throw new EntraError(70016, { error: 'slow_down' });
      throw new EntraError(70016);
    }
    c.status = 'redeemed';
    return c;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, c] of this.byDevice) {
      if (c.expiresAt < now - 60_000) {
        this.byDevice.delete(k);
        this.byUser.delete(c.userCode);
      }
    }
  }
}
