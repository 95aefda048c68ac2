import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  AccessTokenRequiredError,
  AuthXError,
  BadConfigurationError,
  CSRFError,
  FreshTokenRequiredError,
  InsufficientScopeError,
  JWTDecodeError,
  LoginTypeMismatchError,
  MissingCSRFTokenError,
  MissingTokenError,
  PolicyDeniedError,
  RateLimitExceededError,
  RefreshTokenRequiredError,
  RevokedTokenError,
  StoreUnavailableError,
  SubjectNotFoundError,
  TokenExpiredError,
  TokenInvalidAudienceError,
  TokenInvalidIssuerError,
  TokenInvalidSignatureError,
  TokenTypeError,
  isAuthXError,
  renderError,
} from '../src/errors.ts'
import * as barrel from '../src/index.ts'

interface Row {
  make: () => AuthXError
  status: number
  code: string
  message: string
  /** The WWW-Authenticate challenge, or undefined for none. */
  challenge: string | undefined
  extra?: Record<string, unknown>
  headers?: Record<string, string>
  parent: abstract new (...args: never[]) => AuthXError
}

const invalid = (message: string): string =>
  `Bearer error="invalid_token", error_description="${message}"`

/** DESIGN.md section 5, row by row. */
const TABLE: Record<string, Row> = {
  MissingTokenError: {
    make: () => new MissingTokenError(),
    status: 401,
    code: 'ERR_AUTHX_MISSING_TOKEN',
    message: 'Missing JWT in request',
    // No token was presented: RFC 6750 section 3.1 says no error code.
    challenge: 'Bearer',
    parent: AuthXError,
  },
  MissingCSRFTokenError: {
    make: () => new MissingCSRFTokenError(),
    status: 401,
    code: 'ERR_AUTHX_MISSING_CSRF_TOKEN',
    message: 'Missing CSRF token',
    challenge: 'Bearer error="invalid_request", error_description="Missing CSRF token"',
    parent: MissingTokenError,
  },
  JWTDecodeError: {
    make: () => new JWTDecodeError(),
    status: 401,
    code: 'ERR_AUTHX_INVALID_TOKEN',
    message: 'Invalid Token',
    challenge: invalid('Invalid Token'),
    parent: AuthXError,
  },
  TokenExpiredError: {
    make: () => new TokenExpiredError(),
    status: 401,
    code: 'ERR_AUTHX_TOKEN_EXPIRED',
    message: 'Token has expired',
    challenge: invalid('Token has expired'),
    parent: JWTDecodeError,
  },
  TokenInvalidSignatureError: {
    make: () => new TokenInvalidSignatureError(),
    status: 401,
    code: 'ERR_AUTHX_INVALID_SIGNATURE',
    message: 'Signature verification failed',
    challenge: invalid('Signature verification failed'),
    parent: JWTDecodeError,
  },
  TokenInvalidAudienceError: {
    make: () => new TokenInvalidAudienceError(),
    status: 401,
    code: 'ERR_AUTHX_INVALID_AUDIENCE',
    message: 'Invalid audience',
    challenge: invalid('Invalid audience'),
    parent: JWTDecodeError,
  },
  TokenInvalidIssuerError: {
    make: () => new TokenInvalidIssuerError(),
    status: 401,
    code: 'ERR_AUTHX_INVALID_ISSUER',
    message: 'Invalid issuer',
    challenge: invalid('Invalid issuer'),
    parent: JWTDecodeError,
  },
  RevokedTokenError: {
    make: () => new RevokedTokenError(),
    status: 401,
    code: 'ERR_AUTHX_TOKEN_REVOKED',
    message: 'Token has been revoked',
    challenge: invalid('Token has been revoked'),
    parent: AuthXError,
  },
  TokenTypeError: {
    make: () => new TokenTypeError(),
    status: 401,
    code: 'ERR_AUTHX_TOKEN_TYPE',
    message: 'Bad token type',
    challenge: invalid('Bad token type'),
    parent: AuthXError,
  },
  AccessTokenRequiredError: {
    make: () => new AccessTokenRequiredError(),
    status: 401,
    code: 'ERR_AUTHX_ACCESS_TOKEN_REQUIRED',
    message: 'Access token required',
    challenge: invalid('Access token required'),
    parent: TokenTypeError,
  },
  RefreshTokenRequiredError: {
    make: () => new RefreshTokenRequiredError(),
    status: 401,
    code: 'ERR_AUTHX_REFRESH_TOKEN_REQUIRED',
    message: 'Refresh token required',
    challenge: invalid('Refresh token required'),
    parent: TokenTypeError,
  },
  FreshTokenRequiredError: {
    make: () => new FreshTokenRequiredError(),
    status: 401,
    code: 'ERR_AUTHX_FRESH_TOKEN_REQUIRED',
    message: 'Fresh token required',
    challenge: invalid('Fresh token required'),
    parent: AuthXError,
  },
  CSRFError: {
    make: () => new CSRFError(),
    status: 401,
    code: 'ERR_AUTHX_CSRF',
    message: 'CSRF double submit does not match',
    challenge: invalid('CSRF double submit does not match'),
    parent: AuthXError,
  },
  SubjectNotFoundError: {
    make: () => new SubjectNotFoundError(),
    status: 401,
    code: 'ERR_AUTHX_SUBJECT_NOT_FOUND',
    message: 'Subject not found',
    challenge: invalid('Subject not found'),
    parent: AuthXError,
  },
  InsufficientScopeError: {
    make: () => new InsufficientScopeError(['read', 'admin:*'], ['write']),
    status: 403,
    code: 'ERR_AUTHX_INSUFFICIENT_SCOPE',
    message: 'Missing required scopes: read, admin:*. Provided: write',
    challenge: 'Bearer error="insufficient_scope", scope="read admin:*"',
    extra: { required_scopes: ['read', 'admin:*'], provided_scopes: ['write'] },
    parent: AuthXError,
  },
  LoginTypeMismatchError: {
    make: () => new LoginTypeMismatchError('admin', 'user'),
    status: 401,
    code: 'ERR_AUTHX_LOGIN_TYPE_MISMATCH',
    message: "Token type mismatch: expected 'admin', got 'user'",
    challenge: invalid("Token type mismatch: expected 'admin', got 'user'"),
    extra: { expected_type: 'admin', actual_type: 'user' },
    parent: TokenTypeError,
  },
  PolicyDeniedError: {
    make: () => new PolicyDeniedError({ message: 'No policy rule matched' }),
    status: 403,
    code: 'ERR_AUTHX_POLICY_DENIED',
    message: 'No policy rule matched',
    challenge: undefined,
    parent: AuthXError,
  },
  RateLimitExceededError: {
    make: () => new RateLimitExceededError(60),
    status: 429,
    code: 'ERR_AUTHX_RATE_LIMITED',
    message: 'Rate limit exceeded. Retry after 60 seconds.',
    challenge: undefined,
    extra: { retry_after: 60 },
    headers: { 'retry-after': '60' },
    parent: AuthXError,
  },
  StoreUnavailableError: {
    make: () => new StoreUnavailableError(),
    status: 503,
    code: 'ERR_AUTHX_STORE_UNAVAILABLE',
    message: 'Authentication store unavailable',
    challenge: undefined,
    parent: AuthXError,
  },
}

void describe('the error table', () => {
  for (const [name, row] of Object.entries(TABLE)) {
    void test(name, () => {
      const error = row.make()
      assert.equal(error.name, name)
      assert.equal(error.constructor.name, name)
      assert.ok(error instanceof row.parent)
      assert.ok(error instanceof AuthXError)
      assert.ok(error instanceof Error)
      assert.equal(error.statusCode, row.status)
      assert.equal(error.code, row.code)
      // The static code names the class's own code, readable without an instance.
      assert.equal((error.constructor as unknown as { code: unknown }).code, row.code)
      assert.equal(error.message, row.message)
      assert.equal(error.challenge(), row.challenge)
      assert.deepEqual(error.extraBody(), row.extra ?? {})
      assert.deepEqual(error.extraHeaders(), row.headers ?? {})
      assert.deepEqual(error.toJSON(), { detail: row.message, error_type: name, ...row.extra })
      assert.deepEqual(error.toBody('message'), {
        message: row.message,
        error_type: name,
        ...row.extra,
      })
      assert.ok(isAuthXError(error))
      // Every class is exported by the core entry point.
      assert.equal((barrel as Record<string, unknown>)[name], error.constructor)

      const rendered = renderError(error)
      assert.equal(rendered.status, row.status)
      assert.deepEqual(rendered.body, { detail: row.message, error_type: name, ...row.extra })
      const expectedHeaders: Record<string, string> = {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        ...row.headers,
      }
      if (row.challenge !== undefined) expectedHeaders['www-authenticate'] = row.challenge
      assert.deepEqual(rendered.headers, expectedHeaders)
    })
  }

  void test('every 401 carries a challenge; 503/429 and policy 403 carry none', () => {
    for (const [name, row] of Object.entries(TABLE)) {
      if (row.status === 401) assert.match(row.make().challenge() ?? '', /^Bearer/, name)
    }
  })

  void test('stable codes are unique', () => {
    const codes = Object.values(TABLE).map((row) => row.make().code)
    assert.equal(new Set(codes).size, codes.length)
  })
})

void describe('messages and bodies', () => {
  void test('the base class', () => {
    const error = new AuthXError()
    assert.equal(error.name, 'AuthXError')
    assert.equal(error.statusCode, 401)
    assert.equal(error.code, 'ERR_AUTHX')
    assert.equal(error.message, 'Authentication error')
    assert.equal(AuthXError.defaultMessage, 'Authentication error')
    assert.equal(TokenExpiredError.defaultMessage, 'Token has expired')
  })

  void test('a message, cause and reason can be given; reason and cause are never rendered', () => {
    const cause = new Error('ECONNREFUSED 127.0.0.1:6379')
    const error = new StoreUnavailableError({
      message: 'Try again later',
      cause,
      reason: 'redis down',
    })
    assert.equal(error.message, 'Try again later')
    assert.equal(error.cause, cause)
    assert.equal(error.reason, 'redis down')
    const rendered = renderError(error)
    assert.deepEqual(rendered.body, {
      detail: 'Try again later',
      error_type: 'StoreUnavailableError',
    })
    const text = JSON.stringify(rendered)
    assert.ok(!text.includes('redis down'))
    assert.ok(!text.includes('ECONNREFUSED'))
    assert.ok(!text.includes('stack'))
    assert.equal(new JWTDecodeError({ reason: 'x' }).message, 'Invalid Token')
    assert.equal(new JWTDecodeError().reason, undefined)
  })

  void test('toBody takes the message key and the message', () => {
    const error = new TokenExpiredError()
    assert.deepEqual(error.toBody(), {
      detail: 'Token has expired',
      error_type: 'TokenExpiredError',
    })
    assert.deepEqual(error.toBody('message'), {
      message: 'Token has expired',
      error_type: 'TokenExpiredError',
    })
    assert.deepEqual(error.toBody('error', 'Session over'), {
      error: 'Session over',
      error_type: 'TokenExpiredError',
    })
  })

  void test('JSON.stringify gives the default body wherever the error sits', () => {
    // JSON.stringify passes the holding property name to toJSON ('' at top level); it must not
    // become the message key.
    assert.deepEqual(JSON.parse(JSON.stringify(new JWTDecodeError())), {
      detail: 'Invalid Token',
      error_type: 'JWTDecodeError',
    })
    assert.deepEqual(JSON.parse(JSON.stringify({ e: new CSRFError() })), {
      e: { detail: 'CSRF double submit does not match', error_type: 'CSRFError' },
    })
    assert.deepEqual(JSON.parse(JSON.stringify([new RateLimitExceededError(5)])), [
      {
        detail: 'Rate limit exceeded. Retry after 5 seconds.',
        error_type: 'RateLimitExceededError',
        retry_after: 5,
      },
    ])
  })

  void test('scope messages: "none" for an empty list, the lists in the body', () => {
    const error = new InsufficientScopeError(['read'], [])
    assert.equal(error.message, 'Missing required scopes: read. Provided: none')
    assert.deepEqual(error.requiredScopes, ['read'])
    assert.deepEqual(error.providedScopes, [])
    assert.deepEqual(error.toBody(), {
      detail: 'Missing required scopes: read. Provided: none',
      error_type: 'InsufficientScopeError',
      required_scopes: ['read'],
      provided_scopes: [],
    })
    // The error keeps copies: mutating the caller's arrays changes nothing.
    const required = ['a']
    const copy = new InsufficientScopeError(required, required)
    required.push('b')
    assert.deepEqual(copy.requiredScopes, ['a'])
    assert.equal(new InsufficientScopeError(['a'], [], { message: 'Nope' }).message, 'Nope')
  })

  void test('login type mismatch without an actual type', () => {
    const error = new LoginTypeMismatchError('admin', null)
    assert.equal(error.message, "Token type mismatch: expected 'admin', got 'unknown'")
    assert.deepEqual(error.extraBody(), { expected_type: 'admin', actual_type: null })
  })

  void test('retry_after is whole seconds, at least one', () => {
    assert.equal(new RateLimitExceededError(0.2).retryAfter, 1)
    assert.equal(new RateLimitExceededError(0).retryAfter, 1)
    assert.equal(new RateLimitExceededError(59.1).retryAfter, 60)
    const error = new RateLimitExceededError(59.1)
    assert.equal(error.message, 'Rate limit exceeded. Retry after 60 seconds.')
    assert.deepEqual(renderError(error).headers['retry-after'], '60')
  })

  void test('descriptions keep to RFC 6750 section 3: line breaks become a space, quotes single quotes, the rest outside %x20-21 / %x23-5B / %x5D-7E "?"', () => {
    assert.equal(
      new JWTDecodeError({ message: 'say "hi" \\ bye' }).challenge(),
      `Bearer error="invalid_token", error_description="say 'hi' ? bye"`,
    )
    assert.equal(
      new JWTDecodeError({ message: 'a\r\nX-Injected: 1\t\u0000\u007f' }).challenge(),
      'Bearer error="invalid_token", error_description="a X-Injected: 1???"',
    )
    // One "?" per code point: an emoji outside the BMP is one character, not two halves.
    assert.equal(
      new LoginTypeMismatchError('管理者', 'ü🙂').challenge(),
      `Bearer error="invalid_token", error_description="Token type mismatch: expected '???', got '??'"`,
    )
  })

  void test('the scope attribute lists only scope-tokens, and is left out when none is one', () => {
    const challenge = (required: string[]): string =>
      new InsufficientScopeError(required, []).challenge()
    assert.equal(
      challenge(['read', 'admin:*']),
      'Bearer error="insufficient_scope", scope="read admin:*"',
    )
    assert.equal(
      challenge(['読む', 'read', 'a"b', 'c\\d', 'two words', 'tab\t', '', 'é', 'write']),
      'Bearer error="insufficient_scope", scope="read write"',
    )
    assert.equal(challenge(['読む']), 'Bearer error="insufficient_scope"')
    assert.equal(challenge(['a"b']), 'Bearer error="insufficient_scope"')
    // Nothing was required (an "any of none" route): the contract's scope="" stays.
    assert.equal(challenge([]), 'Bearer error="insufficient_scope", scope=""')
    // The body keeps every scope as given.
    assert.deepEqual(new InsufficientScopeError(['読む', 'read'], ['書く']).extraBody(), {
      required_scopes: ['読む', 'read'],
      provided_scopes: ['書く'],
    })
  })

  void test('Retry-After is always 1*DIGIT, whatever number the limiter passes', () => {
    for (const [input, header] of [
      [Number.NaN, '1'],
      [-5, '1'],
      [0.2, '1'],
      [Number.POSITIVE_INFINITY, '31622400'],
      [1e21, '31622400'],
    ] as const) {
      const error = new RateLimitExceededError(input)
      assert.equal(renderError(error).headers['retry-after'], header, String(input))
      assert.equal(error.toBody().retry_after, Number(header))
    }
  })

  void test('a subclass with its own challenge and headers cannot break the response', () => {
    class Custom extends AuthXError {
      override challenge(): string {
        return 'Bearer realm="管理\r\nX-Injected: 1"'
      }
      override extraHeaders(): Record<string, string> {
        return { 'X-Tenant': 'café\nnext', 'bad name': 'x', 'x-ok': 'fine\tvalue' }
      }
    }
    const { headers } = renderError(new Custom())
    assert.deepEqual(headers, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-tenant': 'caf? next',
      'x-ok': 'fine\tvalue',
      'www-authenticate': 'Bearer realm="?? X-Injected: 1"',
    })
  })

  void test('every header any error renders is a valid header value, for any text (property)', () => {
    // Any string, astral characters, controls and lone surrogates included.
    const text = fc.string({ unit: 'binary', maxLength: 40 })
    const errors = fc.oneof(
      fc
        .tuple(fc.array(text, { maxLength: 5 }), fc.array(text, { maxLength: 5 }))
        .map(([required, provided]) => new InsufficientScopeError(required, provided)),
      fc
        .tuple(text, fc.option(text, { nil: null }))
        .map(([expected, actual]) => new LoginTypeMismatchError(expected, actual)),
      text.map((message) => new JWTDecodeError({ message })),
      text.map((message) => new TokenExpiredError({ message })),
      fc.double().map((seconds) => new RateLimitExceededError(seconds)),
    )
    fc.assert(
      fc.property(
        errors,
        fc.dictionary(fc.constantFrom('JWTDecodeError', 'InsufficientScopeError'), text),
        (error, messages) => {
          const { headers, body } = renderError(error, 'detail', messages)
          for (const [name, value] of Object.entries(headers)) {
            assert.match(value, /^[\x20-\x7E]*$/, name)
          }
          // What undici and Node check before sending: neither throws.
          assert.doesNotThrow(() => new Headers(headers))
          assert.doesNotThrow(() => new Response(JSON.stringify(body), { headers }))
          assert.equal(body.detail, messages[error.name] ?? error.message)
        },
      ),
    )
  })
})

void describe('renderError', () => {
  void test('errorMessageKey names the message member', () => {
    assert.deepEqual(renderError(new MissingTokenError(), 'message').body, {
      message: 'Missing JWT in request',
      error_type: 'MissingTokenError',
    })
  })

  void test('per-instance message overrides, by exact class name', () => {
    const messages = { TokenExpiredError: 'Session expired', JWTDecodeError: 'Bad token' }
    assert.equal(
      renderError(new TokenExpiredError(), 'detail', messages).body.detail,
      'Session expired',
    )
    assert.equal(renderError(new JWTDecodeError(), 'detail', messages).body.detail, 'Bad token')
    // An override of a parent class does not rename its subclasses.
    assert.equal(
      renderError(new TokenInvalidSignatureError(), 'detail', messages).body.detail,
      'Signature verification failed',
    )
    // Only own string members override: an inherited or non-string member is no override.
    const inherited = Object.create({ TokenExpiredError: 'from the prototype' }) as Record<
      string,
      string
    >
    assert.equal(
      renderError(new TokenExpiredError(), 'detail', inherited).body.detail,
      'Token has expired',
    )
    assert.equal(
      renderError(new TokenExpiredError(), 'detail', {
        TokenExpiredError: 42 as unknown as string,
      }).body.detail,
      'Token has expired',
    )
    // Extra body fields survive an override.
    assert.deepEqual(
      renderError(new InsufficientScopeError(['a'], ['b']), 'error', {
        InsufficientScopeError: 'Forbidden',
      }).body,
      {
        error: 'Forbidden',
        error_type: 'InsufficientScopeError',
        required_scopes: ['a'],
        provided_scopes: ['b'],
      },
    )
  })
})

void describe('renderError: an override reaches the challenge too', () => {
  const messages = {
    TokenExpiredError: 'Session expired',
    MissingCSRFTokenError: 'Send the "X-CSRF-TOKEN" header',
    MissingTokenError: 'Please log in',
    InsufficientScopeError: 'Forbidden',
    RateLimitExceededError: 'Slow down',
  }

  void test('error_description says what the body says', () => {
    const expired = renderError(new TokenExpiredError(), 'detail', messages)
    assert.equal(expired.body.detail, 'Session expired')
    assert.equal(
      expired.headers['www-authenticate'],
      'Bearer error="invalid_token", error_description="Session expired"',
    )
    const csrf = renderError(new MissingCSRFTokenError(), 'detail', messages)
    assert.equal(csrf.body.detail, 'Send the "X-CSRF-TOKEN" header')
    assert.equal(
      csrf.headers['www-authenticate'],
      `Bearer error="invalid_request", error_description="Send the 'X-CSRF-TOKEN' header"`,
    )
  })

  void test('an override text goes through the same RFC 6750 gate as a default message', () => {
    const rendered = renderError(new JWTDecodeError(), 'detail', {
      JWTDecodeError: 'Jeton invalide\r\nX-Injected: yes',
    })
    assert.equal(
      rendered.headers['www-authenticate'],
      'Bearer error="invalid_token", error_description="Jeton invalide X-Injected: yes"',
    )
    assert.equal(rendered.headers['x-injected'], undefined)
  })

  void test('challenges without a description stay without one', () => {
    // No token presented: RFC 6750 section 3.1 wants no error information in the header.
    assert.equal(
      renderError(new MissingTokenError(), 'detail', messages).headers['www-authenticate'],
      'Bearer',
    )
    assert.equal(
      renderError(new InsufficientScopeError(['a'], []), 'detail', messages).headers[
        'www-authenticate'
      ],
      'Bearer error="insufficient_scope", scope="a"',
    )
    assert.equal(
      renderError(new RateLimitExceededError(3), 'detail', messages).headers['www-authenticate'],
      undefined,
    )
  })

  void test('without an override the challenge describes the error message', () => {
    const error = new TokenExpiredError({ message: 'Expired at noon' })
    assert.equal(
      renderError(error, 'detail', messages).headers['www-authenticate'],
      'Bearer error="invalid_token", error_description="Session expired"',
    )
    assert.equal(
      renderError(error).headers['www-authenticate'],
      'Bearer error="invalid_token", error_description="Expired at noon"',
    )
  })
})

void describe('isAuthXError', () => {
  void test('recognises every AuthXError, even from another copy of the module', () => {
    for (const row of Object.values(TABLE)) assert.ok(isAuthXError(row.make()))
    // A copy of this package loaded twice carries the same registered symbol.
    const foreign = Object.assign(new Error('x'), { [Symbol.for('authx-ts.error')]: true })
    assert.ok(isAuthXError(foreign))
  })

  void test('rejects everything else', () => {
    for (const value of [
      new Error('x'),
      new TypeError('x'),
      new BadConfigurationError('secretKey: x'),
      { statusCode: 401, code: 'ERR_AUTHX' },
      { [Symbol.for('authx-ts.error')]: 'yes' },
      null,
      undefined,
      'MissingTokenError',
      401,
    ]) {
      assert.equal(isAuthXError(value), false)
    }
  })
})

void describe('BadConfigurationError', () => {
  void test('is a plain Error with a stable code, not an AuthXError', () => {
    const error = new BadConfigurationError('secretKey: missing')
    assert.equal(error.name, 'BadConfigurationError')
    assert.equal(error.code, 'ERR_AUTHX_BAD_CONFIGURATION')
    assert.equal(BadConfigurationError.code, 'ERR_AUTHX_BAD_CONFIGURATION')
    assert.equal(error.message, 'secretKey: missing')
    assert.ok(error instanceof Error)
    assert.ok(!(error instanceof AuthXError))
  })
})
