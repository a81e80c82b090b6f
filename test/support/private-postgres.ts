/**
 * A private PostgreSQL for tests that must stop or restart a server (never the shared one): initdb
 * into a fresh directory under /var/tmp, started with pg_ctl on a free loopback port. As root it
 * runs as the `postgres` user (PostgreSQL refuses root). A detached watchdog stops it and removes
 * its directory when the test process ends, however it ends, so it never outlives the test run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/net.js';

const BIN = process.env.PERFBENCH_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export class PrivatePostgres {
  private constructor(readonly dir: string, readonly port: number, private readonly runAs: { uid?: number; gid?: number }) {}

  /** initdb + start; bounded: every pg_ctl step waits at most 60 s. */
  static async start(): Promise<PrivatePostgres> {
    const runAs = serviceUser();
    const dir = mkdtempSync('/var/tmp/perfbench-private-pg-');
    if (runAs.uid !== undefined) chownSync(dir, runAs.uid, runAs.gid!);
    const server = new PrivatePostgres(dir, await freeLoopbackPort(), runAs);
    server.watch();
    server.run('initdb', ['--pgdata', server.data, '--username=postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
    await server.startServer();
    return server;
  }

  /**
   * A streaming replica of `primary` (which must accept replication connections: initdb's default
   * pg_hba.conf does on loopback with --auth=trust, and wal_level is replica by default):
   * `pg_basebackup -R -X stream` into a fresh directory, started on a port of its own as a hot standby.
   */
  static async startReplicaOf(primary: PrivatePostgres): Promise<PrivatePostgres> {
    const runAs = serviceUser();
    const dir = mkdtempSync('/var/tmp/perfbench-private-pg-replica-');
    if (runAs.uid !== undefined) chownSync(dir, runAs.uid, runAs.gid!);
    const server = new PrivatePostgres(dir, await freeLoopbackPort(), runAs);
    server.watch();
    server.run('pg_basebackup', ['-D', server.data, '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    await server.startServer();
    return server;
  }

  /** Starts the server (again) on its port. */
  startServer(): Promise<void> {
    return this.ctl(['start', '-w', '-t', '60', '-l', join(this.dir, 'server.log'), '-o', this.options]);
  }

  /** Stops the server as a crash would (`-m immediate`), keeping its data for `startServer`. */
  stopServer(): Promise<void> {
    return this.ctl(['stop', '-w', '-t', '60', '-m', 'immediate']);
  }

  private get options(): string {
    return `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=60`;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  /** A connection URL for `database` on this server. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The directory of the server's Unix socket (a host name for libpq, pg and perfbench). */
  get socketDir(): string {
    return this.dir;
  }

  /**
   * Replaces pg_hba.conf with `lines` (`host all role 127.0.0.1/32 scram-sha-256`…) and reloads:
   * the next connections are authenticated as they say.
   */
  async authenticate(lines: readonly string[]): Promise<void> {
    writeFileSync(join(this.data, 'pg_hba.conf'), `${lines.join('\n')}\n`, { mode: 0o644 });
    await this.ctl(['reload']);
  }

  /** `pg_ctl restart -m fast`: every connection is cut, the server is back on the same port. */
  restart(): Promise<void> {
    return this.ctl(['restart', '-w', '-t', '60', '-m', 'fast', '-l', join(this.dir, 'server.log'), '-o', this.options]);
  }

  /** Stops the server for good and removes its directory. */
  async stop(): Promise<void> {
    await this.stopServer().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(binary: string, args: string[]): void {
    if (!existsSync(join(BIN, binary))) throw new Error(`${join(BIN, binary)} is missing: install PostgreSQL 15's server packages (apt-get install postgresql-15) or point PERFBENCH_TEST_PG_BIN at their bin directory`);
    const result = spawnSync(join(BIN, binary), args, { ...this.runAs, encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${binary} failed: ${result.stderr || result.error?.message}`);
  }

  private ctl(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(join(BIN, 'pg_ctl'), ['-D', this.data, ...args], { ...this.runAs, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let output = '';
      child.stdout.on('data', (chunk) => (output += String(chunk)));
      child.stderr.on('data', (chunk) => (output += String(chunk)));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl ${args[0]} failed: ${output.trim()}`))));
    });
  }

  /** Stops the server and removes its directory once this process is gone (a crashed or killed test run too). */
  private watch(): void {
    const stop = `${join(BIN, 'pg_ctl')} -D ${this.data} stop -m immediate -w -t 30`;
    const asUser = this.runAs.uid !== undefined ? `su postgres -s /bin/sh -c '${stop}'` : stop;
    const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${asUser} >/dev/null 2>&1; rm -rf '${this.dir}'`;
    spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
  }
}

function serviceUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error('tests that start a private PostgreSQL need a `postgres` user when run as root');
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}
