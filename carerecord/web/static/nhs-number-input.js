// Shows an NHS number as 3 3 4 while it is typed or pasted. Progressive enhancement only:
// the server accepts the number with or without spaces, so the page works without this.
(function () {
  'use strict'

  function spaced (value) {
    var digits = value.replace(/[\s\-./]/g, '')
    if (!/^\d{0,10}$/.test(digits)) return null // letters or too long: leave it to the server
    return [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)].filter(Boolean).join(' ')
  }

  function caretAfterDigits (text, count) {
    var position = 0
    var seen = 0
    while (position < text.length && seen < count) {
      if (/\d/.test(text.charAt(position))) seen++
      position++
    }
    return position
  }

  function reformat (event) {
    var input = event.target
    if (event.inputType && event.inputType.indexOf('delete') === 0) return
    var formatted = spaced(input.value)
    if (formatted === null || formatted === input.value) return
    var digitsBefore = input.value.slice(0, input.selectionStart).replace(/\D/g, '').length
    input.value = formatted
    var caret = caretAfterDigits(formatted, digitsBefore)
    input.setSelectionRange(caret, caret)
  }

  var inputs = document.querySelectorAll('input[data-nhs-number]')
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener('input', reformat)
})()
