import { describe, expect, it } from 'vitest';
import type { TraceContribution } from '../mapping/types.js';
import { parseContribution } from './facts.js';
import { Interner, spanAttributes } from './held.js';

const contribution = (role: string, values: Record<string, unknown>, attributes: Record<string, unknown> = {}): TraceContribution => ({
  topic: 't',
  role,
  timeNs: 1n,
  values: { org_id: 'o', site_id: 's', ...values },
  attributes: attributes as TraceContribution['attributes'],
});

describe('parseContribution', () => {
  it('takes the disconnect from connect_float + duration when disconnect_float is missing, exactly', () => {
    const r = parseContribution(
      contribution('disconnect', { client_mac: 'aa', ap: 'bb', connect: 1695172665, connect_time: 1695172665.083, duration: 16709.393960068 }),
      new Interner(),
    );
    expect('fact' in r && r.fact.kind === 'association' && r.fact.disconnectNs).toBe(1695172665_083000000n + 16709_393960068n);
  });

  it('spells MACs one way, so "5C:5B:35:51:32:27" and "5c5b35513227" are one client and one AP', () => {
    const pool = new Interner();
    const a = parseContribution(contribution('join', { client_mac: 'AC:3E:B1:79:E5:35', ap: '5C-5B-35-51-32-27', connect_time: 1749088902.64 }), pool);
    const b = parseContribution(contribution('join', { client_mac: 'ac3eb179e535', ap: '5c5b35513227', connect_time: 1749088902.64 }), pool);
    expect(a).toEqual(b);
    expect('fact' in a && a.client.mac).toBe('ac3eb179e535');
  });

  it('keeps primitive attributes and arrays of one primitive type, drops nested maps', () => {
    const r = parseContribution(
      contribution(
        'auth-permit',
        { client_mac: 'aa', type: 'NAC_CLIENT_PERMIT' },
        { 'mist.idp_role': ['a', 'b'], 'mist.vlan': '20', 'mist.nested': { x: 1 }, 'mist.mixed': ['a', 1] },
      ),
      new Interner(),
    );
    expect('fact' in r && spanAttributes(r.fact.attributes)).toEqual({ 'mist.idp_role': ['a', 'b'], 'mist.vlan': '20' });
  });

  it('says why a contribution cannot be used', () => {
    const pool = new Interner();
    expect(parseContribution(contribution('join', { ap: 'bb', connect_time: 1 }), pool)).toEqual({ problem: 't join: no site_id or client_mac' });
    expect(parseContribution(contribution('roam', { client_mac: 'aa', ap: 'bb', connect_time: 1749088902.64 }), pool)).toEqual({
      problem: 't roam: no disconnect time or duration',
    });
    expect(parseContribution(contribution('mystery', { client_mac: 'aa' }), pool)).toEqual({ problem: 'unknown trace role "mystery"' });
  });
});
