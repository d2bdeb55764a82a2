import type { ResolvedSchema, XdmComponent, XdmSchemaDocument } from './types';

/** Stored Schema Registry and Data Prep resources. */
/** A tenant schema as stored: the XDM document plus its store id (= meta:altId) and dates. */
export type SchemaDoc = XdmSchemaDocument & {
  id: string;
  'meta:createdDate': string;
  'meta:updatedDate'?: string;
};

/** A tenant class, field group or data type as stored (store id = meta:altId). */
export type ComponentDoc = XdmComponent & {
  id: string;
  'meta:createdDate': string;
  'meta:updatedDate'?: string;
};

/** One version of a schema, kept when it is written: its document and its resolved view then. */
export interface SchemaVersionDoc {
  /** `<meta:altId>@<version>` */
  id: string;
  schemaId: string;
  version: string;
  document: XdmSchemaDocument;
  resolved: ResolvedSchema;
  createdDate: string;
}

interface DescriptorBase {
  id: string; // @id
  '@id': string;
  'xdm:sourceSchema': string;
  'xdm:sourceVersion': number;
  'xdm:sourceProperty': string;
}

export interface IdentityDescriptorDoc extends DescriptorBase {
  '@type': 'xdm:descriptorIdentity';
  'xdm:namespace': string;
  'xdm:property': string;
  'xdm:isPrimary': boolean;
}

/** Overrides the title, description or enum labels of one field, per locale (`{"en_us": "…"}`). */
export interface DisplayInfoDescriptorDoc extends DescriptorBase {
  '@type': 'xdm:alternateDisplayInfo';
  'xdm:title'?: Record<string, string>;
  'xdm:description'?: Record<string, string>;
  'meta:enum'?: Record<string, string>;
  'meta:excludeMetaEnum'?: Record<string, string>;
}

export type DescriptorDoc = IdentityDescriptorDoc | DisplayInfoDescriptorDoc;

export interface MappingSetDoc {
  id: string;
  version: number;
  xdmSchema: string;
  xdmVersion?: string;
  mappings: { sourceType: string; source: string; destination: string; identity?: boolean; namespaceCode?: string; primaryIdentity?: boolean }[];
  createdDate: number;
}
