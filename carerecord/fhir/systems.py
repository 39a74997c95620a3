"""Code systems carerecord reads and writes, named once. (The NHS number's identifier system
is carerecord.nhs_number.SYSTEM, beside the rules for the number itself.)"""

from __future__ import annotations

SNOMED = "http://snomed.info/sct"
