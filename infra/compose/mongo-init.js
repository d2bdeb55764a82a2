// One-shot: initiate the single-node replica set rs0 (no-op if already initiated).
try {
  const s = rs.status();
  print(`replica set already initiated: ${s.set}`);
} catch (e) {
  if (e.codeName !== 'NotYetInitialized' && e.code !== 94) throw e;
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] });
  print('replica set rs0 initiated');
}
// Wait for a primary so dependants start against a writable node.
for (let i = 0; i < 60; i++) {
  if (db.hello().isWritablePrimary) { print('primary ready'); quit(0); }
  sleep(1000);
}
print('no primary after 60s');
quit(1);
