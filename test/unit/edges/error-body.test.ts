// What an upstream said when it refused, as the log keeps it: one printable
// line, without anything that looks like a credential.
import { describe, expect, it } from 'vitest';
import { summarizeErrorBody } from '../../../src/upstream/error-body.js';

const said = (text: string) => summarizeErrorBody(Buffer.from(text));
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('summarizeErrorBody', () => {
  it('keeps the codes and messages of an OCI error envelope', () => {
    expect(said('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}')).toBe('TOOMANYREQUESTS: slow down');
  });

  it.each([
    ['a Bearer header echoed', 'bad request: Authorization: Bearer abc.DEF-123_x/y+z=', 'abc.DEF-123_x/y+z='],
    ['a Basic header echoed', 'got basic YWxpY2U6c2VjcmV0 from you', 'YWxpY2U6c2VjcmV0'],
    ['a bare JWT', `token ${JWT} expired`, JWT],
    ['a query with a token', 'GET /token?scope=x&access_token=qq-secret-1&service=y failed', 'qq-secret-1'],
    ['a JSON field', '{"password": "pw-secret-2", "user": "alice"}', 'pw-secret-2'],
    ['a key in an envelope message', '{"errors":[{"code":"DENIED","message":"api_key=k3y-secret refused"}]}', 'k3y-secret'],
  ])('scrubs %s', (_what, text, secret) => {
    const line = said(text) as string;
    expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
  });

  it('leaves text without credentials alone, on one line', () => {
    expect(said('no such\nrepository ns/app\u0007')).toBe('no such repository ns/app');
  });
});
