import { DomainError } from '../../domain/shared/errors';
import { combineLookups, fieldPaths, findStandard, lookupOf, resolveSchema } from '../../domain/xdm';
import type { ResolvedSchema, XdmType } from '../../domain/xdm';
import type { Stores } from '../mongo/stores';
import type { SchemaDoc } from '../../domain/xdm/registry-model';
import type { Namespace } from '../../domain/identity/namespaces';
import { sandboxNamespaces } from '../identity/namespaces';

export interface SchemaContext {
  schema: SchemaDoc;
  resolved: ResolvedSchema;
  fieldTypes: Map<string, XdmType>;
  /** Identity descriptors as dotted paths, the primary first. */
  identityFields: { path: string; namespace: string; primary: boolean }[];
  /** The sandbox's identity namespaces (standard and custom) records may name. */
  namespaces: Namespace[];
}

/** Loads a tenant schema by `$id` or `meta:altId` and resolves it (standard and tenant components) with its identity descriptors and the sandbox's namespaces. */
export async function loadSchemaContext(stores: Stores, sandbox: string, schemaId: string): Promise<SchemaContext> {
  const schema = (await stores.schemas.get(sandbox, schemaId)) ?? (await stores.schemas.find(sandbox, { $id: schemaId }));
  if (!schema) throw new DomainError('NOT_FOUND', `Schema ${schemaId} not found`, 'schemaRef.id');
  const { items: tenant } = await stores.xdmComponents.list(sandbox, {}, { limit: 10_000 });
  const resolved = resolveSchema(schema, combineLookups(lookupOf(tenant), findStandard));
  const { items } = await stores.descriptors.list(sandbox, { 'xdm:sourceSchema': schema.$id }, { limit: 1000 });
  const identityFields = items
    .filter((d) => d['@type'] === 'xdm:descriptorIdentity')
    .map((d) => ({ path: d['xdm:sourceProperty'].replace(/^\//, '').replaceAll('/', '.'), namespace: d['xdm:namespace'], primary: d['xdm:isPrimary'] }))
    .sort((a, b) => Number(b.primary) - Number(a.primary));
  return { schema, resolved, fieldTypes: fieldPaths(resolved), identityFields, namespaces: await sandboxNamespaces(stores, sandbox) };
}
