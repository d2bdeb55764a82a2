import { advanceWatermark, scheduleInterval, selectNewObjects, sourceFormatOf } from '../../domain/flow/model';

const obj = (key: string, lastModified: number, etag = 'e') => ({ key, etag, lastModified });

describe('incremental dataflow runs: watermark', () => {
  it('takes everything on a first run, oldest first', () => {
    const picked = selectNewObjects([obj('b', 20), obj('a', 10), obj('c', 20)], undefined);
    expect(picked.map((o) => o.key)).toEqual(['a', 'b', 'c']);
  });

  it('without backfill, a first run takes only objects modified since startTime', () => {
    const picked = selectNewObjects([obj('old', 999_000), obj('new', 1_000_000)], undefined, { frequency: 'hour', startTime: 1000, backfill: false });
    expect(picked.map((o) => o.key)).toEqual(['new']);
  });

  it('then takes only new or changed objects, including ones sharing the watermark instant', () => {
    const first = [obj('a', 10), obj('b', 20)];
    const wm = advanceWatermark(undefined, first);
    expect(wm).toEqual({ lastModified: 20, keys: ['b@e'] });
    const later = [...first, obj('c', 20), obj('d', 30), obj('a', 40, 'e2')];
    expect(selectNewObjects(later, wm).map((o) => `${o.key}@${o.etag}`)).toEqual(['c@e', 'd@e', 'a@e2']);
    // Nothing new: nothing picked, and the watermark stays put.
    const wm2 = advanceWatermark(wm, selectNewObjects(later, wm));
    expect(wm2).toEqual({ lastModified: 40, keys: ['a@e2'] });
    expect(selectNewObjects(later, wm2)).toEqual([]);
    expect(advanceWatermark(wm2, [])).toEqual(wm2);
  });

  it('keeps the keys already done at the same instant when it advances there again', () => {
    const wm = advanceWatermark(undefined, [obj('a', 50)]);
    expect(advanceWatermark(wm, [obj('b', 50)])).toEqual({ lastModified: 50, keys: ['a@e', 'b@e'] });
  });
});

describe('dataflow schedules and formats', () => {
  it('turns scheduleParams into a Temporal interval', () => {
    expect(scheduleInterval({ frequency: 'once' })).toBeNull();
    expect(scheduleInterval({ frequency: 'minute', interval: 15 })).toEqual({ everyMs: 900_000 });
    expect(scheduleInterval({ frequency: 'day' })).toEqual({ everyMs: 86_400_000 });
    expect(scheduleInterval({ frequency: 'week', interval: 2 })).toEqual({ everyMs: 1_209_600_000 });
  });

  it('reads a source connection format, with gzip from the properties or the key', () => {
    expect(sourceFormatOf({ format: 'delimited', columnDelimiter: ';', properties: { quoteChar: "'", header: 'false' } }, 'x.csv'))
      .toEqual({ format: 'delimited', delimiter: ';', quote: "'", escape: undefined, header: false, compression: 'none', multiLineJson: false });
    expect(sourceFormatOf({ format: 'json' }, 'x.json.gz').compression).toBe('gzip');
    expect(sourceFormatOf({ format: 'json', properties: { compressionType: 'GZIP' } }, 'x.json').compression).toBe('gzip');
  });
});
