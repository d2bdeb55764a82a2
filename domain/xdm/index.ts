/** XDM schema model: the standard catalogue, schema composition and resolution. Pure. */
export * from './types';
export {
  COMMERCE_FIELD_GROUP_ID,
  DATA_TYPE_IDS,
  EXPERIENCE_EVENT_CLASS_ID,
  IDENTITY_MAP_FIELD_GROUP_ID,
  PROFILE_CLASS_ID,
  PROFILE_FIELD_GROUP_IDS,
  STANDARD_CLASSES,
  STANDARD_DATA_TYPES,
  STANDARD_FIELD_GROUPS,
  altIdOf,
  combineLookups,
  findStandard,
} from './catalog';
export {
  assertAllowedChange,
  breakingChanges,
  buildSchemaDocument,
  fieldPaths,
  nextVersion,
  resolveSchema,
  schemaIds,
  unionSchema,
  validateSchemaComposition,
} from './compose';
export type { SchemaComposition } from './compose';
