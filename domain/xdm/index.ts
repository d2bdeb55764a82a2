/** XDM schema model: the standard catalogue, schema composition and resolution, tenant components. Pure. */
export * from './types';
export {
  BEHAVIOR_IDS,
  COMMERCE_FIELD_GROUP_ID,
  DATA_TYPE_IDS,
  EXPERIENCE_EVENT_CLASS_ID,
  IDENTITY_MAP_FIELD_GROUP_ID,
  PROFILE_CLASS_ID,
  PROFILE_FIELD_GROUP_IDS,
  STANDARD_BEHAVIORS,
  STANDARD_CLASSES,
  STANDARD_DATA_TYPES,
  STANDARD_FIELD_GROUPS,
  WEB_DATA_TYPE_IDS,
  WEB_FIELD_GROUP_IDS,
  altIdOf,
  combineLookups,
  findStandard,
  lookupOf,
} from './catalog';
export {
  assertAllowedChange,
  breakingChanges,
  buildSchemaDocument,
  fieldPaths,
  nextVersion,
  resolveComponent,
  resolveSchema,
  schemaIds,
  tenantIds,
  unionSchema,
  validateSchemaComposition,
} from './compose';
export type { SchemaComposition, SchemaInput } from './compose';
export { dependenciesOf, findUser, reviseSchemaDocument, schemaInput, schemasAffectedBy } from './changes';
export type { Usage } from './changes';
export { buildTenantComponent, componentInput, reviseTenantComponent } from './tenant-components';
export type { TenantContext } from './tenant-components';
export { DESCRIPTOR_LIMIT, checkDescriptor, descriptorDoc, descriptorInput, pointerToPath } from './descriptors';
export type { DescriptorInput } from './descriptors';
export { parseXedAccept, renderXed, resolvedComponent, stripText, summaryOf, wantedVersion } from './views';
export type { XedAccept } from './views';
