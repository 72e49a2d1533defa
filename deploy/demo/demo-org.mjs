// The made-up organisation every demo program speaks for: the webhook sender
// (send-deliveries.mjs) and the stand-in of Mist's REST and WebSocket APIs (mist-stand-in.mjs)
// name the same sites and devices, so the dashboards' site and device variables line up.
// Plain Node, no dependencies.

export const ORG = { id: '6f4bfe2a-0000-4000-8000-0000000000d0', name: 'Demo Org' };

export const SITES = [
  { id: '2c7e9a10-0000-4000-8000-0000000051a1', name: 'Head office', wlan: '9d1f0c22-0000-4000-8000-0000000e1a01', short: 'head' },
  { id: '2c7e9a10-0000-4000-8000-0000000051a2', name: 'Warehouse', wlan: '9d1f0c22-0000-4000-8000-0000000e1a02', short: 'warehouse' },
];

/** Three APs per site. */
export const APS = SITES.flatMap((site, s) => [1, 2, 3].map((n) => ({ site, mac: `5c5b35d0${s}${n}0${n}`, name: `${site.short}-ap-0${n}` })));

/** One access switch and one gateway per site. */
export const SWITCHES = SITES.map((site, s) => ({ site, mac: `d0dd49a0${s}001`, name: `${site.short}-sw-01` }));
export const GATEWAYS = SITES.map((site, s) => ({ site, mac: `4c9614b0${s}001`, name: `${site.short}-gw-01` }));

export const SSIDS = ['Corp', 'Guest'];
