import { freePort } from './process.js';

describe('freePort', () => {
  // The kernel picks listen(0) ports at random from the ephemeral range and offers a closed one again
  // soon: 5000 bare calls gave 1379 repeats here. A port handed to a child that binds it later must
  // not be handed to another child meanwhile.
  it('never hands out the same port twice in one process', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 3000; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });
});
