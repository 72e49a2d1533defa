import { z } from 'zod';
import { section, setting } from '../setting.js';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);

export const sessions = section({
  enabled: setting(z.boolean(), true, {
    env: 'MIST_BRIDGE_SESSIONS',
    doc: 'client session traces ([Client session traces](#client-session-traces)): client-join, client-sessions, client-info and nac-events stitched into one trace per client session',
  }),
  maxSessions: setting(positiveInt, 100000, {
    env: 'MIST_BRIDGE_SESSIONS_MAX',
    doc: "sessions held at once; when full, the least recently active client's session is ended early, marked incomplete",
  }),
  maxAgeMs: setting(positiveInt, 86400000, {
    env: 'MIST_BRIDGE_SESSIONS_MAX_AGE_MS',
    doc: 'a session with no disconnect is ended this long after it began, marked incomplete',
  }),
  settleMs: setting(nonNegativeInt, 60000, {
    env: 'MIST_BRIDGE_SESSIONS_SETTLE_MS',
    doc: 'how long events about a client wait before they are placed into sessions (absorbs out-of-order and repeated deliveries)',
  }),
  stitchWindowMs: setting(nonNegativeInt, 60000, { doc: "how long before a client's first connect its NAC and DHCP events still belong to its session" }),
  retainEndedMs: setting(nonNegativeInt, 3600000, { doc: 'how long an ended session is remembered, to recognise redeliveries and late events' }),
  maxPendingFacts: setting(positiveInt, 200000, {
    doc: 'session events waiting for their settle time, over all clients; past it the longest-waiting client is settled early (a warning says so) instead of memory growing',
  }),
  sweepIntervalMs: setting(positiveInt, 5000, { doc: 'how often sessions are checked for the limits above' }),
});
