/**
 * `npm run demo` (as root): brings up a PQConnect server and client in network namespaces
 * with a real DNS server, fetches a web page and pings through the tunnel, shows on the
 * wire that only PQConnect's UDP crossed between the hosts, reaches a name without
 * PQConnect directly, and takes everything down again.
 */
import { createLab } from './lab.ts';
import {
  BIN,
  createServerKeys,
  startClientDaemon,
  startDns,
  startServerDaemon,
  startWebServer,
} from './scenario.ts';

const say = (text: string) => process.stdout.write(`\n== ${text}\n`);
const show = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo: must run as root (it creates network namespaces)\n');
    return 2;
  }
  say(
    'Creating three hosts in network namespaces: client 10.77.0.1, server 10.77.0.2, DNS 10.77.0.3',
  );
  const lab = await createLab('pqd');
  try {
    say('Generating the server keys (Classic McEliece, X25519) with pqconnect-keygen');
    const scenario = await createServerKeys(lab);
    show(`The server announces itself as ${scenario.pq1Name}`);
    say('Starting dnsmasq: www.demo.test CNAME the pq1 name; plain.demo.test has no PQConnect');
    await startDns(lab, scenario);
    say('Starting a web server and pqconnect-server on the server host');
    await startWebServer(lab);
    await startServerDaemon(lab, scenario);
    say('Starting pqconnect on the client host');
    await startClientDaemon(lab);

    say('Capturing the client link while traffic flows');
    const capture = lab.start(
      lab.client,
      'tcpdump',
      ['-n', '-l', '-i', 'eth0', 'not', 'port', '53', 'and', 'not', 'arp'],
      'capture',
    );
    await new Promise((r) => setTimeout(r, 1_000));

    say('DNS answer for www.demo.test as the application sees it (rewritten to a tunnel address)');
    show((await lab.run(lab.client, 'getent', ['hosts', 'www.demo.test'])).stdout);
    say('curl http://www.demo.test/ through the tunnel');
    const curl = await lab.run(
      lab.client,
      'curl',
      ['-sS', '--max-time', '20', 'http://www.demo.test/'],
      30_000,
    );
    show(curl.code === 0 ? curl.stdout : `curl failed: ${curl.stderr}`);
    say('ping www.demo.test through the tunnel');
    show(
      (await lab.run(lab.client, 'ping', ['-c', '3', '-i', '0.3', 'www.demo.test'], 20_000)).stdout,
    );
    say('curl http://plain.demo.test/ (no PQConnect announcement: reached directly)');
    show(
      (await lab.run(lab.client, 'curl', ['-sS', '--max-time', '10', 'http://plain.demo.test/']))
        .stdout,
    );

    await new Promise((r) => setTimeout(r, 500));
    capture.kill('SIGINT');
    await new Promise((r) => capture.once('exit', r));
    const lines = lab
      .logs('capture')
      .split('\n')
      .filter((l) => / IP /.test(l));
    const pq = lines.filter((l) => /\.(42424|42425|42423)[ :]/.test(l));
    say(
      `On the wire: ${lines.length} packets between the hosts, ${pq.length} of them PQConnect UDP (ports 42423-42425)`,
    );
    for (const line of lines.filter((l) => !pq.includes(l)).slice(0, 5))
      show(`  not PQConnect: ${line}`);
    show(
      '  (the only non-PQConnect packets are the plain.demo.test fetch, which has no PQConnect)',
    );

    say('Client status (pqconnect status)');
    show((await lab.run(lab.client, BIN('pqconnect'), ['status'])).stdout);
    const ok = curl.code === 0 && curl.stdout.includes('hello from the PQConnect demo server');
    say(
      ok
        ? 'Demo succeeded: traffic flowed through the post-quantum tunnel'
        : 'Demo FAILED (see the logs above)',
    );
    if (!ok) show(lab.logs('client') + lab.logs('server'));
    return ok ? 0 : 1;
  } finally {
    say(
      'Tearing down: stopping the daemons (they remove their rules and devices) and deleting the namespaces',
    );
    await lab.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`demo: ${error.message}\n`);
    process.exitCode = 1;
  },
);
