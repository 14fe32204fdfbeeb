import { describe, expect, it } from 'vitest';
import { planNspawnEnv, settingsWord } from '../../../src/runtime/nspawn-env.js';

describe('settingsWord', () => {
  it('single-quotes runs and double-quotes a single quote', () => {
    expect(settingsWord('A=x y')).toBe("'A=x y'");
    expect(settingsWord("A=it's")).toBe(`'A=it'"'"'s'`);
    expect(settingsWord("A='")).toBe(`'A='"'"`);
    expect(settingsWord('A=a\\')).toBe("'A=a\\'");
  });
});

describe('planNspawnEnv', () => {
  it('puts everything in the settings file when no value has a newline', () => {
    const p = planNspawnEnv([['PATH', '/bin'], ['S', 'a "b" $c = d']]);
    expect(p.args).toEqual(['--settings=trusted']);
    expect(p.settings).toBe(`[Exec]\nEnvironment='PATH=/bin'\nEnvironment='S=a "b" $c = d'\n`);
    expect(p.processEnv).toEqual({});
  });

  it('with a newline, passes names on the command line and values in nspawn\'s environment (PATH stays on the line)', () => {
    const p = planNspawnEnv([['PATH', '/bin'], ['S', 'a\nb']]);
    expect(p.args).toEqual(['--setenv=PATH=/bin', '--setenv=S']);
    expect(p.processEnv).toEqual({ S: 'a\nb' });
    expect(p.settings).toBe('[Exec]\n');
  });

  it('refuses then a name that would act on the host\'s nspawn', () => {
    for (const name of ['LD_PRELOAD', 'GLIBC_TUNABLES', 'SYSTEMD_LOG_LEVEL', 'GCONV_PATH', 'DBUS_SYSTEM_BUS_ADDRESS', 'LIBMOUNT_FSTAB']) {
      expect(() => planNspawnEnv([[name, 'x'], ['S', 'a\nb']])).toThrow(name);
    }
    expect(() => planNspawnEnv([['PATH', '/a\n/b']])).toThrow('PATH');
    // locale and time zone names pass; ones that name a file do not
    expect(planNspawnEnv([['LANG', 'C.UTF-8'], ['TZ', 'Europe/Berlin'], ['S', 'a\nb']]).processEnv).toEqual({ LANG: 'C.UTF-8', TZ: 'Europe/Berlin', S: 'a\nb' });
    expect(() => planNspawnEnv([['LC_ALL', '/var/lib/x'], ['S', 'a\nb']])).toThrow('LC_ALL');
    expect(() => planNspawnEnv([['TZ', '../../x'], ['S', 'a\nb']])).toThrow('TZ');
    // without a newline such names are only in the settings file, for the container
    expect(planNspawnEnv([['LD_PRELOAD', '/x.so']]).args).toEqual(['--settings=trusted']);
  });
});
