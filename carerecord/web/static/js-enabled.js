// Marks the page as having JavaScript, as nhsuk-frontend's own page template does inline
// (inline script is refused by the Content-Security-Policy, so it lives here).
document.body.className += ' js-enabled' +
  ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '')
