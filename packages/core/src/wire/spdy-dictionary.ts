// The SPDY/3 header compression dictionary (SPDY protocol draft 3, §2.6.10.1). kubectl's spdystream
// primes zlib with exactly these 1 423 bytes in both directions; its adler32 (the zlib DICTID that
// opens the first header block, `78 f9 e3 c6 a7 c2`) is 0xE3C6A7C2.
//
// The draft lists it as bytes; it is regular enough to rebuild: a run of length-prefixed (uint32
// big-endian) header names and common values, followed by a plain-text tail of status codes, reason
// phrases, dates and media types.
const PREFIXED_WORDS = [
  'options',
  'head',
  'post',
  'put',
  'delete',
  'trace',
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'connection',
  'content-base',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expect',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'pragma',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'server',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'warning',
  'www-authenticate',
  'method',
  'get',
  'status',
  '200 OK',
  'version',
  'HTTP/1.1',
  'url',
  'public',
  'set-cookie',
  'keep-alive',
  'origin',
] as const;

const TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** Length in bytes of the SPDY/3 dictionary. */
export const SPDY_DICTIONARY_LENGTH = 1423;

/** The zlib DICTID (adler32) of the SPDY/3 dictionary, as it appears after `78 f9`. */
export const SPDY_DICTIONARY_ID = 0xe3c6a7c2;

/**
 * Returns a fresh copy of the SPDY/3 header compression dictionary (1 423 bytes). A new buffer per call,
 * so no caller can corrupt another's copy.
 */
export function spdyHeaderDictionary(): Buffer {
  const parts: Buffer[] = [];
  for (const word of PREFIXED_WORDS) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(word.length);
    parts.push(length, Buffer.from(word, 'latin1'));
  }
  parts.push(Buffer.from(TAIL, 'latin1'));
  return Buffer.concat(parts);
}
