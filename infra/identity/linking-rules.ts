import { DEFAULT_LINKING_RULES } from '../../domain/identity/graph';
import type { LinkingRules } from '../../domain/identity/graph';
import type { Stores } from '../mongo/stores';

const TTL_MS = 5_000;
const cache = new Map<string, { rules: LinkingRules; at: number }>();
const docId = (sandbox: string) => `${sandbox}|linking-rules`;

/** The sandbox's linking rules (defaults until set); cached for a few seconds per process, so a change reaches workers within that. */
export async function linkingRulesOf(stores: Stores, sandbox: string, opts: { fresh?: boolean } = {}): Promise<LinkingRules> {
  const now = Date.now();
  const hit = cache.get(sandbox);
  if (hit && !opts.fresh && now - hit.at < TTL_MS) return hit.rules;
  const doc = await stores.identityConfig.findOne({ _id: docId(sandbox) });
  const rules = { ...DEFAULT_LINKING_RULES, ...(doc?.rules ?? {}) };
  cache.set(sandbox, { rules, at: now });
  return rules;
}

export async function setLinkingRules(stores: Stores, sandbox: string, rules: LinkingRules, now = Date.now()): Promise<void> {
  await stores.identityConfig.replaceOne({ _id: docId(sandbox) }, { sandbox, rules, updatedAt: now }, { upsert: true });
  cache.set(sandbox, { rules, at: now });
}
