/** Image uploads and the stored images. */
import fs from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { StudioContext } from '../server.js';
import { ClientError, IMAGE_TYPES, saveUpload, uploadInfo } from '../uploads.js';

const HASH_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' } } } as const;

/** The one file of a multipart request, within `maxBytes`; 4xx otherwise. */
export async function oneFile(req: FastifyRequest, maxBytes: number): Promise<{ bytes: Buffer; name: string }> {
  if (!req.isMultipart()) throw new ClientError(415, 'send the file as multipart/form-data (field "file")');
  const part = await req.file({ limits: { fileSize: maxBytes } });
  if (!part) throw new ClientError(400, 'no file in the request (field "file")');
  const bytes = await part.toBuffer();
  return { bytes, name: part.filename };
}

export function registerUploadRoutes(app: FastifyInstance, ctx: StudioContext): void {
  app.post('/api/uploads', async (req, reply) => {
    const { bytes, name } = await oneFile(req, ctx.limits.maxUploadBytes);
    const info = await saveUpload(ctx.store, bytes, name, ctx.limits);
    return reply.code(201).send(info);
  });

  app.get<{ Params: { id: string } }>('/api/uploads/:id/info', { schema: { params: HASH_PARAMS } }, async (req) => {
    const info = await uploadInfo(ctx.store, req.params.id);
    if (!info) throw new ClientError(404, 'no such upload');
    return info;
  });

  app.get<{ Params: { id: string } }>('/api/uploads/:id', { schema: { params: HASH_PARAMS } }, async (req, reply) => {
    const info = await uploadInfo(ctx.store, req.params.id);
    if (!info) throw new ClientError(404, 'no such upload');
    return reply
      .type(IMAGE_TYPES[info.format] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(fs.createReadStream(ctx.store.uploadPath(info.id)));
  });
}
