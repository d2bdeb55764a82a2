import { STANDARD_BEHAVIORS } from './catalog-behaviors';
import { STANDARD_DATA_TYPES as CONTACT_DATA_TYPES } from './catalog-datatypes';
import { EVENT_FIELD_GROUPS, experienceEventClass } from './catalog-event';
import { PROFILE_FIELD_GROUPS, profileClass } from './catalog-profile';
import { WEB_DATA_TYPES, WEB_FIELD_GROUPS } from './catalog-web';
import type { ComponentLookup, XdmComponent } from './types';

/**
 * The standard XDM catalogue (`/global/classes`, `/global/fieldgroups`, `/global/datatypes`,
 * `/global/behaviors`). `$id`s and field names follow Adobe's public XDM repository (adobe/xdm,
 * CC BY 4.0), written without the `xdm:` prefix as AEP's API and data show them; the definitions
 * are OpenXP's own.
 */
export { BEHAVIOR_IDS } from './catalog-behaviors';
export { DATA_TYPE_IDS } from './catalog-datatypes';
export { COMMERCE_FIELD_GROUP_ID, EXPERIENCE_EVENT_CLASS_ID, IDENTITY_MAP_FIELD_GROUP_ID } from './catalog-event';
export { PROFILE_CLASS_ID, PROFILE_FIELD_GROUP_IDS } from './catalog-profile';
export { WEB_DATA_TYPE_IDS, WEB_FIELD_GROUP_IDS } from './catalog-web';
export { altIdOf } from './catalog-build';

export { STANDARD_BEHAVIORS };
export const STANDARD_CLASSES: readonly XdmComponent[] = [profileClass, experienceEventClass];
export const STANDARD_FIELD_GROUPS: readonly XdmComponent[] = [...PROFILE_FIELD_GROUPS, ...EVENT_FIELD_GROUPS, ...WEB_FIELD_GROUPS];
export const STANDARD_DATA_TYPES: readonly XdmComponent[] = [...CONTACT_DATA_TYPES, ...WEB_DATA_TYPES];

/** A lookup over a list of components by `$id` or `meta:altId` (the catalogue's, or one sandbox's tenant components). */
export function lookupOf(components: readonly XdmComponent[]): ComponentLookup {
  const byId = new Map<string, XdmComponent>();
  for (const c of components) {
    byId.set(c.$id, c);
    byId.set(c['meta:altId'], c);
  }
  return (id) => byId.get(id);
}

/** A standard component by `$id` or `meta:altId`. */
export const findStandard: ComponentLookup = lookupOf([...STANDARD_BEHAVIORS, ...STANDARD_CLASSES, ...STANDARD_FIELD_GROUPS, ...STANDARD_DATA_TYPES]);

/** Tries each lookup in turn: tenant components first, then the standard catalogue, say. */
export const combineLookups =
  (...lookups: ComponentLookup[]): ComponentLookup =>
  (id) => {
    for (const lookup of lookups) {
      const found = lookup(id);
      if (found) return found;
    }
    return undefined;
  };
