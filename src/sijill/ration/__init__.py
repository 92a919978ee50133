"""The electronic ration card (Ministry of Trade): a registry of its own on the platform. See docs/ration.md."""
