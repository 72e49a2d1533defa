/**
 * Mist's own examples spell topics with "_" as often as "-" (device_events, sdkclient_scan_data),
 * and case is not guaranteed: one canonical spelling is used everywhere after ingress.
 */
export function canonicalTopic(raw: string): string {
  return raw.trim().toLowerCase().replace(/_/g, '-');
}
