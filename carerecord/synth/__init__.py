"""A synthetic London: organisations and patients whose records are spread across them.

Used by the tests, ``carerecord demo`` and the benchmarks; ``carerecord synth`` writes it.
"""

from carerecord.synth.generate import DEFAULT_AS_OF, SynthSummary, generate
from carerecord.synth.organisations import SynthOrganisation, organisations

__all__ = ["DEFAULT_AS_OF", "SynthOrganisation", "SynthSummary", "generate", "organisations"]
