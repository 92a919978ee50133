"""Importing registry files (CSV in UTF-8 or Windows-1256, XLSX, Parquet) through ``sijill.identity``.

``service.import_file`` is the entry point. ``rows``, ``kinds`` and ``schema`` import no Django, so
that worker processes can parse a large file while the main process writes it.
"""
