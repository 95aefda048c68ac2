// The quickstart page's script: plain JavaScript, served as is. It never sees a token: the
// server keeps them in HttpOnly cookies. It reads the CSRF cookies (readable on purpose) and
// copies the right one into the X-CSRF-TOKEN header of each call, which another site cannot do.

const $ = (id) => document.getElementById(id)

/** A cookie the script can read, or '' when there is none. */
function readCookie(name) {
  const found = document.cookie.split('; ').find((pair) => pair.startsWith(`${name}=`))
  return found === undefined ? '' : decodeURIComponent(found.slice(name.length + 1))
}

/** Calls the API with the browser's cookies and the CSRF value of `csrfCookie`, shows the answer. */
async function call(method, path, { csrfCookie, json } = {}) {
  const headers = {}
  if (csrfCookie !== undefined) headers['X-CSRF-TOKEN'] = readCookie(csrfCookie)
  if (json !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: json === undefined ? undefined : JSON.stringify(json),
  })
  const body = await response.json().catch(() => null)
  const status = $('status')
  status.textContent = `${method} ${path} → ${response.status}`
  status.className = response.ok ? 'status ok' : 'status error'
  $('output').textContent = JSON.stringify(body, null, 2)
  showCookies()
  return { ok: response.ok, body }
}

function showCookies() {
  $('cookies').textContent = document.cookie === '' ? '(none)' : document.cookie
}

function showSignedIn(user) {
  $('who').textContent = user ?? ''
  $('signed-in').hidden = user === undefined
  $('signed-out').hidden = user !== undefined
}

async function loadMe() {
  const { ok, body } = await call('GET', '/me', { csrfCookie: 'csrf_access_token' })
  showSignedIn(ok ? body.user_id : undefined)
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = new FormData(event.target)
  const json = { username: form.get('username'), password: form.get('password') }
  const { ok } = await call('POST', '/session', { json })
  if (ok) await loadMe()
})

$('call-me').addEventListener('click', loadMe)

$('refresh').addEventListener('click', async () => {
  await call('POST', '/session/refresh', { csrfCookie: 'csrf_refresh_token' })
})

$('logout').addEventListener('click', async () => {
  const { ok } = await call('DELETE', '/session', { csrfCookie: 'csrf_access_token' })
  if (ok) showSignedIn(undefined)
})

showCookies()
// Back on the page with a session still alive: show who is signed in.
if (readCookie('csrf_access_token') !== '') await loadMe()
