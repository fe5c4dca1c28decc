import type { IncomingHttpHeaders } from 'node:http';
import busboy from 'busboy';
import type { Problem } from './input-problems.js';
import type { RestRoute } from './routes/types.js';

export function isMultipart(headers: IncomingHttpHeaders): boolean {
  return /^multipart\/form-data\b/i.test(headers['content-type'] ?? '');
}

/**
 * A `multipart/form-data` body (already read, within the route's limit) as the JSON body the route's
 * operation takes: the file part as `{filename, mime_type, content_base64}`, JSON parts parsed, other
 * parts as strings. Problems are in the REST validation form.
 */
export function parseMultipart(
  headers: IncomingHttpHeaders,
  raw: Buffer,
  form: NonNullable<RestRoute['multipart']>,
): Promise<{ body: Record<string, unknown> } | { problems: Problem[] }> {
  return new Promise((resolve) => {
    const body: Record<string, unknown> = {};
    const problems: Problem[] = [];
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers,
        limits: { files: 1, fields: 20, fieldSize: 64 * 1024 },
        defParamCharset: 'utf8',
      });
    } catch {
      resolve({
        problems: [{ loc: ['body'], msg: 'Invalid multipart/form-data body.', type: 'value_error' }],
      });
      return;
    }
    let pendingFiles = 0;
    let closed = false;
    const finish = () => {
      if (!closed || pendingFiles > 0) {
        return;
      }
      if (!(form.file in body) && !problems.length) {
        problems.push({ loc: ['body', form.file], msg: 'Field required', type: 'missing' });
      }
      resolve(problems.length ? { problems } : { body });
    };
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      pendingFiles += 1;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        pendingFiles -= 1;
        setImmediate(finish);
        if (name !== form.file) {
          problems.push({ loc: ['body', name], msg: 'Unexpected file part.', type: 'extra_forbidden' });
          return;
        }
        body[name] = {
          filename: info.filename ?? '',
          mime_type: info.mimeType || null,
          content_base64: Buffer.concat(chunks).toString('base64'),
        };
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        problems.push({ loc: ['body', name], msg: 'Field too long.', type: 'string_too_long' });
        return;
      }
      if (form.json?.includes(name)) {
        try {
          body[name] = value === '' ? null : JSON.parse(value);
        } catch {
          problems.push({ loc: ['body', name], msg: 'Invalid JSON.', type: 'json_invalid' });
        }
        return;
      }
      body[name] = value;
    });
    parser.on('filesLimit', () =>
      problems.push({ loc: ['body'], msg: 'Only one file per request.', type: 'value_error' }),
    );
    parser.on('error', () =>
      resolve({
        problems: [{ loc: ['body'], msg: 'Invalid multipart/form-data body.', type: 'value_error' }],
      }),
    );
    parser.on('close', () => {
      closed = true;
      finish();
    });
    parser.end(raw);
  });
}
