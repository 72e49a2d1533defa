import { z } from 'zod';
import { parseResourceAttributes, RESOURCE_TEXT_MAX } from '../key-value.js';
import { section, setting } from '../setting.js';

/**
 * The OpenTelemetry resource of everything the bridge exports. Its defaults (service.name
 * mist-ai, source juniper-mist, service.version, service.instance.id) are set where the resource
 * is built (src/signals/providers.ts); these keys override them.
 */
export const resource = section({
  serviceName: setting(z.string().trim().min(1).nullable(), null, {
    env: 'OTEL_SERVICE_NAME',
    fromEnv: (raw) => (raw.trim() === '' ? undefined : raw.trim()),
    shownDefault: '`mist-ai`',
    doc: 'resource `service.name`; wins over a `service.name` in `resource.attributes`',
  }),
  attributes: setting(
    z.record(z.string().min(1).max(RESOURCE_TEXT_MAX), z.string().max(RESOURCE_TEXT_MAX)),
    {},
    {
      env: 'OTEL_RESOURCE_ATTRIBUTES',
      fromEnv: (raw) => (raw.trim() === '' ? undefined : parseResourceAttributes(raw)),
      shownDefault: '(none)',
      doc:
        'extra resource attributes, `key=value,key2=value2` in the variable (percent-encode `,` and `=`). Defaults are `service.name=mist-ai`, ' +
        '`source=juniper-mist` (what the published Mist integration sets), `service.version` and `service.instance.id` (the host name). ' +
        'A value that does not parse stops the bridge at start-up (the SDK would drop the whole variable silently)',
    },
  ),
});
