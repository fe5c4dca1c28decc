// The script of the mail pages, inlined by gateway/pages/index.ts under a CSP hash. Plain DOM, no
// framework; its only network is the same-origin REST API. Tokens come from the address bar and
// go to the API in a JSON body; everything shown is set as text, never as HTML.

const params = new URLSearchParams(location.search);
const statusBox = document.getElementById('status');
const form = document.getElementById('form');

/** Shows a title and optional lines in the status box (as text). */
function show(kind, title, lines = []) {
  statusBox.replaceChildren();
  statusBox.dataset.kind = kind;
  const heading = document.createElement('strong');
  heading.textContent = title;
  statusBox.append(heading);
  if (lines.length) {
    const list = document.createElement('ul');
    for (const line of lines) {
      const item = document.createElement('li');
      item.textContent = line;
      list.append(item);
    }
    statusBox.append(list);
  }
}

/** POSTs JSON to the REST API: `{ status, body }`, status 0 when the server cannot be reached. */
async function post(path, payload) {
  try {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      credentials: 'omit',
      cache: 'no-store',
    });
    const body = await res.json().catch(() => null);
    return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
  } catch {
    return { status: 0, body: null, retryAfter: null };
  }
}

/** Names of the request's fields (the REST `loc`) as the pages label them. */
const FIELDS = {
  token: 'Link',
  invite_token: 'Invite',
  new_password: 'New password',
  password: 'Password',
  email: 'Email',
  tenant_name: 'Organisation name',
  display_name: 'Your name',
  accept_terms: 'Terms of service',
};

/** One validation detail `{ loc, msg }` as a line, prefixed with the field it is about. */
function detailLine(detail) {
  if (!detail || typeof detail.msg !== 'string') {
    return '';
  }
  const name = Array.isArray(detail.loc) ? detail.loc[detail.loc.length - 1] : null;
  return Object.hasOwn(FIELDS, name) ? `${FIELDS[name]}: ${detail.msg}` : detail.msg;
}

/** The API's own words for a failure (error envelope): its message, then each validation detail. */
function failure(result) {
  if (result.status === 0) {
    return { title: 'The server could not be reached. Check your connection and try again.', lines: [] };
  }
  const body = result.body && typeof result.body === 'object' ? result.body : {};
  const details = Array.isArray(body.details) ? body.details : [];
  const lines = details.map(detailLine).filter(Boolean);
  if (result.status === 429 && result.retryAfter) {
    lines.push(`Try again in ${result.retryAfter} seconds.`);
  }
  const title =
    typeof body.message === 'string' && body.message
      ? body.message
      : `The request failed (HTTP ${result.status}).`;
  return { title, lines };
}

/** The token the link carries, or null after saying the link is incomplete. */
function tokenFrom(name) {
  const token = (params.get(name) ?? '').trim();
  if (!token) {
    form?.remove();
    show('error', 'This link is incomplete.', [
      'It carries no token: open the link from the mail again, or copy it whole into the address bar.',
    ]);
    return null;
  }
  return token;
}

/** Runs `submit` on the form, with the button disabled while it runs. */
function onSubmit(submit) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await submit(new FormData(form));
    } finally {
      button.disabled = false;
    }
  });
}

function deadLink(result, again) {
  form?.remove();
  show('error', 'This link is invalid, has expired or has already been used.', [
    failure(result).title,
    again,
  ]);
}

/** /verify-email?token=…: verifies when the person confirms (a click). */
function verifyEmail() {
  const token = tokenFrom('token');
  if (!token) {
    return;
  }
  onSubmit(async () => {
    show('info', 'Verifying your email address…');
    const result = await post('/api/v1/auth/email/verify', { token });
    if (result.status === 200) {
      form.remove();
      show('ok', 'Your email address is verified.', ['Sign in again to continue; you can close this page.']);
    } else if (result.status === 400 || result.status === 422) {
      deadLink(result, 'Sign in and ask for a new verification email.');
    } else {
      const { title, lines } = failure(result);
      show('error', title, lines);
    }
  });
}

/** The password typed twice, or null after saying the two differ. */
function chosenPassword(data) {
  const password = String(data.get('password'));
  if (password !== String(data.get('confirm'))) {
    show('error', 'The two passwords differ.');
    return null;
  }
  return password;
}

/** /reset-password?token=…: a new password, twice. */
function resetPassword() {
  const token = tokenFrom('token');
  if (!token) {
    return;
  }
  onSubmit(async (data) => {
    const password = chosenPassword(data);
    if (password === null) {
      return;
    }
    show('info', 'Setting your new password…');
    const result = await post('/api/v1/auth/password/confirm', { token, new_password: password });
    const { title, lines } = failure(result);
    if (result.status === 200) {
      form.remove();
      show('ok', 'Your password has been changed.', [
        'Every session was signed out: sign in with the new password.',
      ]);
    } else if (result.status === 400 && /token/i.test(title)) {
      deadLink(result, 'Ask for a new password reset mail.');
    } else {
      show('error', title, lines);
    }
  });
}

/** /signup?invite=…: registers a tenant and its owner with the invite. */
function signup() {
  const invite = tokenFrom('invite');
  if (!invite) {
    return;
  }
  onSubmit(async (data) => {
    const password = chosenPassword(data);
    if (password === null) {
      return;
    }
    const email = String(data.get('email')).trim();
    const displayName = String(data.get('display_name')).trim();
    show('info', 'Creating your account…');
    const result = await post('/api/v1/auth/register', {
      email,
      password,
      tenant_name: String(data.get('tenant_name')).trim(),
      ...(displayName ? { display_name: displayName } : {}),
      accept_terms: data.get('accept_terms') === 'on',
      invite_token: invite,
    });
    if (result.status === 201) {
      form.remove();
      show('ok', 'Your account is ready.', [`Sign in as ${email} with the password you chose.`]);
    } else {
      const { title, lines } = failure(result);
      show('error', title, lines);
    }
  });
}

const flows = { 'verify-email': verifyEmail, 'reset-password': resetPassword, signup };
flows[document.body.dataset.page]?.();
