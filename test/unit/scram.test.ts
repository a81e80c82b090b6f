import { describe, expect, it } from 'vitest';
import { MAX_ITERATIONS, saslPrep, scramClientFinal, scramClientFirst, scramVerifyServer } from '../../src/db/scram.js';

// RFC 7677 §3: the SCRAM-SHA-256 exchange of user "user" with password "pencil".
const RFC = {
  nonce: 'rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('SCRAM-SHA-256, client side', () => {
  it("computes RFC 7677's proof and accepts its server signature", () => {
    const first = scramClientFirst(RFC.nonce, 'user');
    expect(first.message).toBe(`n,,n=user,r=${RFC.nonce}`);
    const final = scramClientFinal(first, RFC.serverFirst, 'pencil');
    expect(final.message).toBe(RFC.clientFinal);
    expect(() => scramVerifyServer(final, RFC.serverFinal)).not.toThrow();
  });

  it('sends user * by default, as PostgreSQL clients do, with a fresh nonce each time', () => {
    const a = scramClientFirst();
    const b = scramClientFirst();
    expect(a.message).toMatch(/^n,,n=\*,r=[A-Za-z0-9+/=]{24}$/);
    expect(a.nonce).not.toBe(b.nonce);
  });

  it('refuses a server whose nonce does not extend the client nonce, or that sends no salt', () => {
    const first = scramClientFirst(RFC.nonce, 'user');
    expect(() => scramClientFinal(first, 'r=someoneElse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', 'pencil')).toThrow(/nonce/);
    expect(() => scramClientFinal(first, `r=${RFC.nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, 'pencil')).toThrow(/nonce/);
    expect(() => scramClientFinal(first, `r=${RFC.nonce}x,i=4096`, 'pencil')).toThrow(/malformed/);
  });

  it('refuses a server signature that does not match, and reports a server error', () => {
    const final = scramClientFinal(scramClientFirst(RFC.nonce, 'user'), RFC.serverFirst, 'pencil');
    expect(() => scramVerifyServer(final, 'v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toThrow(/does not match/);
    expect(() => scramVerifyServer(final, 'e=invalid-proof')).toThrow(/invalid-proof/);
  });

  it('prepares the password as node-postgres does: no-break spaces, characters mapped to nothing, NFKC', () => {
    expect(saslPrep('a\u00A0b\u3000c')).toBe('a b c');
    expect(saslPrep('so\u00ADft\u200Dj')).toBe('softj');
    expect(saslPrep('\uFB01sh pa\u0308ss')).toBe('fish päss');
    expect(saslPrep('plain ASCII')).toBe('plain ASCII');
  });

  it("refuses an iteration count above node-postgres' bound before deriving anything", () => {
    const first = scramClientFirst(RFC.nonce, 'user');
    expect(() => scramClientFinal(first, RFC.serverFirst.replace('i=4096', `i=${MAX_ITERATIONS + 1}`), 'pencil')).toThrow(/iterations/);
    // Derived, this count would hold the thread for minutes, past any connect timeout.
    expect(() => scramClientFinal(first, RFC.serverFirst.replace('i=4096', 'i=2000000000'), 'pencil')).toThrow(/iterations/);
  });
});
