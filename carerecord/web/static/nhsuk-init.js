// Starts nhsuk-frontend's components (header menu, details, character counts...).
import { initAll } from '/static/nhsuk/nhsuk-frontend.min.js'

initAll()
