import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseDuration } from '../../src/internal/duration.ts'

void describe('parseDuration', () => {
  void test('a number is seconds, as given', () => {
    assert.equal(parseDuration(0), 0)
    assert.equal(parseDuration(900), 900)
    assert.equal(parseDuration(1.5), 1.5)
    // Sign is the caller's business (a negative expiresIn makes an expired token on purpose).
    assert.equal(parseDuration(-1), -1)
  })

  void test('non-finite numbers are not durations', () => {
    assert.equal(parseDuration(Number.NaN), undefined)
    assert.equal(parseDuration(Infinity), undefined)
    assert.equal(parseDuration(-Infinity), undefined)
  })

  void test('strings with a unit', () => {
    assert.equal(parseDuration('90s'), 90)
    assert.equal(parseDuration('15m'), 900)
    assert.equal(parseDuration('2h'), 7200)
    assert.equal(parseDuration('20d'), 1_728_000)
    assert.equal(parseDuration('1w'), 604_800)
    assert.equal(parseDuration('1.5h'), 5400)
    assert.equal(parseDuration(' 15 m '), 900)
  })

  void test('a bare number string is seconds', () => {
    assert.equal(parseDuration('30'), 30)
    assert.equal(parseDuration('0.25'), 0.25)
  })

  void test('anything else is not a duration', () => {
    for (const value of [
      '',
      ' ',
      'm',
      '15x',
      '15M',
      '15 minutes',
      '-1m',
      '+1m',
      '1e3',
      '.5s',
      '5.s',
      '1h30m',
      'Infinity',
      null,
      undefined,
      true,
      {},
      [15],
      15n,
    ]) {
      assert.equal(parseDuration(value), undefined, typeof value)
    }
  })
})
