import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

/** Committed workflow histories must replay against today's workflow code (no non-determinism). */
describe('workflow replay', () => {
  const dir = path.join(__dirname, 'histories');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('has committed histories', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s replays deterministically', async (file) => {
    const history = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, file)).resolves.toBeUndefined();
  });
});
