"""Errors of the encoding and exchange layer; each message names the file and says what to do."""

from __future__ import annotations


class PprlError(Exception):
    """Base of every error raised by ``sijill.pprl``."""


class KeyFileError(PprlError):
    """A key file is missing, malformed, or readable by others."""


class SchemaError(PprlError):
    """A linkage schema that cannot be used as written."""


class PackageError(PprlError):
    """A package that must not be loaded."""


class UnsignedPackage(PackageError):
    """The package has no signature."""


class UnknownHolder(PackageError):
    """The package is signed by a holder (or a key) that is not trusted."""


class TamperedPackage(PackageError):
    """The signature or a file hash does not match: the package changed after signing."""


class IncompatiblePackage(PackageError):
    """Signed and intact, but made for another cycle, format, identity version or encoding."""


class PayloadError(PprlError):
    """A sealed payload that cannot be opened with the keys at hand."""


class NothingUsable(PprlError):
    """No row of the input had anything to match on."""
