import { S3Client, paginateListObjectsV2, GetObjectCommand, CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';

export interface S3Settings {
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** An S3 client that also works with S3-compatible stores (path style, checksums only when required). */
export function createS3Client(s: S3Settings): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: Boolean(s.endpoint),
    credentials: s.accessKeyId && s.secretAccessKey ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
}

export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) {
      out.push({ key: o.Key!, size: o.Size ?? 0, etag: (o.ETag ?? '').replaceAll('"', ''), lastModified: o.LastModified?.getTime() ?? 0 });
    }
  }
  return out;
}

export async function openObject(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body as Readable;
}

/** Streams a body to S3 (multipart for large bodies), so exports never hold a whole file in memory. */
export async function uploadStream(s3: S3Client, bucket: string, key: string, body: Readable | string | Buffer, contentType: string): Promise<void> {
  await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType } }).done();
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
