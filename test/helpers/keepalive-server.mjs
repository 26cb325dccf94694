// A JSON endpoint in a process of its own (its keep-alive clock runs while the test's event loop
// is blocked), with a short keep-alive: `timeout=2` announced, the connection closed ~3 s idle
// (Node adds a second); KEEPALIVE_MS sets another. Counts the requests it received; a request whose body says
// {"reset": true} is counted and then answered with a reset instead of a response. With
// KEEPALIVE_UNANNOUNCED=1 its responses carry no Keep-Alive header.
import { createServer } from 'node:http';

let received = 0;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received += 1;
    if (body.includes('"reset":true')) {
      req.socket.resetAndDestroy();
      return;
    }
    const json = JSON.stringify({ received });
    if (process.env.KEEPALIVE_UNANNOUNCED === '1') {
      // Written by hand: no `Keep-Alive: timeout=…` header, as servers that don't announce one.
      req.socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${json.length}\r\n\r\n${json}`,
      );
      res.detachSocket?.(req.socket);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(json);
  });
});
server.keepAliveTimeout = Number(process.env.KEEPALIVE_MS || 2_000);
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'count') process.send?.({ received });
});
