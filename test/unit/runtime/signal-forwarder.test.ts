import { afterEach, describe, expect, it } from 'vitest';
import { SignalForwarder } from '../../../src/runtime/signal-forwarder.js';

/** A child without a pid: "kill now" then signals it directly (no container leader to look up). */
function fakeChild() {
  const got: NodeJS.Signals[] = [];
  return { got, child: { pid: undefined, kill: (s: NodeJS.Signals) => { got.push(s); } } };
}

/** process.emit runs the listeners as a real signal would, without signalling the test runner. */
const send = (sig: NodeJS.Signals) => process.emit(sig as 'SIGINT', sig as 'SIGINT');
const settle = () => new Promise(r => setImmediate(r));

describe('SignalForwarder', () => {
  let f: SignalForwarder | undefined;
  afterEach(() => { f?.dispose(); f = undefined; });

  it('holds a signal that comes before the container runs, with docker\'s exit code', () => {
    f = new SignalForwarder();
    expect(f.exitCode).toBeUndefined();
    send('SIGTERM');
    send('SIGINT');
    expect(f.received).toBe('SIGTERM');
    expect(f.exitCode).toBe(143);
  });

  it('keeps racker alive: its listeners are there from the start and gone after dispose', () => {
    const before = process.listenerCount('SIGINT');
    f = new SignalForwarder();
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    expect(process.listenerCount('SIGHUP')).toBeGreaterThan(0);
    f.dispose();
    f = undefined;
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('delivers a held signal once the container runs: the first stops it', async () => {
    f = new SignalForwarder();
    send('SIGINT');
    const { got, child } = fakeChild();
    f.forwardTo(child, 60);
    await settle();
    expect(got).toEqual(['SIGTERM']);
    expect(f.exitCode).toBe(130);
  });

  it('two held signals: stop, then kill at once', async () => {
    f = new SignalForwarder();
    send('SIGINT');
    send('SIGINT');
    const { got, child } = fakeChild();
    f.forwardTo(child, 60);
    await settle();
    expect(got).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('forwards signals that come while it runs, with the given stop', async () => {
    f = new SignalForwarder();
    const { got, child } = fakeChild();
    let stops = 0;
    f.forwardTo(child, 60, () => { stops++; });
    expect(got).toEqual([]);
    send('SIGTERM');
    expect(stops).toBe(1);
    send('SIGTERM');
    await settle();
    expect(got).toEqual(['SIGKILL']);
  });

  it('after the container ended, a signal still does not end racker and signals nothing', async () => {
    f = new SignalForwarder();
    const { got, child } = fakeChild();
    f.forwardTo(child, 60);
    f.ended();
    send('SIGINT');
    send('SIGINT');
    await settle();
    expect(got).toEqual([]);
    expect(f.exitCode).toBe(130);
  });
});
