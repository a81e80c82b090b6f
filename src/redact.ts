/** Shared: hiding secrets in text that reaches output (messages, results). */

/** Hides the password of a URL that carries one (`http://user:***@host`), for messages. */
export function redactUrl(text: string): string {
  // Whatever stands before the @ may be a secret: a password, or a token given as the user name.
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1***@');
}

