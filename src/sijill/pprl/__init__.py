"""Privacy-preserving record linkage, split by who runs it (docs/architecture.md):

- ``sijill.pprl.format``   the package and hits formats, linkage schemas, key-file names and the trust store
                           (public keys only). The only part of ``pprl`` the hub imports.
- ``sijill.pprl.holder``   the data holder's side: its keys (the cycle's linkage secret), the encoder, the
                           encoding pipeline. Runs where the clear records live.
- ``sijill.pprl.registry`` the registry's side: its payload private keys, opening the hits it received.

This package re-exports nothing, so that importing one role never loads another.
"""
