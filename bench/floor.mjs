// The floor: the least any Node.js webhook receiver must do. A bare node:http server that
// reads the whole body and answers 200 with a small JSON body, in its own process like the
// bridge, so the ratio bridge/floor is what the bridge's own work costs.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"status":"accepted","bytes":${body.length}}`);
  });
});
server.keepAliveTimeout = 30_000;
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
