/**
 * Builds one of native/* with AddressSanitizer and UndefinedBehaviorSanitizer and runs test files
 * against that build in a child process: an out-of-bounds access, a use after free or undefined
 * behaviour in the C code stops the child with a report, which fails the calling test.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { REPO_ROOT } from './paths';

/** npm's own node-gyp: npm names it when it runs the tests; else where npm installs it beside node. */
function nodeGyp(): string {
  const candidates = [process.env.npm_config_node_gyp, resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  const found = candidates.find((c): c is string => c !== undefined && existsSync(c));
  assert.ok(found, `node-gyp not found (tried ${candidates.join(', ')})`);
  return found;
}

/** Without NODE_TEST_CONTEXT the child's runner prints its TAP report instead of reporting to this runner. */
function withoutTestRunnerContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _context, ...rest } = env;
  return rest;
}

export interface SanitizedRun {
  /** Folder under native/. */
  addon: string;
  /** The .node file node-gyp makes (build/Release/<target>.node). */
  target: string;
  /** Extra compiler flags (defines the addon offers for sanitizer builds). */
  cflags?: string[];
  /** The environment variable the tests read the addon's path from. */
  pathVariable: string;
  testFiles: string[];
}

export function runAgainstSanitizedAddon(run: SanitizedRun): void {
  const dir = mkdtempSync(join(tmpdir(), 'gbvms-asan-'));
  try {
    cpSync(join(REPO_ROOT, 'native', run.addon), dir, { recursive: true, filter: (src) => !src.includes(`${join(run.addon, 'build')}`) });
    const gypPath = join(dir, 'binding.gyp');
    const gyp = JSON.parse(readFileSync(gypPath, 'utf8')) as { targets: Array<Record<string, unknown>> };
    const sanitize = '-fsanitize=address,undefined';
    const target = gyp.targets[0]!;
    target.cflags = ['-O1', '-g', '-fno-omit-frame-pointer', '-fno-sanitize-recover=undefined', ...(run.cflags ?? []), sanitize, ...(target.cflags as string[]).filter((f) => !f.startsWith('-O'))];
    target.ldflags = [sanitize];
    writeFileSync(gypPath, JSON.stringify(gyp));
    const nodeDir = resolve(dirname(process.execPath), '..');
    execFileSync(process.execPath, [nodeGyp(), 'rebuild', `--nodedir=${process.env.npm_config_nodedir ?? nodeDir}`], { cwd: dir, stdio: 'pipe' });
    const addon = join(dir, 'build', 'Release', run.target);
    const runtime = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
    assert.ok(existsSync(runtime), `AddressSanitizer runtime not found (${runtime})`);

    const child = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...run.testFiles], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 150_000,
      env: {
        ...withoutTestRunnerContext(process.env),
        [run.pathVariable]: addon,
        LD_PRELOAD: runtime,
        // Node itself is not built for LeakSanitizer; the addon's own leaks would show as growth in the bench.
        ASAN_OPTIONS: 'detect_leaks=0:verify_asan_link_order=0:halt_on_error=1:abort_on_error=0',
        UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
      },
    });
    const output = `${child.stdout}\n${child.stderr}`;
    assert.doesNotMatch(output, /Sanitizer|runtime error/, output.slice(-4000));
    assert.equal(child.status, 0, output.slice(-4000));
    assert.match(child.stdout, /# pass \d+/);
    assert.match(child.stdout, /# fail 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
