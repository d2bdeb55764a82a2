import { realApp } from '../helpers/env';
import { person, profileSandbox } from '../helpers/profile-data';

const ID = '/data/core/identity';

/** The identity graph through the API on the real stack: linking, rules, limits, history, explanations. */
describe('API: identity graph (/data/core/identity)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  const sb = (name: string) => `ig-${name}-${process.pid}`;

  beforeAll(async () => {
    t = await realApp();
  });
  afterAll(() => t?.close());

  it('links identities seen together, answers by any identity, in bulk, and explains each link', async () => {
    const s = await profileSandbox(t, sb('link'));
    const b1 = await s.ingest([
      person('ann@example.com', { CRMID: ['c-1'], Phone: ['+1 (415) 555-0100'] }),
      person('bob@example.com', { CRMID: ['c-2'] }),
    ]);
    expect(b1.status).toBe('success');
    const b2 = await s.ingest([person('ANN.other@Example.com', { Phone: ['+14155550100'] })]);
    expect(b2.metrics.identity).toMatchObject({ graphsMerged: 0 });

    const m = await s.call('GET', `${ID}/identity/cluster/members?ns=CRMID&id=c-1`);
    expect(m.status).toBe(200);
    expect(m.body.members.map((x: any) => `${x.namespace}:${x.id}`).sort()).toEqual(['CRMID:c-1', 'Email:ann.other@example.com', 'Email:ann@example.com', 'Phone:+14155550100']);
    expect((await s.call('GET', `${ID}/identity/cluster/members?nsId=6&id=ann@example.com&graph-type=None`)).body.members).toHaveLength(1);

    const bulk = await s.call('POST', `${ID}/identity/clusters/members`, { compositeXids: [{ nsid: 16, id: 'c-2' }, { nsid: 6, id: 'ann@example.com' }, { nsid: 6, id: 'nobody@example.com' }] });
    expect(bulk.status).toBe(200);
    expect(bulk.body.clusters.map((c: any) => c.members.length)).toEqual([2, 4, 1]);
    const byXid = await s.call('POST', `${ID}/identity/clusters/members`, { xids: [bulk.body.clusters[0].members[0].xid] });
    expect(byXid.body.clusters[0].members).toHaveLength(2);
    const tooMany = await s.call('POST', `${ID}/identity/clusters/members`, { compositeXids: Array.from({ length: 1001 }, (_, i) => ({ nsid: 6, id: `u${i}@example.com` })) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message ?? JSON.stringify(tooMany.body)).toMatch(/1000/);

    const links = await s.call('GET', `${ID}/identity/cluster/links?ns=Email&id=ann.other@example.com`);
    const phoneLink = links.body.links.find((l: any) => l.from.namespace === 'Email' && l.from.id === 'ann.other@example.com' && l.to.namespace === 'Phone');
    expect(phoneLink.records).toEqual([{ datasetId: s.datasetId, batchId: b2.id, recordKey: 'Email:ann.other@example.com' }]);

    // Re-ingesting the same records changes nothing: same graph, no new history.
    const graphs = await t.deps.stores.graphs.coll.countDocuments({ sandbox: s.sandbox });
    const again = await s.ingest([person('ANN.other@Example.com', { Phone: ['+14155550100'] })]);
    expect(again.metrics).toMatchObject({ outputRecordCount: 1, skippedRecordCount: 1 });
    expect(await t.deps.stores.graphs.coll.countDocuments({ sandbox: s.sandbox })).toBe(graphs);

    // Bad input: unknown namespace, blocked value, no namespace.
    expect((await s.call('GET', `${ID}/identity/cluster/members?ns=Nope&id=x`)).status).toBe(422);
    const blocked = await s.call('GET', `${ID}/identity/cluster/history?ns=Email&id=anonymous`);
    expect(blocked.status).toBe(422);
    expect(blocked.body.detail).toMatch(/^id: "anonymous" is not a valid Email identity/);
    expect((await s.call('GET', `${ID}/identity/cluster/members?id=x`)).status).toBe(400);

    // Another sandbox sees nothing of this one.
    const other = await t.request('GET', `${ID}/identity/cluster/members?ns=CRMID&id=c-1`, { headers: { 'x-sandbox-name': sb('other') } });
    expect(((await other.json()) as any).members).toHaveLength(1);
  });

  it('keeps two CRM ids apart when CRMID is unique, records the refused link and a merge in the history', async () => {
    const s = await profileSandbox(t, sb('rules'));
    const bad = await s.call('PUT', `${ID}/config/linkingRules`, { uniqueNamespaces: ['NoSuchNs'] });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/^uniqueNamespaces\[0\]: unknown identity namespace/);
    const set = await s.call('PUT', `${ID}/config/linkingRules`, { uniqueNamespaces: ['CRMID'] });
    expect(set.body).toMatchObject({ uniqueNamespaces: ['CRMID'], graphLimit: 50 });

    await s.ingest([person('a@example.com', { CRMID: ['crm-a'] }), person('b@example.com', { CRMID: ['crm-b'] }), person('c@example.com', { Phone: ['+33612345678'] })]);
    const b = await s.ingest([person('shared@example.com', { CRMID: ['crm-a', 'crm-b'] }), person('c@example.com', { CRMID: ['crm-a'] })]);
    expect(b.status).toBe('success');
    expect(b.metrics.identity).toMatchObject({ linksRefused: expect.any(Number), graphsMerged: 1 });
    expect(b.metrics.identity.linksRefused).toBeGreaterThanOrEqual(1);

    const members = (await s.call('GET', `${ID}/identity/cluster/members?ns=CRMID&id=crm-a`)).body.members.map((x: any) => `${x.namespace}:${x.id}`).sort();
    expect(members).toEqual(['CRMID:crm-a', 'Email:a@example.com', 'Email:c@example.com', 'Email:shared@example.com', 'Phone:+33612345678']);
    expect((await s.call('GET', `${ID}/identity/cluster/members?ns=CRMID&id=crm-b`)).body.members).toHaveLength(2);

    const h = await s.call('GET', `${ID}/identity/cluster/history?ns=CRMID&id=crm-a`);
    expect(h.body.history).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: 'refused', reason: expect.stringContaining('CRMID:crm-a and CRMID:crm-b'), src: expect.objectContaining({ batchId: b.id }) }),
      expect.objectContaining({ type: 'merged', link: ['Email:c@example.com', 'CRMID:crm-a'] }),
    ]));
  });

  it('never lets a graph grow over the limit, and rejects an identity shared by too many records in one batch', async () => {
    const s = await profileSandbox(t, sb('limits'));
    await s.call('PUT', `${ID}/config/linkingRules`, { graphLimit: 3, batchLinkLimit: 10 });
    await s.ingest([person('p1@example.com', { ECID: ['12345678901234567890123456789012345678'] })]);
    await s.ingest([person('p1@example.com', { CRMID: ['k1'] })]);
    const over = await s.ingest([person('p1@example.com', { Phone: ['+4930123456'] })]);
    expect(over.metrics.identity.identitiesRemoved).toBe(1);
    const members = (await s.call('GET', `${ID}/identity/cluster/members?ns=Email&id=p1@example.com`)).body.members.map((x: any) => x.namespace).sort();
    // The cookie id goes first.
    expect(members).toEqual(['CRMID', 'Email', 'Phone']);
    const h = await s.call('GET', `${ID}/identity/cluster/history?ns=ECID&id=12345678901234567890123456789012345678`);
    expect(h.body.history).toEqual([expect.objectContaining({ type: 'removed', identities: ['ECID:12345678901234567890123456789012345678'] })]);
    const h2 = await s.call('GET', `${ID}/identity/cluster/history?ns=Email&id=p1@example.com`);
    expect(h2.body.history).toEqual([expect.objectContaining({ type: 'removed', identities: ['ECID:12345678901234567890123456789012345678'], reason: expect.stringContaining('at most 3') })]);

    // 12 records sharing one phone: the phone is not ingested; rows with another identity still are.
    const shared = '+4930999999';
    const hot = await s.ingest([...Array.from({ length: 12 }, (_, i) => person(`h${i}@example.com`, { Phone: [shared] }))]);
    expect(hot.metrics).toMatchObject({ inputRecordCount: 12, outputRecordCount: 12, failedRecordCount: 0 });
    expect(hot.metrics.identity.identitiesRejected).toBe(1);
    expect((await s.call('GET', `${ID}/identity/cluster/members?ns=Email&id=h3@example.com`)).body.members).toHaveLength(1);
    const rejected = await s.call('GET', `${ID}/identity/cluster/history?ns=Phone&id=${encodeURIComponent(shared)}`);
    expect(rejected.body.history).toEqual([expect.objectContaining({ type: 'rejected', reason: expect.stringContaining('12 other identities') })]);
    expect(await t.deps.stores.identities.coll.countDocuments({ sandbox: s.sandbox, ns: 'Phone', id: shared })).toBe(0);
  });

  it('one shared email on 10k records never makes a profile of more than 50 identities, and the refusal is reported', async () => {
    const s = await profileSandbox(t, sb('shared'));
    const shared = 'test@example.com';
    const b = await s.ingest(Array.from({ length: 10_000 }, (_, i) => person(`user${i}@example.com`, { Email: [shared] })));
    expect(b.metrics).toMatchObject({ inputRecordCount: 10_000, outputRecordCount: 10_000, failedRecordCount: 0 });
    expect(b.metrics.identity.identitiesRejected).toBeGreaterThanOrEqual(1);
    const graphs = await t.deps.stores.graphs.coll.find({ sandbox: s.sandbox }, { projection: { members: 1 } }).toArray();
    expect(graphs.length).toBe(10_000);
    expect(Math.max(...graphs.map((g) => g.members.length))).toBeLessThanOrEqual(50);
    expect((await s.call('GET', `${ID}/identity/cluster/members?ns=Email&id=user7@example.com`)).body.members).toHaveLength(1);
    const h = await s.call('GET', `${ID}/identity/cluster/history?ns=Email&id=${shared}`);
    expect(h.body.history[0]).toMatchObject({ type: 'rejected', identity: `Email:${shared}`, reason: expect.stringContaining('other identities in one batch') });
  }, 300_000);

  it('batches completed at the same time, sharing identities, end up as the connected components', async () => {
    const s = await profileSandbox(t, sb('concurrent'));
    // Chains that cross the batches: person i of batch A links to person i+1 through batch B's phones.
    const a = Array.from({ length: 12 }, (_, i) => person(`a${i}@example.com`, { Phone: [`+3361234${String(i).padStart(4, '0')}`] }));
    const b = Array.from({ length: 12 }, (_, i) => person(`b${i}@example.com`, { Phone: [`+3361234${String(i).padStart(4, '0')}`, `+3361234${String(i + 1).padStart(4, '0')}`] }));
    const [ra, rb] = await Promise.all([s.ingest(a, 'a.json'), s.ingest(b, 'b.json')]);
    expect([ra.status, rb.status]).toEqual(['success', 'success']);
    // Everything is one chain: a0 – phone0 – b0 – phone1 – a1 – … – b11 – phone12 (37 identities, under the limit).
    const m = await s.call('GET', `${ID}/identity/cluster/members?ns=Email&id=a0@example.com`);
    expect(m.body.members).toHaveLength(37);
    const graphs = await t.deps.stores.graphs.coll.find({ sandbox: s.sandbox }).toArray();
    expect(graphs.map((g) => g.members.length)).toEqual([37]);
    expect(await t.deps.stores.identities.coll.countDocuments({ sandbox: s.sandbox, graphId: graphs[0].graphId })).toBe(37);
    expect(await t.deps.stores.profiles.profiles.countDocuments({ sandbox: s.sandbox })).toBe(1);
  }, 300_000);
});
