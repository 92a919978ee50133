"""Cases: from findings to a verified, recorded decision, its notice, suspension and recovery."""
