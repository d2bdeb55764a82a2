import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

/** Committed workflow histories must replay against today's workflow code (no non-determinism). */
describe('workflow replay', () => {
  const dir = path.join(__dirname, 'histories');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.history.b64'));

  it('has committed histories', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s replays deterministically', async (file) => {
    const history = temporal.api.history.v1.History.decode(Buffer.from(fs.readFileSync(path.join(dir, file), 'utf8'), 'base64'));
    await expect(Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, file)).resolves.toBeUndefined();
  });
});
