import { dateTime, defineComponent, str } from './catalog-build';
import type { XdmComponent } from './types';

/**
 * The XDM behaviours every class extends: record (profile-like) or time-series (event-like).
 * `$id`s and field names follow Adobe's public XDM (adobe/xdm, CC BY 4.0); AEP shows `@id` as `_id`.
 */
export const BEHAVIOR_IDS = {
  record: 'https://ns.adobe.com/xdm/data/record',
  timeSeries: 'https://ns.adobe.com/xdm/data/time-series',
} as const;

export const recordBehavior = defineComponent('behaviors', {
  $id: BEHAVIOR_IDS.record,
  title: 'Record Schema',
  description: 'The behaviour of record data: one current state per identity.',
  definition: 'record',
  properties: { _id: str('Identifier', { description: 'A unique identifier for the record.' }) },
});

export const timeSeriesBehavior = defineComponent('behaviors', {
  $id: BEHAVIOR_IDS.timeSeries,
  title: 'Time-series Schema',
  description: 'The behaviour of time-partitioned data: immutable observations at a point in time.',
  definition: 'time-series',
  required: ['_id', 'timestamp'],
  properties: {
    _id: str('Identifier', { description: 'A unique identifier for the time-series event.' }),
    timestamp: dateTime('Timestamp', { description: 'The time when an event or observation occurred.' }),
  },
});

export const STANDARD_BEHAVIORS: readonly XdmComponent[] = [recordBehavior, timeSeriesBehavior];
