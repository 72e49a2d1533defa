import { z } from 'zod';
import { section, setting } from '../setting.js';

export const mappings = section({
  dir: setting(z.string().min(1).nullable(), null, {
    env: 'MIST_BRIDGE_MAPPINGS_DIR',
    shownDefault: '(none)',
    doc: 'a directory of your own mapping files ([Custom mappings](#custom-mappings)): a file there adds a topic, or replaces the built-in file it names in `replaces`',
  }),
});
