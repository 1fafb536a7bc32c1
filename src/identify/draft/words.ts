/**
 * Login, logout and failure wording (`draft-profile`): which lines of a sample file look
 * like a user arriving, leaving, or failing to log in. Failure words win (a "failed login"
 * is a failure), then logout words, then login words; a line with none is `unknown`.
 */
export type LineKind = 'login' | 'logout' | 'failure' | 'unknown';

const FAILURE = /\b(?:fail(?:s|ed|ure)?|denied|den(?:y|ies)|reject(?:s|ed)?|invalid|incorrect|bad password|unsuccessful|refused|locked out|not authenticated)\b|_FAIL/i;
const LOGOUT = /\b(?:log(?:ged)?[ -]?(?:off|out)|logout|logoff|disconnect(?:s|ed)?|terminated|session (?:ended|closed|terminated)|tunnel-down|connection closed|closing connection|ended|expired|stop(?:ped)?|acct-stop)\b/i;
/** Upper-case mnemonics glued to other words (`%SEC_LOGIN-5-LOGIN_SUCCESS`, `LOGOUT_EVENT`), case as written. */
const LOGOUT_MNEMONIC = /LOGOFF|LOGOUT/;
const LOGIN_MNEMONIC = /LOGIN|LOGON/;
const LOGIN = /\b(?:log(?:ged)?[ -]?(?:on|in)|login|logon|connected|established|accepted|assigned|authenticated|authentication succeeded|session started|tunnel-up|started|start|success(?:ful(?:ly)?)?|alive)\b/i;

export function lineKind(line: string): LineKind {
  if (FAILURE.test(line)) return 'failure';
  if (LOGOUT.test(line) || LOGOUT_MNEMONIC.test(line)) return 'logout';
  if (LOGIN.test(line) || LOGIN_MNEMONIC.test(line)) return 'login';
  return 'unknown';
}
