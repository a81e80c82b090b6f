/**
 * Database adapter: the SQLSTATE codes perfbench reacts to, under PostgreSQL's own condition names
 * (Appendix A, "PostgreSQL Error Codes"), so a reader sees `queryCanceled` where a test once read
 * '57014', and the codes that decide an exit status or an HTTP status are listed in one place.
 */

/** Single conditions, by the name PostgreSQL's documentation gives them. */
export const SQLSTATE = {
  /** 28000: the server refused the role (pg_hba.conf, a missing role). */
  invalidAuthorizationSpecification: '28000',
  /** 28P01: wrong password. */
  invalidPassword: '28P01',
  /** 42501: the role lacks a privilege (e.g. CREATE on the schema for perfbench's bookkeeping). */
  insufficientPrivilege: '42501',
  /** 3D000: the database named in the connection does not exist. */
  invalidCatalogName: '3D000',
  /** 53300: max_connections reached. */
  tooManyConnections: '53300',
  /** 57014: statement_timeout expired, or a cancel request arrived. */
  queryCanceled: '57014',
  /** 57P01: the server is shutting down (smart or fast shutdown). */
  adminShutdown: '57P01',
  /** 57P02: the server is restarting after another backend crashed. */
  crashShutdown: '57P02',
  /** 57P03: the server is starting up or in recovery and refuses connections for now. */
  cannotConnectNow: '57P03',
} as const;

/** Classes: the first two characters of a code, which group conditions by cause. */
export const SQLSTATE_CLASS = {
  /** 08: the connection failed or was lost. */
  connectionException: '08',
  /** 22: a value does not fit its type (a bad number, an over-long string). */
  dataException: '22',
  /** 42: a syntax error, or an undefined table, column or function. */
  syntaxErrorOrAccessRuleViolation: '42',
} as const;

export type SqlStateClass = (typeof SQLSTATE_CLASS)[keyof typeof SQLSTATE_CLASS];

/** True when `code` belongs to the class. Any string is accepted: a socket error's code (ECONNRESET) never matches. */
export function inSqlStateClass(code: string, klass: SqlStateClass): boolean {
  return code.startsWith(klass);
}
