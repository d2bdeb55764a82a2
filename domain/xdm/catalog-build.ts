import type { XdmComponent, XdmField, XdmRef, XdmResourceType } from './types';

/** Small builders that keep the catalogue readable; each returns a plain JSON-Schema node. */
type Extra = Omit<XdmField, 'type' | 'title'>;

export const str = (title: string, extra: Extra = {}): XdmField => ({ title, type: 'string', ...extra });
export const num = (title: string, extra: Extra = {}): XdmField => ({ title, type: 'number', ...extra });
export const int = (title: string, extra: Extra = {}): XdmField => ({ title, type: 'integer', ...extra });
export const bool = (title: string, extra: Extra = {}): XdmField => ({ title, type: 'boolean', ...extra });
export const date = (title: string, extra: Extra = {}): XdmField => str(title, { format: 'date', ...extra });
export const dateTime = (title: string, extra: Extra = {}): XdmField => str(title, { format: 'date-time', ...extra });
export const ref = (title: string, $ref: string, description?: string): XdmField => ({ title, $ref, ...(description ? { description } : {}) });
export const obj = (title: string, properties: Record<string, XdmField>, extra: Extra = {}): XdmField => ({ title, type: 'object', ...extra, properties });
export const arr = (title: string, items: XdmField, extra: Extra = {}): XdmField => ({ title, type: 'array', ...extra, items });

/** `https://ns.adobe.com/xdm/context/profile` → `_xdm.context.profile` (the same rule gives tenant altIds). */
export const altIdOf = ($id: string): string => `_${$id.replace(/^https?:\/\/ns\.adobe\.com\//, '').replace(/\//g, '.')}`;

/** Shared status enum of the contact data types (address, email, phone). */
export const contactStatus = (what: string, values: string[]): XdmField =>
  str('Status', {
    description: `An indication as to the ability to use the ${what}.`,
    default: 'active',
    'meta:enum': Object.fromEntries(values.map((v) => [v, v.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase())])),
  });

interface ComponentSpec {
  $id: string;
  title: string;
  description: string;
  /** Name of the single local definition that holds the fields. */
  definition: string;
  properties: Record<string, XdmField>;
  required?: string[];
  intendedToExtend?: string[];
  extends?: string[];
  /** Other components whose fields this one includes (a class including identityMap, say). */
  includes?: string[];
}

export function defineComponent(kind: XdmResourceType, spec: ComponentSpec): XdmComponent {
  const allOf: XdmRef[] = [...(spec.includes ?? []).map(($ref) => ({ $ref })), { $ref: `#/definitions/${spec.definition}` }];
  return deepFreeze({
    $id: spec.$id,
    'meta:altId': altIdOf(spec.$id),
    'meta:resourceType': kind,
    title: spec.title,
    description: spec.description,
    type: 'object',
    'meta:extensible': true,
    ...(kind === 'datatypes' ? {} : { 'meta:abstract': true }),
    ...(spec.intendedToExtend ? { 'meta:intendedToExtend': spec.intendedToExtend } : {}),
    ...(spec.extends ? { 'meta:extends': spec.extends } : {}),
    'meta:status': 'stable',
    definitions: { [spec.definition]: { properties: spec.properties, ...(spec.required ? { required: spec.required } : {}) } },
    allOf,
  });
}

/** The catalogue is shared by every caller; freezing it turns an accidental mutation into an error. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
