import { describe, expect, it } from 'vitest';
import { deploymentStub as deployment } from '../../../test/support/deployment-stub.js';
import { speechUnfit } from './operation.js';

describe('speechUnfit', () => {
  const playai = deployment({ id: 'playai-tts', voices: ['Fritz-PlayAI', 'Calum-PlayAI'], maxInputChars: 10 });

  it('names an unknown voice, then an overlong input', () => {
    expect(speechUnfit(playai, 'hello', 'Fritz-PlayAI')).toBeUndefined();
    expect(speechUnfit(playai, 'hello', 'Nobody')?.param).toBe('voice');
    expect(speechUnfit(playai, 'x'.repeat(11), 'Fritz-PlayAI')).toEqual({ reason: expect.stringMatching(/11 characters.*limit of 10/), param: 'input' });
  });

  it('checks nothing the catalogue does not document', () => {
    expect(speechUnfit(deployment({ id: 'canopylabs/orpheus-v1-english' }), 'x'.repeat(50_000), 'anyone')).toBeUndefined();
  });
});
