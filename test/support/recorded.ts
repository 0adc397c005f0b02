/** A recorded exploit example for the redaction tests of every report that publishes one. */

/** A recorded request with a credential in every place one hides, and the attack in `q`. */
export const RECORDED = [
  'POST /api/search?token=tok-QUERY-4711&q=%27%20OR%201%3D1--&page=2 HTTP/1.1',
  'Host: app.local',
  'Authorization: Bearer eyJhbGciOi.bearer-SECRET.sig',
  'Cookie: sid=cookie-SECRET-1; theme=dark',
  'X-Api-Key: apikey-SECRET-9',
  'X-Auth-Token: authtoken-SECRET-8',
  'Proxy-Authorization: Basic cHJveHk6cHJveHktU0VDUkVU',
  'Content-Type: application/x-www-form-urlencoded',
  'User-Agent: tests/1.0',
  '',
  "password=hunter2-SECRET&q=' OR 1=1 --&api_key=form-SECRET-3"
].join('\r\n')

/** Every credential RECORDED holds: none may be published. */
export const RECORDED_SECRETS = [
  'tok-QUERY-4711',
  'bearer-SECRET',
  'cookie-SECRET-1',
  'apikey-SECRET-9',
  'authtoken-SECRET-8',
  'cHJveHk6cHJveHktU0VDUkVU',
  'hunter2-SECRET',
  'form-SECRET-3'
]
