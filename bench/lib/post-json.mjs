// One JSON POST over node:https with a given agent (keep-alive, trusted CA), as the login benches
// make them. Resolves with the status, the headers and the parsed body (a body that is not JSON is
// kept as `{ body: <first 200 characters> }`, so a failure can be reported with what came back).
import { request } from 'node:https';

export function postJson(agent, url, body) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = { body: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode, headers: res.headers, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
