// At phone width a table of the record is read row by row, each cell under its column's name,
// rather than scrolled sideways: this copies each column header into its cells (data-label,
// shown by the stylesheet below 40em) and marks the table stackable. Without JavaScript the
// stylesheet lets a wide table scroll inside its own box instead.
(function () {
  document.querySelectorAll('main table.nhsuk-table').forEach(function (table) {
    var head = table.tHead && table.tHead.rows[0]
    if (!head) return
    var labels = Array.prototype.map.call(head.cells, function (cell) {
      return cell.textContent.replace(/\s+/g, ' ').trim()
    })
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (labels[column] && !cell.hasAttribute('data-label')) cell.setAttribute('data-label', labels[column])
          column += cell.colSpan || 1
        })
      })
    })
    table.classList.add('cr-stacked')
  })
})()
