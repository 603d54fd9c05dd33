import {describe, expect, it} from 'vitest'

import {ApiError, BackendError, UnreachableError} from '../../src/api/errors.js'
import {parseConfigPairs} from '../../src/cli/config-args.js'
import {describeError, InputError} from '../../src/cli/errors.js'
import {parseScaleArgs} from '../../src/cli/scale-args.js'

describe('cli argument parsing and errors', () => {
  describe('config:set arguments', () => {
    it('splits at the first =', () => {
      expect(parseConfigPairs(['A=1', 'B=x=y', 'C='])).toEqual({A: '1', B: 'x=y', C: ''})
    })

    it.each([['NOVALUE', /NOVALUE is invalid. Must be in the format FOO=bar/], ['=x', /key is empty/]])(
      'rejects %s',
      (arg, message) => {
        expect(() => parseConfigPairs([arg])).toThrow(message)
        expect(() => parseConfigPairs([arg])).toThrow(InputError)
      },
    )
  })

  describe('ps:scale arguments', () => {
    it('builds string quantities like the heroku CLI', () => {
      expect(parseScaleArgs(['web=2', 'worker+1', 'clock-1', 'web=2:Standard-1X'])).toEqual([
        {quantity: '2', type: 'web'},
        {quantity: '+1', type: 'worker'},
        {quantity: '-1', type: 'clock'},
        {quantity: '2', size: 'Standard-1X', type: 'web'},
      ])
    })

    it.each(['web=abc', 'web=-1', 'web', 'web=1.5', '=3'])('rejects %s', arg => {
      expect(() => parseScaleArgs([arg])).toThrow(InputError)
    })

    it('leaves the quantity cap to the backend (the CLI also drives Heroku, whose limits differ)', () => {
      expect(parseScaleArgs(['web=100000'])).toEqual([{quantity: '100000', type: 'web'}])
    })
  })

  describe('error → exit code', () => {
    it('maps kinds to exit codes', () => {
      expect(describeError(new InputError('bad'))).toEqual({exit: 1, message: 'bad'})
      expect(describeError(new UnreachableError('http://127.0.0.1:1')).exit).toBe(2)
      expect(describeError(new BackendError('no token')).exit).toBe(2)
      expect(describeError(new BackendError('unknown backend', {input: true})).exit).toBe(1)
      expect(describeError(new ApiError(422, {id: 'invalid_params', message: 'Name is already taken'}, 'POST', 'u'))).toEqual({exit: 2, message: 'Name is already taken'})
    })

    it('names the unknown app and how to list apps', () => {
      const error = new ApiError(404, {id: 'not_found', message: "Couldn't find that app."}, 'GET', 'u')
      expect(describeError(error, {app: 'shop'}).message).toBe('Couldn\'t find that app: "shop". Run `ferry apps` to list apps.')
    })

    it('adds a hint to 401', () => {
      const error = new ApiError(401, {id: 'unauthorized', message: 'Invalid credentials provided.'}, 'GET', 'u')
      expect(describeError(error).message).toMatch(/^Invalid credentials provided\. .*ferry login/)
    })
  })
})
