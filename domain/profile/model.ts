export interface MergePolicy {
  id: string;
  name: string;
  imsOrgId?: string;
  schema: { name: string };
  version: number;
  identityGraph: { type: 'none' | 'pdg' };
  attributeMerge: { type: 'timestampOrdered' | 'dataSetPrecedence'; order?: string[] };
  default: boolean;
  updateEpoch: number;
}

/** The merge policy every sandbox starts with: timestamp-ordered over the private identity graph. */
export const defaultMergePolicy = (id: string, now: number): MergePolicy => ({
  id,
  name: 'Default timestamp-ordered',
  schema: { name: '_xdm.context.profile' },
  version: 1,
  identityGraph: { type: 'pdg' },
  attributeMerge: { type: 'timestampOrdered' },
  default: true,
  updateEpoch: Math.floor(now / 1000),
});
