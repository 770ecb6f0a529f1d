/** SWUpdate's websocket messages (as its 2022.12 web server sends them) and the multipart envelope. */
import { describe, expect, it } from 'vitest';
import {
  multipartEnvelope,
  parseSwupdateWsMessage,
} from '../../../../../main/adapters/swupdate-web/swupdate-web-client';

describe('SWUpdate websocket messages', () => {
  it('parses the message kinds SWUpdate sends, all values strings', () => {
    expect(parseSwupdateWsMessage('{\n\t"type": "status",\n\t"status": "SUCCESS"\n}')).toEqual({
      type: 'status',
      status: 'SUCCESS',
    });
    expect(
      parseSwupdateWsMessage(
        '{"type": "step", "number": "1", "step": "1", "name": "payload.bin", "percent": "49"}',
      ),
    ).toEqual({ type: 'step', number: '1', step: '1', name: 'payload.bin', percent: '49' });
    expect(
      parseSwupdateWsMessage('{"type": "message", "level": "3", "text": "ERROR : Checksum WRONG !"}'),
    ).toEqual({
      type: 'message',
      level: '3',
      text: 'ERROR : Checksum WRONG !',
    });
    expect(
      parseSwupdateWsMessage('{"type": "info", "source": "{\\"0\\": {\\"VERSION\\" : \\"1.2.3\\"}}"}'),
    ).toMatchObject({ type: 'info' });
  });

  it('ignores what is not one of them', () => {
    expect(parseSwupdateWsMessage('not json')).toBeNull();
    expect(parseSwupdateWsMessage('{"type": "status"}')).toBeNull();
    expect(parseSwupdateWsMessage('{"type": "other"}')).toBeNull();
    expect(parseSwupdateWsMessage('42')).toBeNull();
  });
});

describe('multipart envelope', () => {
  it('frames one file part whose length is known before sending', () => {
    const { head, tail } = multipartEnvelope('BOUNDARY', 'file', 'edge "os".swu');
    expect(head.toString()).toBe(
      '--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="edge _os_.swu"\r\nContent-Type: application/octet-stream\r\n\r\n',
    );
    expect(tail.toString()).toBe('\r\n--BOUNDARY--\r\n');
  });
});
