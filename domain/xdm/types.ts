/**
 * The XDM schema model: JSON-Schema-shaped documents as AEP's Schema Registry returns them, with
 * field names free of the `xdm:` prefix (as AEP's API and stored data show them).
 */

/** The type of one field path, as segmentation, mapping and the profile store see it. */
export type XdmType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'date-time' | 'object' | 'array' | 'map';

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

/** One node of a properties tree. `$ref` points at a data type until resolution inlines it. */
export interface XdmField {
  title?: string;
  description?: string;
  type?: JsonType;
  format?: string;
  pattern?: string;
  enum?: (string | number | boolean)[];
  /** Suggested values with labels; unlike `enum`, not enforced. */
  'meta:enum'?: Record<string, string>;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, XdmField>;
  required?: string[];
  items?: XdmField;
  additionalProperties?: XdmField | boolean;
  /** 'map' marks an object whose keys are data (e.g. identityMap's namespaces). */
  'meta:xdmType'?: 'map';
  $ref?: string;
  /** Set on objects inlined from a data type, as AEP's full (resolved) view does. */
  'meta:referencedFrom'?: string;
}

export interface XdmDefinition {
  properties: Record<string, XdmField>;
  required?: string[];
}

/** AEP names field groups "mixins" in `meta:resourceType` and in URLs of older versions. */
export type XdmResourceType = 'classes' | 'mixins' | 'datatypes' | 'behaviors';

/** The kinds a tenant may define (behaviours are standard only). */
export type TenantKind = Exclude<XdmResourceType, 'behaviors'>;

export interface XdmRef {
  $ref: string;
}

/** A class, field group or data type, standard (catalogue) or tenant-defined. */
export interface XdmComponent {
  $id: string;
  'meta:altId': string;
  'meta:resourceType': XdmResourceType;
  title: string;
  description?: string;
  type: 'object';
  'meta:extensible'?: boolean;
  'meta:abstract'?: boolean;
  /** Field groups: the classes they fit; empty or absent means any class. */
  'meta:intendedToExtend'?: string[];
  /** Classes: the behaviours and components they build on. */
  'meta:extends'?: string[];
  'meta:status'?: 'stable' | 'experimental' | 'deprecated';
  version?: string;
  /** Tenant components: `_{TENANT_ID}`, the namespace their fields live in. */
  'meta:tenantNamespace'?: string;
  definitions: Record<string, XdmDefinition>;
  /** `#/definitions/<name>` for local definitions or another component's `$id`. */
  allOf: XdmRef[];
}

export type ComponentLookup = (id: string) => XdmComponent | undefined;

/** A tenant schema as AEP stores it: references only, nothing inlined. */
export type XdmSchemaDocument = {
  $id: string;
  'meta:altId': string;
  'meta:resourceType'?: 'schemas';
  title: string;
  description?: string;
  type: 'object';
  'meta:class': string;
  'meta:extends': string[];
  allOf: XdmRef[];
  /** ['union'] once enabled for Profile; never removed. */
  'meta:immutableTags'?: string[];
  version: string;
};

/**
 * The `application/vnd.adobe.xed-full+json` view: one merged properties tree, data types inlined.
 * (A type alias, not an interface, so it converts to `Record<string, unknown>` for JSON callers.)
 */
export type ResolvedSchema = {
  $id: string;
  'meta:altId': string;
  'meta:resourceType': 'schemas';
  title: string;
  description?: string;
  type: 'object';
  'meta:class': string;
  'meta:extends': string[];
  'meta:immutableTags'?: string[];
  version: string;
  properties: Record<string, XdmField>;
  required?: string[];
};

export interface BreakingChange {
  path: string;
  change: 'removed' | 'retyped';
  before: XdmType;
  after?: XdmType;
}

/** The XdmType of a (resolved) field; undefined for a node with no type at all. */
export function xdmTypeOf(field: XdmField): XdmType | undefined {
  if (field['meta:xdmType'] === 'map') return 'map';
  if (field.type === 'string' && (field.format === 'date' || field.format === 'date-time')) return field.format;
  if (field.type) return field.type;
  if (field.properties) return 'object';
  return undefined;
}
