// Before the record is printed: opens the parts a printout must carry (the banner's second
// zone, each section's sources) where the browser cannot open them by style alone, and writes
// the printed-at time (UK time, as on the page: 05-Jan-2009 09:43); after printing, puts the
// page back as the reader left it.
(function () {
  var opened = []
  function ukTime (moment) {
    var parts = {}
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London', day: '2-digit', month: 'short', year: 'numeric',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
    }).formatToParts(moment).forEach(function (part) { parts[part.type] = part.value })
    return parts.day + '-' + parts.month.slice(0, 3) + '-' + parts.year + ' ' + parts.hour + ':' + parts.minute
  }
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details[data-print-open]:not([open])').forEach(function (details) {
      details.open = true
      opened.push(details)
    })
    document.querySelectorAll('[data-printed-at]').forEach(function (note) {
      note.querySelector('[data-printed-at-time]').textContent = ukTime(new Date())
      note.hidden = false
    })
  })
  window.addEventListener('afterprint', function () {
    opened.forEach(function (details) { details.open = false })
    opened = []
  })
})()
