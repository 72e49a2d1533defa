/** Mist's channel names: per-site channels are /sites/{site_id}/{kind}, e.g. /sites/…/stats/devices. */

export function siteChannel(siteId: string, kind: string): string {
  return `/sites/${siteId}/${kind}`;
}

export interface ChannelParts {
  /** The site the channel belongs to; the only place an AP's stats message names its site. */
  siteId: string | null;
  /** The channel past its scope: `stats/devices` for /sites/{id}/stats/devices, `test` for /test. */
  kind: string;
}

export function channelParts(channel: string): ChannelParts {
  const scoped = /^\/(sites|orgs)\/([^/]+)\/(.+)$/.exec(channel);
  if (scoped === null) return { siteId: null, kind: channel.replace(/^\/+/, '') };
  return { siteId: scoped[1] === 'sites' ? scoped[2]! : null, kind: scoped[3]! };
}
