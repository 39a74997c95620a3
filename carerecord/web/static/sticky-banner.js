// Keeps zone 1 of the patient banner (name, born, gender, NHS number) on screen however far the
// page scrolls: once zone 1 has scrolled out of view, a copy of it is pinned to the top of the
// window, and taken away when zone 1 is back. The copy is for the eye only (aria-hidden): the
// banner itself stays where screen readers and keyboards find it. Without JavaScript the banner
// simply scrolls with the page; in print only the banner itself is printed.
(function () {
  var banner = document.querySelector('[data-testid="patient-banner"]')
  var zone1 = banner && banner.querySelector('[data-testid="banner-zone1"]')
  if (!zone1 || !('IntersectionObserver' in window)) return
  var bar = document.createElement('div')
  bar.className = 'cr-banner-pinned'
  if (banner.classList.contains('cr-banner--deceased')) bar.className += ' cr-banner--deceased'
  bar.setAttribute('data-testid', 'banner-pinned')
  bar.setAttribute('aria-hidden', 'true')
  bar.hidden = true
  var inner = document.createElement('div')
  inner.className = 'nhsuk-width-container'
  var copy = zone1.cloneNode(true)
  copy.removeAttribute('data-testid')
  // The page has one main heading: the copy's name is a paragraph styled like it.
  var heading = copy.querySelector('h1')
  if (heading) {
    var name = document.createElement('p')
    name.className = heading.className
    name.textContent = heading.textContent
    heading.replaceWith(name)
  }
  inner.appendChild(copy)
  bar.appendChild(inner)
  document.body.appendChild(bar)
  new IntersectionObserver(function (entries) {
    bar.hidden = entries[0].isIntersecting
  }).observe(zone1)
})()
