import { MongoClient } from 'mongodb';
import { Connection, Client } from '@temporalio/client';
async function main() {
  const mode = process.argv[2];
  const mc = new MongoClient('mongodb://127.0.0.1:27017/');
  const col = mc.db('openxp').collection('persist');
  const conn = await Connection.connect({ address: '127.0.0.1:7233' });
  const client = new Client({ connection: conn });
  if (mode === 'write') {
    await col.insertOne({ at: new Date() });
    await client.workflow.start('nothing', { taskQueue: 'none', workflowId: 'persist-' + Date.now(), searchAttributes: { OpenXPSandbox: ['x'] } });
  }
  console.log('mongo docs', await col.countDocuments());
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: 'OpenXPSandbox = "x"' })) ids.push(wf.workflowId);
  console.log('workflows', ids);
  await mc.close(); await conn.close();
}
main();
