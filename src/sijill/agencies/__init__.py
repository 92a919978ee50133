"""The data holders as data: one YAML file per agency (and one for the social registry as a data holder).

Each file holds everything Sijill knows about one holder: its names and data-sharing agreement (read by the
exchange's seed), its linkage schema (``example:<code>`` for ``sijill encode``), the eligibility rules its hits
feed, and how the synthetic world writes its extract. No code lives here; each layer reads its own section.
"""
